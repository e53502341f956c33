"""Grey photos load through a table of the levels' lightness and one float plane: the same
L and pixels as the per-pixel conversion, for 8- and 16-bit grey and RGB with equal channels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.colour.colorspace import rgb_to_l
from model.io.load import load_image


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("layout", ["grey", "rgb-equal"])
def test_grey_lightness_is_the_per_pixel_conversion(dtype: type, layout: str) -> None:
    rng = np.random.default_rng(0)
    gray = rng.integers(0, np.iinfo(dtype).max + 1, (31, 47)).astype(dtype)
    img = load_image(gray if layout == "grey" else np.stack([gray] * 3, -1))
    rgb = np.stack([gray.astype(np.float32) / np.float32(np.iinfo(dtype).max)] * 3, -1)
    assert np.array_equal(img.rgb, rgb)
    assert np.array_equal(img.L, rgb_to_l(rgb).astype(np.float32))
    assert img.is_grayscale and img.rgb.shape == (31, 47, 3)


def test_colour_photos_keep_their_channels(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rgb8 = rng.integers(0, 256, (20, 30, 3)).astype(np.uint8)
    Image.fromarray(rgb8).save(tmp_path / "c.png")
    img = load_image(tmp_path / "c.png")
    assert not img.is_grayscale
    assert np.array_equal(np.rint(img.rgb * 255).astype(np.uint8), rgb8)
    assert np.allclose(img.L, rgb_to_l(rgb8 / 255.0), atol=1e-4)


def test_a_grey_jpeg_from_disk(tmp_path: Path) -> None:
    gray = (np.arange(64 * 48) % 251).astype(np.uint8).reshape(48, 64)
    Image.fromarray(gray).save(tmp_path / "g.jpg", quality=100)
    img = load_image(tmp_path / "g.jpg")
    decoded = np.asarray(Image.open(tmp_path / "g.jpg")).astype(np.float32) / np.float32(255)
    assert np.array_equal(img.rgb[..., 1], decoded)
    assert np.array_equal(img.L, rgb_to_l(np.stack([decoded] * 3, -1)).astype(np.float32))
