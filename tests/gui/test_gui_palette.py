"""The palette panel: add/edit/remove colours, weights, saturation, reference photos."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, open_photo
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from gui import colours


@pytest.fixture
def panel(qtbot, window, photo, monkeypatch):
    open_photo(qtbot, window, photo)
    picks = iter([QColor(200, 60, 40), QColor(40, 90, 200), QColor(30, 160, 60)])
    monkeypatch.setattr(colours, "ask_colour", lambda *a, **k: next(picks))
    return window.palette


def test_add_edit_remove_with_undo(qtbot, window, panel) -> None:
    doc = window.doc
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert len(doc.palette) == 2 and len(panel.rows) == 2
    red = doc.palette[0].ab
    assert red[0] > 30  # a red colour has a clearly positive a
    qtbot.mouseClick(panel.rows[0].chip, Qt.MouseButton.LeftButton)  # edit: now green
    assert doc.palette[0].ab[0] < 0
    qtbot.mouseClick(panel.rows[1].remove, Qt.MouseButton.LeftButton)
    assert len(doc.palette) == 1 and len(panel.rows) == 1
    doc.undo_stack.undo()
    assert len(doc.palette) == 2
    doc.undo_stack.undo()
    assert doc.palette[0].ab == red
    doc.undo_stack.redo()
    doc.undo_stack.redo()
    assert len(doc.palette) == 1
    qtbot.mouseClick(panel.clear_button, Qt.MouseButton.LeftButton)
    assert doc.palette == ()
    doc.undo_stack.undo()
    assert len(doc.palette) == 1


def test_weight_slider(qtbot, window, panel) -> None:
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    panel.rows[1].slider.setValue(25)
    assert window.doc.palette[1].weight == pytest.approx(0.25)
    assert panel.rows[0].share.text() == "80%"
    window.doc.undo_stack.undo()
    assert window.doc.palette[1].weight == pytest.approx(1.0)
    assert panel.rows[1].slider.value() == 100


def test_saturation_off_on_and_undo(qtbot, window, panel) -> None:
    doc = window.doc
    assert doc.hints.saturation is None and not panel.sat_slider.isEnabled()
    panel.sat_check.setChecked(True)
    assert doc.hints.saturation == pytest.approx(0.5)
    panel.sat_slider.setValue(80)
    assert doc.hints.saturation == pytest.approx(0.8)
    assert panel.sat_value.text() == "80%"
    panel.sat_check.setChecked(False)
    assert doc.hints.saturation is None and panel.sat_value.text() == "auto"
    doc.undo_stack.undo()
    assert doc.hints.saturation == pytest.approx(0.8) and panel.sat_check.isChecked()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.hints.saturation is None and not panel.sat_check.isChecked()


def test_palette_from_reference_photo(qtbot, window, panel, tmp_path) -> None:
    ref = np.zeros((60, 90, 3), np.uint8)
    ref[:, :30] = (200, 40, 30)
    ref[:, 30:60] = (30, 60, 200)
    ref[:, 60:] = (40, 170, 60)
    path = tmp_path / "ref.png"
    Image.fromarray(ref).save(path)
    with qtbot.waitSignal(window.editor.palette_loader.loaded, timeout=TIMEOUT_MS):
        panel.referenceRequested.emit(str(path))
        assert window.doc.palette == ()  # read in the background: the window stays live
    pal = window.doc.palette
    assert 3 <= len(pal) <= 6
    assert sum(c.weight for c in pal) == pytest.approx(1.0)
    hues = {(np.sign(round(c.ab[0] / 20)), np.sign(round(c.ab[1] / 20))) for c in pal}
    assert len(hues) >= 3  # red, blue and green all found
    window.doc.undo_stack.undo()
    assert window.doc.palette == ()

    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((20, 20), 128, np.uint8)).save(grey)
    with qtbot.waitSignal(window.editor.palette_loader.loaded, timeout=TIMEOUT_MS):
        panel.referenceRequested.emit(str(grey))
    assert window.doc.palette == ()  # a grey reference has no colours to offer


def test_a_palette_read_for_the_last_photo_is_not_given_to_the_next(
    qtbot, window, panel, photo, tmp_path, monkeypatch
) -> None:
    ref = tmp_path / "red.png"
    Image.fromarray(np.full((40, 40, 3), (200, 40, 30), np.uint8)).save(ref)
    release = threading.Event()
    loader = window.editor.palette_loader
    read = loader._work
    monkeypatch.setattr(loader, "_work", lambda p: release.wait(30) and read(p))
    panel.referenceRequested.emit(str(ref))
    window.doc.undo_stack.setClean()
    other = tmp_path / "other.png"
    Image.open(photo).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(other)
    open_photo(qtbot, window, other)
    with qtbot.waitSignal(window.editor.palette_loader.loaded, timeout=TIMEOUT_MS):
        release.set()
    assert window.doc.path == other and window.doc.palette == ()
    with qtbot.waitSignal(window.editor.palette_loader.loaded, timeout=TIMEOUT_MS):
        panel.referenceRequested.emit(str(ref))  # asked for this photo: given to it
    assert len(window.doc.palette) >= 1 and window.doc.palette[0].ab[0] > 30


def test_a_photo_that_cannot_be_read_for_a_palette_is_explained(
    qtbot, window, panel, tmp_path, monkeypatch
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a photo")
    told = []
    monkeypatch.setattr(window, "error", lambda title, text: told.append(title))
    with qtbot.waitSignal(window.editor.palette_loader.failed, timeout=TIMEOUT_MS):
        panel.referenceRequested.emit(str(bad))
    assert told == ["Cannot open the reference photo"] and window.doc.palette == ()
