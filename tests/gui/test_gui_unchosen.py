"""A point placed with the colour shown there changes nothing until its colour is chosen."""

from __future__ import annotations

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, click, drag, open_photo, wait_rendered
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from gui.document import Document
from gui.mainwindow import MainWindow
from model.hints.document import Hints, Point, sidecar_path
from model.io.load import load_image

# Long enough for a render the tiny network would have finished, were one asked for.
QUIET_MS = 300


@pytest.fixture
def doc(qapp) -> Document:
    d = Document()
    d.set_image(load_image(np.full((32, 48), 0.5, np.float32)), None)
    return d


def screen(win: MainWindow) -> np.ndarray:
    """The result view's pixels as they are painted now."""
    img = win.canvas.result.pixmap.toImage()
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, img.sizeInBytes()).copy()


def nothing_rendered(qtbot, win: MainWindow, before: tuple[int, int, np.ndarray]) -> bool:
    """After a while: no request, no result and the same pixels as `before` (state)."""
    qtbot.wait(QUIET_MS)
    generation, delivered, pixels = before
    link = win.render_link
    return (
        link.generation == generation
        and win.worker.delivered == delivered
        and np.array_equal(screen(win), pixels)
    )


def state(win: MainWindow) -> tuple[int, int, np.ndarray]:
    """The newest request, the results delivered and the pixels on screen."""
    return win.render_link.generation, win.worker.delivered, screen(win)


# -- the document ------------------------------------------------------------------------
def test_unchosen_points_stay_out_of_the_networks_hints(doc: Document) -> None:
    doc.add_point(0.2, 0.2, (10.0, 10.0))
    i = doc.add_point(0.5, 0.5, (3.0, 4.0), chosen=False)
    assert doc.unchosen == {i} and len(doc.points) == 2
    assert doc.network_hints().points == (doc.points[0],)
    assert doc.network_hints(leave_out=0).points == ()
    assert doc.hints.points[i] == Point(0.5, 0.5, (3.0, 4.0))  # saved as it is drawn


def test_choosing_a_colour_is_undone_to_unchosen(doc: Document) -> None:
    doc.add_point(0.5, 0.5, (3.0, 4.0), chosen=False)
    doc.recolour_point(0, (3.0, 4.0))  # the colour it had, chosen: it counts now
    assert doc.unchosen == frozenset() and doc.network_hints().points == doc.points
    doc.undo_stack.undo()
    assert doc.unchosen == {0} and doc.network_hints().points == ()
    doc.undo_stack.redo()
    assert doc.unchosen == frozenset()
    doc.undo_stack.undo()
    doc.undo_stack.undo()  # the click itself
    assert doc.points == () and doc.unchosen == frozenset()


def test_unchosen_follow_their_points_through_strokes_removals_and_loads(doc: Document) -> None:
    doc.add_point(0.1, 0.1, (1.0, 1.0), chosen=False)
    added = doc.add_points([(0.2 + 0.1 * k, 0.5, (0.0, 20.0)) for k in range(4)], chosen=False)
    doc.add_point(0.9, 0.9, (5.0, 5.0))
    assert doc.unchosen == {0, *added}
    doc.remove_points([0, 2])
    assert doc.unchosen == {0, 1, 2} and len(doc.points) == 4
    assert doc.network_hints().points == (Point(0.9, 0.9, (5.0, 5.0)),)
    doc.select(0)
    doc.select_more([1, 2])
    doc.recolour_point(1, (20.0, 0.0))  # one choice for all the selected points
    assert doc.unchosen == frozenset()
    doc.undo_stack.undo()
    assert doc.unchosen == {0, 1, 2}
    doc.load_hints(doc.hints, "Paste hints", clean=False)  # a file's points are ordinary
    assert doc.unchosen == frozenset() and doc.network_hints() == doc.hints
    doc.undo_stack.undo()
    assert doc.unchosen == {0, 1, 2}
    doc.reset_hints()
    assert doc.unchosen == frozenset()


def test_a_moved_unchosen_point_takes_the_colour_shown_where_it_lands(doc: Document) -> None:
    doc.add_point(0.2, 0.2, (10.0, 10.0))
    doc.add_point(0.3, 0.3, (0.0, 0.0), chosen=False)
    doc.select_all()

    def shown(x: float, y: float) -> tuple[float, float]:
        return round(100 * x, 3), round(-100 * y, 3)

    doc.move_point(1, 0.4, 0.5, shown=shown)
    assert doc.points[1] == Point(0.4, 0.5, (40.0, -50.0))
    assert doc.points[0].ab == (10.0, 10.0)  # its colour was chosen: it keeps it
    assert doc.unchosen == {1}


