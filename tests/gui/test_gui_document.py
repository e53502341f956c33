"""The document's undoable edits, without any widgets."""

from __future__ import annotations

import numpy as np
import pytest

from gui.document import Document
from model.hints.document import Hints, PaletteColor, Point
from model.io.load import load_image


@pytest.fixture
def doc(qapp) -> Document:
    d = Document()
    d.set_image(load_image(np.full((32, 48), 0.5, np.float32)), None)
    return d


def undo_redo_roundtrip(doc: Document, before: Hints, after: Hints) -> None:
    assert doc.hints == after
    doc.undo_stack.undo()
    assert doc.hints == before
    doc.undo_stack.redo()
    assert doc.hints == after


def test_every_point_edit_undoes_and_redoes(doc: Document) -> None:
    steps = [
        lambda: doc.add_point(0.2, 0.3, (10.0, 20.0), 4),
        lambda: doc.add_point(0.7, 0.6, (-30.0, 5.0)),
        lambda: doc.move_point(0, 0.25, 0.35),
        lambda: doc.recolour_point(1, (40.0, -10.0)),
        lambda: doc.resize_point(0, 9),
        lambda: doc.remove_point(1),
        doc.reset_hints,
    ]
    for step in steps:
        before = doc.hints
        step()
        assert doc.hints != before
        undo_redo_roundtrip(doc, before, doc.hints)
    assert doc.hints == Hints()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.hints == Hints() and not doc.dirty


def test_add_point_selects_it_and_undo_restores_selection(doc: Document) -> None:
    i = doc.add_point(0.5, 0.5, (1.0, 2.0))
    assert doc.selected == i == 0
    assert doc.points[0] == Point(0.5, 0.5, (1.0, 2.0), 5)
    doc.select(-1)
    doc.undo_stack.undo()
    assert doc.points == () and doc.selected == -1


def test_one_drag_is_one_undo_step(doc: Document) -> None:
    doc.add_point(0.1, 0.1, (0.0, 0.0))
    for k in range(1, 6):
        doc.move_point(0, 0.1 + k * 0.1, 0.1, final=k == 5)
    assert doc.points[0].x == pytest.approx(0.6)
    assert doc.undo_stack.count() == 2  # add + one merged move
    doc.undo_stack.undo()
    assert doc.points[0].x == pytest.approx(0.1)
    doc.undo_stack.redo()
    doc.move_point(0, 0.9, 0.9, final=True)  # a new drag is a new step
    assert doc.undo_stack.count() == 3


def test_palette_and_saturation_edits_undo(doc: Document) -> None:
    steps = [
        lambda: doc.add_palette_colour((20.0, 30.0), 0.5),
        lambda: doc.add_palette_colour((-20.0, 10.0)),
        lambda: doc.edit_palette_colour(0, (5.0, 5.0)),
        lambda: doc.set_palette_weight(1, 0.25),
        lambda: doc.remove_palette_colour(0),
        lambda: doc.set_saturation(0.7),
        lambda: doc.set_saturation(None),
        lambda: doc.set_palette([PaletteColor((1.0, 1.0), 1.0)], "Palette from reference"),
        doc.clear_palette,
    ]
    for step in steps:
        before = doc.hints
        step()
        assert doc.hints != before
        undo_redo_roundtrip(doc, before, doc.hints)


def test_slider_drag_merges_and_dirty_follows_the_stack(doc: Document) -> None:
    assert not doc.dirty
    for v in (0.1, 0.2, 0.3):
        doc.set_saturation(v, final=False)
    doc.set_saturation(0.3, final=True)  # release without a further change closes the step
    doc.set_saturation(0.9, final=True)
    assert doc.undo_stack.count() == 2
    assert doc.dirty
    doc.undo_stack.undo()
    assert doc.hints.saturation == pytest.approx(0.3)
    doc.undo_stack.undo()
    assert doc.hints.saturation is None and not doc.dirty


def _three(doc: Document) -> None:
    doc.add_point(0.2, 0.2, (10.0, 10.0), 3)
    doc.add_point(0.5, 0.4, (20.0, -5.0), 5)
    doc.add_point(0.8, 0.9, (-15.0, 30.0), 7)


def test_shift_selection_toggles_and_keeps_a_current_point(doc: Document) -> None:
    _three(doc)
    doc.select(0)
    doc.toggle_selected(2)
    assert doc.selection == (0, 2) and doc.selected == 2 and doc.group == frozenset({0})
    doc.toggle_selected(2)  # out again: the other one becomes current
    assert doc.selection == (0,) and doc.selected == 0
    doc.select_more([1, 2])
    assert doc.selection == (0, 1, 2) and doc.selected == 0
    doc.select(1)  # a plain selection is one point again
    assert doc.selection == (1,) and doc.group == frozenset()
    doc.select_all()
    assert doc.selection == (0, 1, 2) and doc.selected == 1


