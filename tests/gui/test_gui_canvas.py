"""Mouse and keyboard on the photo view: add, select, move, remove, pan, zoom."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from guihelpers import LEFT, NO_MOD, at, click, drag, open_photo, wait_rendered
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.colours import snapped
from gui.preferences import Preferences
from model.hints.document import MAX_SIZE
from model.inference import shown_at, working_shape


@pytest.fixture
def view(qtbot, window, photo):
    open_photo(qtbot, window, photo)
    return window.canvas.result


def test_click_adds_point_where_clicked(qtbot, window, view) -> None:
    click(view, 0.25, 0.5)
    click(view, 0.75, 0.4)
    pts = window.doc.points
    assert len(pts) == 2
    tol = 2 / view.width() + 1 / 128  # a pixel or two of rounding
    assert pts[0].x == pytest.approx(0.25, abs=tol) and pts[0].y == pytest.approx(0.5, abs=0.03)
    assert pts[1].x == pytest.approx(0.75, abs=tol)
    assert window.doc.selected == 1
    assert pts[0].size == window.prefs.point_size
    wait_rendered(qtbot, window)
    window.doc.undo_stack.undo()
    assert len(window.doc.points) == 1


def test_new_point_keeps_shown_or_last_colour(qtbot, window, view) -> None:
    pred = window.render_link.prediction  # what the window shows before the click
    assert pred is not None
    click(view, 0.3, 0.3)
    p = window.doc.points[0]
    # The colour shown there, so placing a point does not change the picture.
    expected = snapped(window.editor.lightness_at(p.x, p.y), shown_at(pred, p.x, p.y))
    assert p.ab == pytest.approx(expected, abs=1e-3) and p.ab != (0.0, 0.0)
    window.picker.colourPicked.emit(30.0, 40.0, True)
    assert window.doc.points[0].ab == (30.0, 40.0)
    window.acts.suggest.setChecked(False)
    click(view, 0.6, 0.6)
    p = window.doc.points[1]
    # The brush colour, pulled into the gamut at the new point's lightness if need be.
    expected = snapped(window.editor.lightness_at(p.x, p.y), (30.0, 40.0))
    assert p.ab == pytest.approx(expected, abs=1e-3)
    assert window.editor.recent_colours[0] == (30.0, 40.0)


def test_drag_moves_point_in_one_undo_step(qtbot, window, view) -> None:
    click(view, 0.3, 0.3)
    count = window.doc.undo_stack.count()
    drag(view, (0.3, 0.3), (0.7, 0.6))
    p = window.doc.points[0]
    assert p.x == pytest.approx(0.7, abs=0.03) and p.y == pytest.approx(0.6, abs=0.03)
    assert len(window.doc.points) == 1
    assert window.doc.undo_stack.count() == count + 1
    window.doc.undo_stack.undo()
    assert window.doc.points[0].x == pytest.approx(0.3, abs=0.03)
    window.doc.undo_stack.redo()
    assert window.doc.points[0].x == pytest.approx(0.7, abs=0.03)


def test_click_on_point_selects_and_right_click_removes(qtbot, window, view) -> None:
    click(view, 0.2, 0.2)
    click(view, 0.8, 0.8)
    click(view, 0.2, 0.2)  # on the first point: select, not add
    assert len(window.doc.points) == 2 and window.doc.selected == 0
    click(view, 0.8, 0.8, Qt.MouseButton.RightButton)
    assert len(window.doc.points) == 1
    assert window.doc.points[0].x == pytest.approx(0.2, abs=0.03)
    window.doc.undo_stack.undo()
    assert len(window.doc.points) == 2


def test_delete_key_removes_selected_point(qtbot, window, view) -> None:
    click(view, 0.4, 0.4)
    click(view, 0.6, 0.6)
    window.doc.select(0)
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert len(window.doc.points) == 1
    assert window.doc.points[0].x == pytest.approx(0.6, abs=0.03)
    QTest.keyClick(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(window.doc.points) == 2


def _key(view, key: Qt.Key, press: bool, repeat: bool = False, shift: bool = False) -> None:
    kind = QEvent.Type.KeyPress if press else QEvent.Type.KeyRelease
    mods = Qt.KeyboardModifier.ShiftModifier if shift else NO_MOD
    QApplication.sendEvent(view, QKeyEvent(kind, key, mods, "", repeat))


def test_arrow_keys_nudge_the_selected_point_one_undo_step_per_stroke(qtbot, window, view) -> None:
    click(view, 0.3, 0.3)
    start = window.doc.points[0]
    count = window.doc.undo_stack.count()
    scale, _ = view.transform.effective(view.size())
    px = 1 / (scale * view.transform.image_size.width())  # one screen pixel, as a fraction
    py = 1 / (scale * view.transform.image_size.height())
    drafts: list[bool] = []
    window.doc.hintsChanged.connect(lambda: drafts.append(window.doc.interim))
    _key(view, Qt.Key.Key_Right, press=True)
    _key(view, Qt.Key.Key_Right, press=True, repeat=True)  # held down: it keeps moving
    _key(view, Qt.Key.Key_Right, press=True, repeat=True)
    assert drafts == [True, True, True]  # drag steps while the key is down
    with qtbot.waitSignal(window.doc.dragEnded, timeout=1000):  # then the full update
        _key(view, Qt.Key.Key_Right, press=False)
    moved = window.doc.points[0]
    assert moved.x == pytest.approx(start.x + 3 * px, abs=1e-6) and moved.y == start.y
    assert window.doc.undo_stack.count() == count + 1 and not window.doc.interim
    _key(view, Qt.Key.Key_Up, press=True, shift=True)  # Shift: ten pixels
    _key(view, Qt.Key.Key_Up, press=False, shift=True)
    assert window.doc.points[0].y == pytest.approx(start.y - 10 * py, abs=1e-6)
    assert window.doc.undo_stack.count() == count + 2
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    assert window.doc.points[0] == start
    wait_rendered(qtbot, window)


def test_arrow_keys_stop_at_the_photo_edge_and_need_a_selection(qtbot, window, view) -> None:
    click(view, 0.995, 0.5)
    for _ in range(5):
        QTest.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert window.doc.points[0].x == 1.0
    window.doc.select(-1)
    QTest.keyClick(view, Qt.Key.Key_Left)
    assert window.doc.points[0].x == 1.0


def test_tab_steps_through_points_and_escape_deselects(qtbot, window, view) -> None:
    for fx in (0.2, 0.5, 0.8):
        click(view, fx, 0.5)
    assert window.doc.selected == 2
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert window.doc.selected == 0 and view.hasFocus()
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert window.doc.selected == 1
    QTest.keyClick(view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.doc.selected == 0
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert window.doc.selected == -1
    QTest.keyClick(view, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert window.doc.selected == 2  # from nothing, Shift+Tab starts at the last


def test_tab_pans_to_a_point_outside_the_zoomed_view(qtbot, window, view) -> None:
    click(view, 0.1, 0.1)
    click(view, 0.9, 0.9)
    scale = 8.0
    view.transform.set_zoom(scale, at_photo(view, 0.1, 0.1))
    assert not view.rect().contains(at(view, 0.9, 0.9))
    QTest.keyClick(view, Qt.Key.Key_Tab)  # from point 1 round to point 0: already in view
    assert window.doc.selected == 0
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert window.doc.selected == 1
    assert view.rect().contains(at(view, 0.9, 0.9))
    assert view.transform.effective(view.size())[0] == pytest.approx(scale)  # zoom kept


def at_photo(view, fx: float, fy: float):
    s = view.transform.image_size
    return QPointF(fx * s.width(), fy * s.height())


def test_drag_on_empty_photo_pans_and_adds_nothing(qtbot, window, view) -> None:
    window.canvas.zoom_actual()
    window.canvas.zoom_in()
    before = view.to_widget(0.5, 0.5)
    drag(view, (0.5, 0.5), (0.45, 0.45), steps=6)
    assert window.doc.points == ()
    after = view.to_widget(0.5, 0.5)
    assert after != before


def test_wheel_zoom_and_fit_keep_views_in_step(qtbot, window, view) -> None:
    window.acts.side.setChecked(True)
    qtbot.waitUntil(lambda: window.canvas.original.isVisible())
    fit = window.canvas.zoom()
    window.canvas.zoom_in()
    assert window.canvas.zoom() == pytest.approx(fit * 1.25)
    # Both views show the same photo point at their centres.
    o, r = window.canvas.original, window.canvas.result
    co = o.to_fraction(o.rect().center().toPointF())
    cr = r.to_fraction(r.rect().center().toPointF())
    assert co == pytest.approx(cr, abs=0.02)
    window.canvas.zoom_fit()
    assert window.canvas.transform.fit


def test_split_and_before_toggle(qtbot, window, view) -> None:
    window.acts.split.setChecked(True)
    assert view.split == pytest.approx(0.5)
    QTest.mousePress(view, LEFT, NO_MOD, at(view, 0.5, 0.5))
    QTest.mouseMove(view, at(view, 0.3, 0.5))
    QTest.mouseRelease(view, LEFT, NO_MOD, at(view, 0.3, 0.5))
    assert view.split == pytest.approx(0.3, abs=0.03)
    assert window.doc.points == ()  # moving the split line is not a click on the photo
    window.acts.before.setChecked(True)
    assert view.show_before
    window.acts.before.setChecked(False)
    QTest.keyPress(view, Qt.Key.Key_Backslash)
    assert view.show_before
    QTest.keyRelease(view, Qt.Key.Key_Backslash)
    assert not view.show_before


def test_bracket_keys_resize_the_selected_point(qtbot, window, view) -> None:
    click(view, 0.5, 0.5)
    size = window.doc.points[0].size
    QTest.keyClick(view, Qt.Key.Key_BracketRight)
    assert window.doc.points[0].size == size + 1
    QTest.keyClick(view, Qt.Key.Key_BracketLeft)
    QTest.keyClick(view, Qt.Key.Key_BracketLeft)
    assert window.doc.points[0].size == size - 1
    window.picker.size_spin.setValue(9)
    assert window.doc.points[0].size == 9
    window.doc.undo_stack.undo()
    assert window.doc.points[0].size == size - 1
    # With none selected they size the brush: new points and strokes, kept for next time.
    window.doc.select(-1)
    steps = window.doc.undo_stack.count()
    for _ in range(12):
        QTest.keyClick(view, Qt.Key.Key_BracketRight)
    assert window.prefs.point_size == MAX_SIZE  # no further
    QTest.keyClick(view, Qt.Key.Key_BracketLeft)
    assert window.doc.undo_stack.count() == steps and window.doc.points[0].size == size - 1
    assert Preferences.load(window.settings).point_size == MAX_SIZE - 1
    click(view, 0.2, 0.2)
    assert window.doc.points[-1].size == MAX_SIZE - 1


def test_moving_a_point_repaints_only_around_it(qtbot, window, view, monkeypatch) -> None:
    click(view, 0.3, 0.3)
    click(view, 0.8, 0.8)
    wait_rendered(qtbot, window)
    asked: list[object] = []
    window.doc.select(0)  # as the press that starts a drag does
    monkeypatch.setattr(view, "update", lambda *a: asked.append(a[0] if a else None))
    window.doc.move_point(0, 0.35, 0.3, final=False)
    assert asked and all(a is not None for a in asked)  # never the whole view
    box = asked[-1].boundingRect()
    old, new, other = at(view, 0.3, 0.3), at(view, 0.35, 0.3), at(view, 0.8, 0.8)
    assert box.contains(old) and box.contains(new)
    # The region is a few small rectangles round the marks, not their bounding box.
    area = sum(r.width() * r.height() for r in asked[-1])
    assert 0 < area < view.width() * view.height() / 4
    # Every pixel a swatch with its selection ring can touch is inside the repainted area.
    mark = view.marks[0]
    reach = view.mark_rect(mark)
    assert reach.contains(new + QPoint(20, 20)) and reach.contains(new - QPoint(20, 20))
    assert asked[-1].contains(other)  # all marks: the selection may move to another one


SHIFT = Qt.KeyboardModifier.ShiftModifier


def test_shift_click_and_box_select_then_drag_and_delete_together(qtbot, window, view) -> None:
    for fx, fy in ((0.2, 0.3), (0.4, 0.35), (0.8, 0.8)):
        click(view, fx, fy)
    QTest.mouseClick(view, LEFT, SHIFT, at(view, 0.2, 0.3))
    assert window.doc.selection == (0, 2)
    QTest.mouseClick(view, LEFT, SHIFT, at(view, 0.8, 0.8))  # out again
    assert window.doc.selection == (0,)
    # Shift+drag a box round the second point adds it, and places no point.
    QTest.mousePress(view, LEFT, SHIFT, at(view, 0.33, 0.25))
    QTest.mouseMove(view, at(view, 0.45, 0.4))
    QTest.mouseMove(view, at(view, 0.5, 0.45))
    QTest.mouseRelease(view, LEFT, SHIFT, at(view, 0.5, 0.45))
    assert window.doc.selection == (0, 1) and len(window.doc.points) == 3
    assert view.group and window.canvas.original.group == view.group
    assert "and 1 more" in window.picker.title.text()
    # Dragging one of them moves both by the same amount, in one undo step.
    before = window.doc.points
    count = window.doc.undo_stack.count()
    drag(view, (0.4, 0.35), (0.5, 0.55))
    after = window.doc.points
    for i in (0, 1):
        assert after[i].x - before[i].x == pytest.approx(0.1, abs=0.02)
        assert after[i].y - before[i].y == pytest.approx(0.2, abs=0.03)
    assert after[2] == before[2] and window.doc.undo_stack.count() == count + 1
    assert window.doc.selection == (0, 1)  # a drag keeps the selection
    # The picker's colour goes to both; Delete removes both.
    window.picker.colourPicked.emit(25.0, 35.0, True)
    assert window.doc.points[0].ab == window.doc.points[1].ab == (25.0, 35.0)
    assert window.acts.remove.text() == "Remove 2 Points"
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert len(window.doc.points) == 1 and window.doc.points[0] == before[2]
    window.doc.undo_stack.undo()
    assert len(window.doc.points) == 3 and window.doc.selection == (0, 1)
    # A plain click on one of a selection, without moving, selects it alone.
    click(view, after[0].x, after[0].y)
    assert window.doc.selection == (0,)
    QTest.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert window.doc.selection == (0, 1, 2)
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert window.doc.selection == ()


def test_eyedropper_gives_the_selected_points_the_colour_shown(qtbot, window, view) -> None:
    click(view, 0.2, 0.3)
    click(view, 0.7, 0.6)
    wait_rendered(qtbot, window)
    pred = window.render_link.prediction
    QTest.keyClick(view, Qt.Key.Key_I)
    assert window.acts.sample.isChecked() and view.sampling
    assert window.picker.sample_button.defaultAction() is window.acts.sample
    click(view, 0.9, 0.1)  # samples: adds and selects nothing
    assert len(window.doc.points) == 2 and window.doc.selection == (1,)
    assert not window.acts.sample.isChecked() and not view.sampling  # one click
    p = window.doc.points[1]
    expected = snapped(window.editor.lightness_at(p.x, p.y), shown_at(pred, 0.9, 0.1))
    assert p.ab == pytest.approx(expected, abs=1e-3)
    assert window.editor.recent_colours[0] == pytest.approx(expected, abs=1e-3)
    # Alt+click does the same without the mode, for the whole selection.
    wait_rendered(qtbot, window)
    pred = window.render_link.prediction
    window.doc.select_all()
    QTest.mouseClick(view, LEFT, Qt.KeyboardModifier.AltModifier, at(view, 0.5, 0.9))
    want = shown_at(pred, 0.5, 0.9)
    cur = window.doc.selected_point
    want = snapped(window.editor.lightness_at(cur.x, cur.y), want)
    assert window.doc.points[0].ab == window.doc.points[1].ab == pytest.approx(want, abs=1e-3)
    # Esc leaves the mode without sampling; with nothing selected a sample goes to Recent.
    QTest.keyClick(view, Qt.Key.Key_I)
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not window.acts.sample.isChecked() and window.doc.selection == (0, 1)
    window.doc.select(-1)
    before = window.doc.hints
    wait_rendered(qtbot, window)
    QTest.mouseClick(view, LEFT, Qt.KeyboardModifier.AltModifier, at(view, 0.1, 0.8))
    assert window.doc.hints == before
    assert window.editor.recent_colours[0] == pytest.approx(
        shown_at(window.render_link.prediction, 0.1, 0.8), abs=1e-3
    )


def test_g_makes_the_selected_points_grey_in_one_step(qtbot, window, view) -> None:
    click(view, 0.3, 0.3)
    window.picker.colourPicked.emit(30.0, 20.0, True)
    click(view, 0.6, 0.6)
    window.picker.colourPicked.emit(-20.0, 40.0, True)
    click(view, 0.8, 0.2)
    window.picker.colourPicked.emit(10.0, 10.0, True)
    window.doc.select(0)
    window.doc.toggle_selected(1)
    QTest.keyClick(view, Qt.Key.Key_G)
    assert [p.ab for p in window.doc.points] == [(0.0, 0.0), (0.0, 0.0), (10.0, 10.0)]
    window.doc.undo_stack.undo()
    assert [p.ab for p in window.doc.points][:2] == [(30.0, 20.0), (-20.0, 40.0)]
    window.doc.select(-1)
    assert not window.acts.grey.isEnabled()


def test_zoomed_in_an_overview_shows_and_pans_the_view(qtbot, window, view) -> None:
    assert view.inset_rect() is None  # the whole photo is in view
    window.canvas.zoom_actual()
    for _ in range(8):  # the 128x96 photo, 6x: bigger than the view
        window.canvas.zoom_in()
    r = view.inset_rect()
    assert r is not None and r.right() < view.width() and r.bottom() < view.height()
    assert window.canvas.original.inset_rect() is None  # one overview, in the result
    v = view.visible_fraction()
    assert 0 < v.width() < 1 and 0 < v.height() < 1
    count = len(window.doc.points)
    # A click in its top-left corner brings the photo's top-left corner into view...
    QTest.mouseClick(view, LEFT, NO_MOD, r.topLeft().toPoint() + QPoint(2, 2))
    assert len(window.doc.points) == count  # ...and places no point
    v = view.visible_fraction()
    assert v.left() == 0.0 and v.top() == 0.0
    # ...and dragging in it follows the pointer to the bottom-right corner.
    QTest.mousePress(view, LEFT, NO_MOD, r.center().toPoint())
    QTest.mouseMove(view, r.bottomRight().toPoint() - QPoint(1, 1))
    QTest.mouseRelease(view, LEFT, NO_MOD, r.bottomRight().toPoint() - QPoint(1, 1))
    v = view.visible_fraction()
    assert v.right() == pytest.approx(1.0, abs=0.02) and v.bottom() == pytest.approx(1.0, abs=0.02)
    window.canvas.zoom_fit()
    assert view.inset_rect() is None


def test_paint_tool_lays_a_stroke_of_points_one_pick_colours_it(qtbot, window, view) -> None:
    wait_rendered(qtbot, window)
    pred = window.render_link.prediction
    QTest.keyClick(view, Qt.Key.Key_P)
    assert window.acts.paint.isChecked() and view.painting
    drag(view, (0.2, 0.5), (0.8, 0.5), steps=12)
    pts = window.doc.points
    size = window.prefs.point_size
    img = window.doc.image
    _, w = working_shape(img.height, img.width, window.prefs.working_size)
    # Along the line, two point widths apart in the network's pixels, up to the end (or
    # within a point width of it).
    assert len(pts) == round(0.6 * w / (2 * size)) + 1
    tol = 2 / view.width() + 1 / w
    assert pts[0].x == pytest.approx(0.2, abs=tol)
    assert pts[-1].x == pytest.approx(0.8, abs=tol + size / w)
    gaps = [(b.x - a.x) * w for a, b in pairwise(pts[:-1])]
    assert gaps == pytest.approx([2.0 * size] * len(gaps), abs=0.05)
    assert 0 < (pts[-1].x - pts[-2].x) * w <= 2.0 * size + 0.05
    assert all(p.size == size for p in pts)
    # Each starts with the colour a new point gets there: the picture does not jump.
    p = pts[3]
    want = snapped(window.editor.lightness_at(p.x, p.y), shown_at(pred, p.x, p.y))
    assert p.ab == pytest.approx(want, abs=1e-3)
    # The whole stroke is selected, so one pick colours all of it; each is one undo step.
    assert set(window.doc.selection) == set(range(len(pts)))
    window.picker.colourPicked.emit(40.0, 30.0, True)
    assert len({q.ab for q in window.doc.points}) == 1
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    assert window.doc.points == ()
    # A click paints a single point; Esc goes back to clicking and panning.
    click(view, 0.5, 0.3)
    assert len(window.doc.points) == 1
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not window.acts.paint.isChecked() and not view.painting
    drag(view, (0.2, 0.8), (0.6, 0.8))
    assert len(window.doc.points) == 1  # panned, painted nothing
    # With N off a stroke paints in the last colour chosen, as far as each point's gamut has it.
    window.acts.suggest.setChecked(False)
    window.acts.paint.setChecked(True)
    drag(view, (0.1, 0.9), (0.9, 0.1), steps=10)
    stroke = window.doc.points[1:]
    assert len(stroke) > 10
    for q in stroke:
        want = snapped(window.editor.lightness_at(q.x, q.y), (40.0, 30.0))
        assert q.ab == pytest.approx(want, abs=1e-3)


def test_paint_tool_right_drag_erases_the_points_it_passes(qtbot, window, view) -> None:
    right = Qt.MouseButton.RightButton
    QTest.keyClick(view, Qt.Key.Key_P)
    drag(view, (0.2, 0.5), (0.8, 0.5), steps=12)
    stroke = window.doc.points
    steps = window.doc.undo_stack.count()
    # A quick flick along the middle of the stroke, in two moves.
    QTest.mousePress(view, right, NO_MOD, at(view, 0.4, 0.5))
    QTest.mouseMove(view, at(view, 0.5, 0.5))
    QTest.mouseMove(view, at(view, 0.6, 0.5))
    QTest.mouseRelease(view, right, NO_MOD, at(view, 0.6, 0.5))
    left = window.doc.points
    assert 0 < len(left) < len(stroke) - 4
    reach = 30 / view.width()  # the swatch's radius and slack, as a fraction
    assert all(not 0.4 + reach < p.x < 0.6 - reach for p in left)
    assert {p.x for p in left} >= {p.x for p in stroke if not 0.4 - reach < p.x < 0.6 + reach}
    assert window.doc.undo_stack.count() == steps + 1
    assert len(window.doc.selection) == len(left)  # the rest of the stroke stays selected
    window.doc.undo_stack.undo()
    assert window.doc.points == stroke
    # Passing over no point changes nothing; outside the tool a right-click still removes one.
    QTest.mousePress(view, right, NO_MOD, at(view, 0.3, 0.1))
    QTest.mouseMove(view, at(view, 0.7, 0.1))
    QTest.mouseRelease(view, right, NO_MOD, at(view, 0.7, 0.1))
    assert window.doc.points == stroke and window.doc.undo_stack.count() == steps + 1
    QTest.keyClick(view, Qt.Key.Key_Escape)
    x0, y0 = stroke[0].x, stroke[0].y
    QTest.mouseClick(view, right, NO_MOD, at(view, x0, y0))
    assert window.doc.points == stroke[1:]


def test_a_stroke_colours_as_it_is_drawn_and_is_one_undo_step(qtbot, window, view) -> None:
    wait_rendered(qtbot, window)
    window.acts.suggest.setChecked(False)
    window.editor.last_colour = (-30.0, 40.0)  # as if chosen for an earlier point
    window.acts.paint.setChecked(True)
    steps, g0 = window.doc.undo_stack.count(), window.render_link.generation
    QTest.mousePress(view, LEFT, NO_MOD, at(view, 0.1, 0.5))
    seen = []
    for k in range(1, 9):
        QTest.mouseMove(view, at(view, 0.1 + 0.1 * k, 0.5))
        seen.append(window.doc.points)
    # Points come in as the brush passes, those already placed staying as they were...
    assert 0 < len(seen[0]) < len(seen[3]) < len(seen[-1])
    for a, b in pairwise(seen):
        assert b[: len(a)] == a
    # ...and the worker colours them before the button is let go.
    assert window.render_link.generation > g0
    wait_rendered(qtbot, window)
    QTest.mouseRelease(view, LEFT, NO_MOD, at(view, 0.9, 0.5))
    pts = window.doc.points
    assert pts[: len(seen[-1])] == seen[-1] and len(pts) >= len(seen[-1])
    assert window.doc.undo_stack.count() == steps + 1
    assert window.doc.undo_stack.undoText() == f"Paint {len(pts)} points"
    window.doc.undo_stack.undo()
    assert window.doc.points == ()
    window.doc.undo_stack.redo()
    assert window.doc.points == pts and set(window.doc.selection) == set(range(len(pts)))


def test_the_brush_outline_shows_the_patch_a_point_would_get(qtbot, window, view) -> None:
    wait_rendered(qtbot, window)
    window.acts.paint.setChecked(True)
    QTest.mouseMove(view, at(view, 0.5, 0.5))
    assert view._hover is not None
    scale, _ = view._map()
    r = view.brush_rect(view._hover)
    assert r.width() == pytest.approx(max(window.prefs.point_size * view.patch_scale * scale, 4))
    edge = QPoint(round(r.left()), round(r.center().y()))
    img = view.grab().toImage()
    assert img.pixelColor(edge).name() in ("#ffffff", "#000000")  # the outline is drawn
    QTest.keyClick(view, Qt.Key.Key_BracketRight)  # none selected: a bigger brush
    assert view.brush_size == window.prefs.point_size
    assert view.brush_rect(view._hover).width() > r.width()
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert view._hover is None
    img = view.grab().toImage()
    assert img.pixelColor(edge).name() not in ("#ffffff", "#000000")  # and gone again


def test_shift_click_with_the_brush_draws_a_straight_stroke_on(qtbot, window, view) -> None:
    shift = Qt.KeyboardModifier.ShiftModifier
    window.acts.paint.setChecked(True)
    h, w = working_shape(window.doc.image.height, window.doc.image.width, 256)
    spacing = 2.0 * window.prefs.point_size
    click(view, 0.2, 0.3)  # a click is a one-point stroke to go on from
    QTest.mouseClick(view, LEFT, shift, at(view, 0.7, 0.3))
    pts = window.doc.points
    assert window.doc.undo_stack.undoText() == f"Paint {len(pts) - 1} points"
    assert set(window.doc.selection) == set(range(1, len(pts)))  # the new line only
    xs = [p.x * w for p in pts]
    assert [b - a for a, b in pairwise(xs[:-1])] == pytest.approx([spacing] * (len(xs) - 2))
    assert xs[-1] == pytest.approx(0.7 * w, abs=spacing / 2 + 2)
    assert all(p.y == pts[0].y for p in pts)  # the same row: a straight line
    # Again: a polyline, turning at the last point.
    QTest.mouseClick(view, LEFT, shift, at(view, 0.7, 0.8))
    turn = [(p.x * w, p.y * h) for p in window.doc.points[len(pts) - 1 :]]
    assert len(turn) > 3
    gaps = [math.dist(a, b) for a, b in pairwise(turn[:-1])]
    assert gaps == pytest.approx([spacing] * len(gaps), abs=0.01)  # on from the last point
    assert turn[-1][1] == pytest.approx(0.8 * h, abs=spacing / 2 + 2)
    # Once that point is gone (undone), Shift+click starts afresh with a single point.
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    QTest.mouseClick(view, LEFT, shift, at(view, 0.5, 0.5))
    assert len(window.doc.points) == 1


def test_100_percent_is_the_photos_own_pixels_on_a_high_density_screen(
    qtbot, window, view, monkeypatch
) -> None:
    # At 200 % display scaling a point is 2x2 device pixels; 100 % means photo pixels.
    monkeypatch.setattr(view, "devicePixelRatioF", lambda: 2.0)
    window.canvas.zoom_actual()
    assert view.transform.scale == pytest.approx(0.5)  # half a point per photo pixel
    assert window.canvas.zoom() == pytest.approx(1.0)
    window.canvas.zoom_in()
    assert window.canvas.zoom() == pytest.approx(1.25)
