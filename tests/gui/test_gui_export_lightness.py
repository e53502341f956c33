"""The GUI's export keeps the photo's lightness: colour is added, L is never changed.

Through MainWindow.export (the worker's full-resolution render and save), not only the core:
an 8-bit colour photo (recoloured from its L) and 16-bit grey PNG/TIFF scans, which must come
out 16-bit with L equal to the input's within 16-bit rounding. The photos are larger than the
network's working size, so the edge-aware upsampling path is the one exercised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, open_photo, wait_rendered

from gui.mainwindow import MainWindow
from model.io.load import load_image
from model.io.save import save_image

H, W = 300, 450
# Rounding one sRGB channel by half a step moves L by at most ~70 * 0.5 / maxval (the steepest
# part of L(sRGB) is near black): ~0.14 at 8 bits, ~5e-4 at 16 bits.
L_TOL_8 = 0.5
L_TOL_16 = 2e-3


def colour_photo(seed: int = 0) -> np.ndarray:
    """uint8 RGB: hue and lightness ramps, saturated blocks, pure black and white, grain."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W] / np.array([H, W])[:, None, None]
    rgb = np.stack([0.1 + 0.8 * x, 0.9 - 0.8 * y, 0.5 + 0.4 * np.sin(9 * x * y)], -1)
    rgb[40:120, 60:200] = (0.95, 0.1, 0.05)
    rgb[150:260, 250:420] = (0.05, 0.3, 0.95)
    rgb[:20, :20], rgb[-20:, -20:] = 0.0, 1.0
    rgb += rng.normal(0, 0.02, rgb.shape)
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


def grey16(seed: int = 1) -> np.ndarray:
    """uint16 grey with detail below the 8-bit step, from black to white."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W]
    g = 65535 * (x / (W - 1)) ** 1.5 + 900 * np.sin(y / 5.0) + rng.normal(0, 40, (H, W))
    return np.clip(np.rint(g), 0, 65535).astype(np.uint16)


def export_through_gui(qtbot, window: MainWindow, src: Path, out: Path) -> None:
    open_photo(qtbot, window, src)
    for fx, fy, ab in ((0.2, 0.3, (40.0, 50.0)), (0.7, 0.6, (-30.0, -45.0)), (0.5, 0.9, (60, 0))):
        window.doc.add_point(fx, fy, ab, 7)
    wait_rendered(qtbot, window)
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS) as blocker:
        assert window.exports.export(out)
    assert blocker.args == [str(out)]


def test_colour_photo_export_keeps_lightness(qtbot, window, tmp_path: Path) -> None:
    src = tmp_path / "colour.png"
    save_image(src, colour_photo())
    out = tmp_path / "colour_color.png"
    export_through_gui(qtbot, window, src, out)
    before, after = load_image(src), load_image(out)
    assert not before.is_grayscale and after.bit_depth == 8
    assert after.rgb.shape == before.rgb.shape
    # The colours really changed (recoloured from L), the lightness did not.
    assert np.abs(after.rgb - before.rgb).mean() > 0.02
    diff = np.abs(after.L - before.L)
    assert diff.max() < L_TOL_8, diff.max()
    assert diff.mean() < 0.1


@pytest.mark.parametrize(("src_suffix", "out_suffix"), [(".png", ".png"), (".tif", ".tif")])
def test_sixteen_bit_grey_export_keeps_lightness(
    qtbot, window, tmp_path: Path, src_suffix: str, out_suffix: str
) -> None:
    src = tmp_path / f"scan{src_suffix}"
    save_image(src, grey16(), bit_depth=16)
    before = load_image(src)
    assert before.bit_depth == 16 and before.is_grayscale
    out = tmp_path / f"scan_color{out_suffix}"
    export_through_gui(qtbot, window, src, out)
    after = load_image(out)
    assert after.bit_depth == 16 and not after.is_grayscale
    assert after.rgb.shape == (H, W, 3)
    diff = np.abs(after.L - before.L)
    # 8-bit output would be off by up to ~0.14 here: this tolerance only 16 bits can meet.
    assert diff.max() < L_TOL_16, diff.max()
    # And the 16-bit detail is really there: far more distinct levels than 8 bits can hold.
    assert np.unique(np.rint(after.rgb[..., 1] * 65535)).size > 4 * 256
