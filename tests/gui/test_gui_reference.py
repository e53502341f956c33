"""The reference photo panel: shown beside the work, clicked to colour the points."""

from __future__ import annotations

import numpy as np
import pytest
from guihelpers import LEFT, NO_MOD, TIMEOUT_MS, open_photo
from PIL import Image
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtTest import QTest

from gui.colours import snapped
from gui.reference import SHOWN_MAX_SIDE, shown_reference
from model.colour.colorspace import rgb_to_lab

RED, BLUE = (200, 40, 30), (30, 60, 200)


@pytest.fixture
def reference(tmp_path):
    """A colour photo: red on the left, blue on the right."""
    rgb = np.zeros((60, 90, 3), np.uint8)
    rgb[:, :45], rgb[:, 45:] = RED, BLUE
    path = tmp_path / "reference.png"
    Image.fromarray(rgb).save(path)
    return path


def ab_of(rgb: tuple[int, int, int]) -> np.ndarray:
    return rgb_to_lab(np.array(rgb, np.float64) / 255.0)[1:]


def test_shown_reference_is_small_and_knows_its_colours() -> None:
    rgb = np.zeros((1500, 3000, 3), np.float32)
    rgb[:, :1500] = np.array(RED) / 255.0
    image, ab = shown_reference(rgb)
    assert (image.width(), image.height()) == (SHOWN_MAX_SIDE, SHOWN_MAX_SIDE // 2)
    assert ab.shape == (SHOWN_MAX_SIDE // 2, SHOWN_MAX_SIDE, 2)
    assert ab[10, 10] == pytest.approx(ab_of(RED), abs=0.5)
    assert ab[10, -10] == pytest.approx([0.0, 0.0], abs=0.01)
    assert image.pixelColor(10, 10).getRgb()[:3] == RED


def test_clicking_the_reference_colours_the_selected_points(
    qtbot, window, photo, reference, tmp_path, factory
) -> None:
    open_photo(qtbot, window, photo)
    assert not window.reference_dock.isVisible()
    with qtbot.waitSignal(window.files.reference_loader.loaded, timeout=TIMEOUT_MS):
        window.files.open_reference(reference)  # in the background
    assert window.reference_dock.isVisible() and window.reference.name.text() == (
        "<b>reference.png</b>"
    )
    view = window.reference.view
    r = view.target()
    left = QPoint(round(r.left() + r.width() * 0.2), round(r.center().y()))
    right = QPoint(round(r.left() + r.width() * 0.8), round(r.center().y()))
    # Nothing selected: the colour is kept in Recent for later.
    QTest.mouseClick(view, LEFT, NO_MOD, left)
    assert window.doc.points == ()
    assert window.editor.recent_colours[0] == pytest.approx(ab_of(RED), abs=0.5)
    window.doc.add_point(0.3, 0.3, (0.0, 0.0))
    window.doc.add_point(0.7, 0.7, (0.0, 0.0))
    window.doc.select_all()
    QTest.mouseClick(view, LEFT, NO_MOD, right)
    p = window.doc.selected_point
    want = snapped(window.editor.lightness_at(p.x, p.y), tuple(ab_of(BLUE)))
    assert window.doc.points[0].ab == window.doc.points[1].ab == pytest.approx(want, abs=0.01)
    # Hovering names the colour under the pointer.
    QTest.mouseMove(view, left)
    assert "click to use it" in window.reference.info.text()
    # Remembered for the next start, loaded when its panel is first shown there.
    assert window.settings.value("reference_photo") == str(reference)
    from gui.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("reference_photo") == str(reference)
    other = MainWindow(factory, settings=settings, data_dir=tmp_path / "d2", threads=1)
    try:
        assert other.reference.view.image is None
        other.show()
        other.reference_dock.toggleViewAction().trigger()
        qtbot.waitUntil(lambda: other.reference.view.image is not None, timeout=TIMEOUT_MS)
    finally:
        other.close()
    window.files.close_reference()
    assert window.reference.view.image is None and window.settings.value("reference_photo") is None


def test_a_reference_that_cannot_be_read_is_explained(qtbot, window, tmp_path, monkeypatch) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"not a photo")
    told = []
    monkeypatch.setattr(window, "error", lambda title, text: told.append(title))
    with qtbot.waitSignal(window.files.reference_loader.failed, timeout=TIMEOUT_MS):
        window.files.open_reference(bad)
    assert told == ["Cannot open the reference photo"] and window.reference.view.image is None