def test_a_selection_moves_together_keeping_its_shape_at_the_edge(doc: Document) -> None:
    _three(doc)
    doc.select(0)
    doc.toggle_selected(1)
    count = doc.undo_stack.count()
    before = doc.points
    # Drag point 1 by (+0.1, -0.3) in two steps: point 0 follows; the top edge stops the
    # pair at y = 0 for point 0, so point 1 stops 0.2 below it.
    doc.move_point(1, 0.55, 0.2, final=False)
    doc.move_point(1, 0.6, 0.1, final=True)
    a, b, c = doc.points
    assert (a.x, a.y) == pytest.approx((0.3, 0.0)) and (b.x, b.y) == pytest.approx((0.6, 0.2))
    assert c == before[2]  # not selected, not moved
    assert doc.undo_stack.count() == count + 1
    assert doc.undo_stack.undoText() == "Move 2 points"
    doc.undo_stack.undo()
    assert doc.points == before and doc.selection == (0, 1) and doc.selected == 1


def test_a_selection_takes_one_colour_size_and_goes_in_one_step(doc: Document) -> None:
    _three(doc)
    doc.select(0)
    doc.toggle_selected(2)
    before = doc.hints
    doc.recolour_point(doc.selected, (40.0, 45.0))
    assert [p.ab for p in doc.points] == [(40.0, 45.0), (20.0, -5.0), (40.0, 45.0)]
    doc.grow_selected(+1)
    assert [p.size for p in doc.points] == [4, 5, 8]
    doc.resize_point(doc.selected, 6)
    assert [p.size for p in doc.points] == [6, 5, 6]
    doc.remove_selected()
    assert [p.ab for p in doc.points] == [(20.0, -5.0)] and doc.selection == ()
    assert doc.undo_stack.undoText() == "Remove 2 points"
    for _ in range(4):
        doc.undo_stack.undo()
    assert doc.hints == before and doc.selection == (0, 2)
    # An edit of a point outside the selection is its own.
    doc.recolour_point(1, (0.0, 0.0))
    assert [p.ab for p in doc.points][1] == (0.0, 0.0)
    assert doc.points[0].ab == (10.0, 10.0) and doc.selection == (0, 2)


def test_added_points_are_one_undo_step_and_all_selected(doc: Document) -> None:
    doc.add_point(0.5, 0.5, (5.0, 5.0))
    assert doc.add_points([]) == () and doc.undo_stack.count() == 1
    before = doc.hints
    added = doc.add_points(
        [(0.1, 0.2, (10.0, 0.0)), (0.3, 0.2, (12.0, 1.0)), (1.4, 0.2, (0, 0))], 3
    )
    assert added == (1, 2, 3)
    assert [p.size for p in doc.points[1:]] == [3, 3, 3]
    assert doc.points[3].x == 1.0  # clamped into the photo like any point
    assert doc.selected == 3 and set(doc.selection) == {1, 2, 3}
    assert doc.undo_stack.undoText() == "Paint 3 points"
    undo_redo_roundtrip(doc, before, doc.hints)
    doc.undo_stack.undo()
    assert doc.selection == (0,)  # the selection before the stroke comes back
    doc.add_points([(0.4, 0.4, (1.0, 1.0))])
    assert doc.undo_stack.undoText() == "Add point"


def test_removing_points_keeps_the_other_selected_ones_selected(doc: Document) -> None:
    doc.add_points([(0.1 * i, 0.5, (10.0, 0.0)) for i in range(6)])
    doc.select(4)
    doc.toggle_selected(1)  # selection {1, 4}, 1 current
    doc.remove_points([0, 2, 9])  # 9: no such point
    assert len(doc.points) == 4 and doc.undo_stack.undoText() == "Remove 2 points"
    assert doc.selected == 0 and set(doc.selection) == {0, 2}  # 1 -> 0, 4 -> 2
    doc.remove_points([0])
    assert doc.selected == 1 and doc.selection == (1,)  # the one left takes over
    doc.remove_selected()
    assert doc.selection == () and len(doc.points) == 2


def test_random_strokes_erases_and_undos_keep_the_document_consistent(doc: Document) -> None:
    """Seeded random editing: selections always point at real points, and undoing every
    step and redoing it again lands on the same hints."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = len(doc.points)
        op = rng.integers(6)
        if op == 0:
            doc.add_point(*map(float, rng.random(2)), (10.0, -5.0))
        elif op == 1:  # a stroke drawn in a few growing steps
            k = int(rng.integers(1, 6))
            xy = rng.random((k + 2, 2)).tolist()
            for j in range(1, k + 1):
                doc.add_points([(x, y, (0.0, 20.0)) for x, y in xy[:j]], 3, final=False)
            doc.add_points([(x, y, (0.0, 20.0)) for x, y in xy], 3, final=True)
        elif op == 2 and n:
            gone = [int(i) for i in rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False)]
            kept = {doc.points[i] for i in doc.selection if i not in gone}
            doc.remove_points(gone)
            assert {doc.points[i] for i in doc.selection} == kept  # the same points, renumbered
        elif op == 3 and n:
            doc.toggle_selected(int(rng.integers(n)))
        elif op == 4:
            doc.undo_stack.undo()
        else:
            doc.undo_stack.redo()
        sel, n = doc.selection, len(doc.points)
        assert all(0 <= i < n for i in sel)
        assert (doc.selected == -1) == (not sel) and (doc.selected in sel or doc.selected == -1)
        assert doc.undo_stack.index() <= doc.undo_stack.count()
    final, at = doc.hints, doc.undo_stack.index()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.points == ()
    for _ in range(at):
        doc.undo_stack.redo()
    assert doc.hints == final
