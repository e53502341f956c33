"""The document's undoable edits, without any widgets."""

from __future__ import annotations

import numpy as np
import pytest

from gui.document import Document
from model.hints import Hints, PaletteColor, Point
from model.imageio import load_image


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
