"""TIFF exports: strips differenced and deflated on all cores, then written by tifffile as
they are; tifffile and Pillow read back exactly what was given, in any number of strips."""

from __future__ import annotations

import io

import numpy as np
import pytest
import tifffile
from PIL import Image

import model.io.deflate as deflate
from model.io.photometa import NO_META
from model.io.tiff import encode_tiff


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_strips_round_trip(dtype: type, channels: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(channels)
    top = np.iinfo(dtype).max
    shape = (29, 41) if channels == 1 else (29, 41, channels)
    pixels = rng.integers(0, top + 1, shape).astype(dtype)
    pixels[5:9] = top  # flat rows, where the differences are 0
    monkeypatch.setattr(deflate, "SLICE_BYTES", 3 * pixels[0].nbytes)  # 10 strips
    data = encode_tiff(pixels, None, None, NO_META)
    with tifffile.TiffFile(io.BytesIO(data)) as tif:
        page = tif.pages.first
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
        assert page.predictor == tifffile.PREDICTOR.HORIZONTAL
        assert len(page.dataoffsets) == 10
        assert np.array_equal(page.asarray(), pixels)
    if dtype == np.uint8 and channels in (1, 3):
        with Image.open(io.BytesIO(data)) as im:  # libtiff, an independent reader
            assert np.array_equal(np.asarray(im), pixels)