# -- the window --------------------------------------------------------------------------
def test_a_click_changes_nothing_until_a_colour_is_chosen(qtbot, window: MainWindow, photo):
    open_photo(qtbot, window, photo)
    qtbot.wait(QUIET_MS)  # the follow-ups of opening (the sharp preview) are done
    before = state(window)
    click(window.canvas.result, 0.4, 0.5)
    assert window.doc.unchosen == {0} and window.doc.selected == 0
    assert window.canvas.result.marks[0].unchosen
    assert "Not used yet" in window.picker.title.text()
    assert nothing_rendered(qtbot, window, before)
    assert window.picker.suggestions  # from the screen: the network never had the point

    drag(window.canvas.result, (0.4, 0.5), (0.6, 0.4))  # moving it changes nothing either
    assert window.doc.points[0].x == pytest.approx(0.6, abs=0.02)
    assert nothing_rendered(qtbot, window, before)

    window.picker.colourPicked.emit(30.0, -20.0, True)
    assert window.doc.unchosen == frozenset() and not window.canvas.result.marks[0].unchosen
    assert window.render_link.generation == before[0] + 1
    wait_rendered(qtbot, window)
    assert window.render_link.shown_hints == window.doc.hints
    assert not np.array_equal(screen(window), before[2])

    window.doc.undo_stack.undo()  # back to unchosen: the picture without the point
    assert window.doc.unchosen == {0}
    wait_rendered(qtbot, window)
    assert window.render_link.shown_hints.points == ()


@pytest.mark.parametrize("how", ["grey", "eyedropper", "colour dialog"])
def test_every_way_of_choosing_a_colour_uses_the_point(qtbot, window, photo, how, monkeypatch):
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QColorDialog

    open_photo(qtbot, window, photo)
    click(window.canvas.result, 0.4, 0.5)
    generation = window.render_link.generation
    if how == "grey":
        QTest.keyClick(window, Qt.Key.Key_G)
    elif how == "eyedropper":
        window.editor.sample_colour(0.9, 0.1)
    else:
        monkeypatch.setattr(QColorDialog, "getColor", lambda *a, **k: QColor(200, 60, 40))
        window.picker.dialog_button.click()
    assert window.doc.unchosen == frozenset()
    assert window.render_link.generation == generation + 1


def test_a_stroke_in_the_shown_colour_waits_and_one_in_a_chosen_colour_paints(
    qtbot, window: MainWindow, photo
):
    open_photo(qtbot, window, photo)
    qtbot.wait(QUIET_MS)
    before = state(window)
    window.editor.add_stroke([(0.2, 0.3), (0.8, 0.3)])
    n = len(window.doc.points)
    assert n > 1 and window.doc.unchosen == set(range(n))
    assert nothing_rendered(qtbot, window, before)
    window.picker.colourPicked.emit(10.0, 40.0, True)  # one pick colours the whole stroke
    assert window.doc.unchosen == frozenset()
    wait_rendered(qtbot, window)

    window.acts.suggest.setChecked(False)  # N off: painting in the colour chosen last
    window.editor.add_stroke([(0.2, 0.7), (0.8, 0.7)])
    assert len(window.doc.points) > n and window.doc.unchosen == frozenset()
    wait_rendered(qtbot, window)
    assert len(window.render_link.shown_hints.points) == len(window.doc.points)


def test_saved_files_keep_unchosen_points_and_exports_leave_them_out(
    qtbot, window: MainWindow, photo, tmp_path
):
    open_photo(qtbot, window, photo)
    click(window.canvas.result, 0.3, 0.3)
    window.picker.colourPicked.emit(30.0, -20.0, True)
    click(window.canvas.result, 0.7, 0.7)  # shown colour, not chosen
    assert window.files.save_session()
    saved = Hints.from_json(sidecar_path(photo))
    assert saved.points == window.doc.points and len(saved.points) == 2

    out = tmp_path / "out.png"
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out)
    assert Hints.from_json(sidecar_path(out)).points == window.doc.points[:1]  # as on screen

    open_photo(qtbot, window, photo)  # again: the file's points are ordinary ones
    assert window.doc.points == saved.points and window.doc.unchosen == frozenset()
    assert window.render_link.shown_hints.points == saved.points
