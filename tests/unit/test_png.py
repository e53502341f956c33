"""The PNG writer (model.io.png, model.io.deflate): exact round trips at 8 and 16 bits in
every channel layout, whatever the slicing and the number of threads, with ISA-L or zlib."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pytest
from PIL import Image

import model.io.deflate as deflate
from model.io.deflate import adler32_combine
from model.io.png import encode_png


def _photo(dtype: type, channels: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    ramp = np.linspace(0, top, 53)[None, :] + np.arange(37)[:, None] * 3
    pixels = np.where(np.arange(37)[:, None] % 4 == 0, rng.integers(0, top, (37, 53)), ramp)
    pixels = np.clip(pixels, 0, top).astype(dtype)
    planes = [pixels, pixels[::-1], pixels[:, ::-1], pixels[::-1, ::-1]][:channels]
    return pixels if channels == 1 else np.stack(planes, -1)


def _decode(data: bytes) -> tuple[np.ndarray, Image.Image]:
    """The pixels as a reader gets them: rows un-filtered from the zlib stream."""
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        if kind == b"IHDR":
            header = data[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    depth, color_type = header[8], header[9]
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[color_type]
    bpp = channels * depth // 8
    raw = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(height, -1)
    rows = np.zeros((height, width * bpp), np.int64)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int64)
        prev = rows[y - 1] if y else np.zeros_like(line)
        if kind == 1:
            for x in range(len(line)):
                line[x] = (line[x] + (line[x - bpp] if x >= bpp else 0)) % 256
        elif kind == 2:
            line = (line + prev) % 256
        else:
            assert kind == 0
        rows[y] = line
    out = rows.astype(np.uint8)
    if depth == 16:
        out = out.view(">u2").astype(np.uint16)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return out.reshape(shape), Image.open(io.BytesIO(data))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_round_trip_in_many_slices(
    dtype: type, channels: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pixels = _photo(dtype, channels)
    monkeypatch.setattr(deflate, "SLICE_BYTES", 3 * pixels[0].nbytes)  # 13 slices
    data = encode_png(pixels, None, {"Software": "Huebrush"}, [])
    got, im = _decode(data)
    assert np.array_equal(got, pixels)
    with im:  # and Pillow, an independent reader, agrees (it decodes 8-bit layouts exactly)
        im.load()
        assert im.info.get("Software") == "Huebrush"
        if dtype == np.uint8:
            assert np.array_equal(np.asarray(im), pixels)


def test_threads_do_not_change_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    pixels = _photo(np.uint8, 3, seed=1)
    monkeypatch.setattr(deflate, "SLICE_BYTES", 2 * pixels[0].nbytes)
    monkeypatch.setattr(deflate, "workers", lambda: 1)
    one = encode_png(pixels, b"profile", {}, [(b"pHYs", b"\0" * 9)])
    monkeypatch.setattr(deflate, "workers", lambda: 4)
    assert encode_png(pixels, b"profile", {}, [(b"pHYs", b"\0" * 9)]) == one


def test_zlib_fallback_writes_the_same_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    pixels = _photo(np.uint16, 3, seed=2)
    monkeypatch.setattr(deflate, "_deflate", zlib)
    monkeypatch.setattr(deflate, "LEVEL", 1)
    assert np.array_equal(_decode(encode_png(pixels, None, {}, []))[0], pixels)


def test_both_filters_are_chosen_where_they_win() -> None:
    pixels = _photo(np.uint8, 1, seed=3)
    data = encode_png(pixels, None, {}, [])
    idat = data[data.index(b"IDAT") + 4 : data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    assert set(raw[:: pixels.shape[1] + 1]) == {1, 2}


def test_adler32_combine_matches_zlib() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.bytes(100_003), rng.bytes(70_001)
    assert adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)
    assert adler32_combine(1, zlib.adler32(b), len(b)) == zlib.adler32(b)


def test_rejects_float_pixels() -> None:
    with pytest.raises(ValueError):
        encode_png(np.zeros((4, 4, 3), np.float32), None, {}, [])
