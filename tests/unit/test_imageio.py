"""Tests for model.io's loading and saving: every Pillow mode, 16-bit precision, orientation,
ICC, bad files."""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import subprocess
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageFile, ImageOps

from model.colour.colorspace import rgb_to_l
from model.io import pixels
from model.io import save as io_save
from model.io.errors import ImageLoadError, ImageSaveError
from model.io.load import load_image
from model.io.naming import output_path_for
from model.io.save import save_image
from model.io.text import read_metadata

# --------------------------------------------------------------------------- helpers


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# Adam7 passes: (x0, y0, dx, dy) of each reduced image, in file order.
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


def _write_png16(
    path: Path, arr: np.ndarray, color_type: int, extra: bytes = b"", adam7: bool = False
) -> None:
    """A minimal 16-bit PNG writer (filter 0, optionally Adam7-interlaced, which Pillow
    cannot write), independent of the code under test."""
    h, w = arr.shape[:2]
    data = b""
    for x0, y0, dx, dy in _ADAM7 if adam7 else ((0, 0, 1, 1),):
        sub = arr[y0::dy, x0::dx].astype(">u2")
        if sub.size:  # small images have empty passes, which the file leaves out
            raw = sub.reshape(sub.shape[0], -1).view(np.uint8)
            data += b"".join(b"\0" + row.tobytes() for row in raw)
    ihdr = struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, int(adam7))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + extra
        + _png_chunk(b"IDAT", zlib.compress(data))
        + _png_chunk(b"IEND", b"")
    )


def _tiff_lzw(data: bytes) -> bytes:
    """TIFF LZW (MSB-first codes of 9-12 bits, early change, Clear when the table is full)."""
    table = {bytes([i]): i for i in range(256)}
    nxt, width, acc, nacc = 258, 9, 0, 0
    out = bytearray()

    def put(code: int) -> None:
        nonlocal acc, nacc
        acc, nacc = (acc << width) | code, nacc + width
        while nacc >= 8:
            nacc -= 8
            out.append((acc >> nacc) & 0xFF)
        acc &= (1 << nacc) - 1

    put(256)
    w = b""
    for byte in data:
        wc = w + bytes([byte])
        if wc in table:
            w = wc
            continue
        put(table[w])
        table[wc], nxt = nxt, nxt + 1
        if nxt == 4094:
            put(256)
            table, nxt, width = {bytes([i]): i for i in range(256)}, 258, 9
        elif nxt == 1 << width:  # the decoder adds entries one code later: "early change"
            width += 1
        w = bytes([byte])
    if w:
        put(table[w])
    put(257)
    if nacc:
        out.append((acc << (8 - nacc)) & 0xFF)
    return bytes(out)


def _write_tiff16_lzw(path: Path, arr: np.ndarray) -> None:
    """A minimal little-endian 16-bit RGB TIFF, one LZW strip (tifffile needs imagecodecs)."""
    h, w = arr.shape[:2]
    strip = _tiff_lzw(arr.astype("<u2").tobytes())
    n_tags = 10
    bps_at = 8 + 2 + n_tags * 12 + 4
    strip_at = bps_at + 6
    tags = [
        (256, 3, 1, w),
        (257, 3, 1, h),
        (258, 3, 3, bps_at),
        (259, 3, 1, 5),  # LZW
        (262, 3, 1, 2),  # RGB
        (273, 4, 1, strip_at),
        (277, 3, 1, 3),
        (278, 3, 1, h),
        (279, 4, 1, len(strip)),
        (284, 3, 1, 1),
    ]
    out = b"II*\0" + struct.pack("<IH", 8, n_tags)
    for tag, typ, count, value in tags:
        packed = (
            struct.pack("<HH", value, 0) if typ == 3 and count == 1 else struct.pack("<I", value)
        )
        out += struct.pack("<HHI", tag, typ, count) + packed
    path.write_bytes(out + struct.pack("<I", 0) + struct.pack("<HHH", 16, 16, 16) + strip)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def _icc_profile(name: str, space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """A minimal ICC v2 display profile: header, tag table, desc/cprt/wtpt plus `tags`."""
    text = name.encode("ascii") + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 78
    tags = [
        (b"desc", desc),
        (b"cprt", b"text\0\0\0\0none\0"),
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        *tags,
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += sig + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        struct.pack(">I", offset + len(body))
        + b"none"
        + bytes([2, 0x10, 0, 0])
        + b"mntr"
        + space
        + b"XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + _xyz(0.9642, 1.0, 0.8249)[8:]  # PCS illuminant D50
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def _curve(gamma: float) -> bytes:
    return b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"


def _rgb_profile(name: str, red: tuple, green: tuple, blue: tuple) -> bytes:
    """A matrix/TRC RGB profile (gamma 2.2) with the given D50 colourants."""
    trc = _curve(2.2)
    colourants = [(b"rXYZ", _xyz(*red)), (b"gXYZ", _xyz(*green)), (b"bXYZ", _xyz(*blue))]
    return _icc_profile(
        name, b"RGB ", [*colourants, (b"rTRC", trc), (b"gTRC", trc), (b"bTRC", trc)]
    )


# sRGB's D50-adapted colourants; swapping red and green makes a profile whose "red" is green.
_R = (0.4360, 0.2225, 0.0139)
_G = (0.3851, 0.7169, 0.0971)
_B = (0.1431, 0.0606, 0.7141)


def _srgb_profile_bytes() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _u8(rgb: np.ndarray) -> np.ndarray:
    return np.rint(rgb * 255).astype(np.uint8)


# --------------------------------------------------------------------------- every mode


def test_mode_1(tmp_path: Path) -> None:
    bits = _rng().random((5, 7)) > 0.5
    path = tmp_path / "bits.png"
    Image.fromarray(bits).save(path)
    assert Image.open(path).mode == "1"
    img = load_image(path)
    assert img.rgb.shape == (5, 7, 3) and img.rgb.dtype == np.float32
    assert np.array_equal(img.rgb[..., 0], bits.astype(np.float32))
    assert img.is_grayscale and img.bit_depth == 8 and img.alpha is None


def test_mode_l_and_lightness(tmp_path: Path) -> None:
    gray = _rng().integers(0, 256, (6, 9), dtype=np.uint8)
    path = tmp_path / "gray.png"
    Image.fromarray(gray).save(path)
    img = load_image(path)
    assert img.is_grayscale and img.bit_depth == 8 and img.alpha is None
    for c in range(3):
        assert np.array_equal(img.rgb[..., c], gray.astype(np.float32) / 255)
    assert img.L.dtype == np.float32 and img.L.shape == (6, 9)
    np.testing.assert_allclose(img.L, rgb_to_l(img.rgb.astype(np.float64)), atol=1e-4)
    assert img.source == str(path) and img.icc_profile is None and img.notes == ()


def test_mode_la(tmp_path: Path) -> None:
    data = _rng().integers(0, 256, (4, 5, 2), dtype=np.uint8)
    path = tmp_path / "la.png"
    Image.fromarray(data, "LA").save(path)
    img = load_image(path)
    assert img.is_grayscale and img.alpha is not None
    assert np.array_equal(_u8(img.alpha), data[..., 1])
    assert np.array_equal(_u8(img.rgb[..., 2]), data[..., 0])


def test_mode_p_without_transparency(tmp_path: Path) -> None:
    rgb = _rng().integers(0, 256, (6, 6, 3), dtype=np.uint8)
    pal = Image.fromarray(rgb).quantize(8)
    path = tmp_path / "pal.png"
    pal.save(path)
    assert Image.open(path).mode == "P"
    img = load_image(path)
    expected = np.asarray(pal.convert("RGB"))
    assert np.array_equal(_u8(img.rgb), expected)
    assert img.alpha is None and not img.is_grayscale and img.bit_depth == 8


def test_mode_p_with_transparency(tmp_path: Path) -> None:
    idx = np.zeros((4, 4), np.uint8)
    idx[1:3, 1:3] = 1
    pal = Image.fromarray(idx, "P")
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    path = tmp_path / "palt.png"
    pal.save(path, transparency=1)
    img = load_image(path)
    assert img.alpha is not None
    assert np.array_equal(img.alpha == 0, idx == 1)
    assert np.array_equal(_u8(img.rgb[0, 0]), [255, 0, 0])


def test_palette_of_grays_is_grayscale(tmp_path: Path) -> None:
    idx = _rng().integers(0, 4, (5, 5), dtype=np.uint8)
    pal = Image.fromarray(idx, "P")
    pal.putpalette([0, 0, 0, 90, 90, 90, 170, 170, 170, 255, 255, 255])
    path = tmp_path / "grays.png"
    pal.save(path)
    assert Image.open(path).mode == "P"
    assert load_image(path).is_grayscale
    pal.putpalette([0, 0, 0, 90, 90, 91, 170, 170, 170, 255, 255, 255])
    pal.save(path)
    assert not load_image(path).is_grayscale


def test_mode_rgb_and_rgba(tmp_path: Path) -> None:
    rgba = _rng().integers(0, 256, (5, 8, 4), dtype=np.uint8)
    Image.fromarray(rgba[..., :3]).save(tmp_path / "rgb.png")
    Image.fromarray(rgba).save(tmp_path / "rgba.png")
    rgb_img = load_image(tmp_path / "rgb.png")
    assert np.array_equal(_u8(rgb_img.rgb), rgba[..., :3]) and rgb_img.alpha is None
    assert not rgb_img.is_grayscale
    rgba_img = load_image(tmp_path / "rgba.png")
    assert np.array_equal(_u8(rgba_img.rgb), rgba[..., :3])
    assert rgba_img.alpha is not None and np.array_equal(_u8(rgba_img.alpha), rgba[..., 3])


def test_rgb_with_equal_channels_is_grayscale(tmp_path: Path) -> None:
    gray = _rng().integers(0, 256, (5, 5), dtype=np.uint8)
    path = tmp_path / "grayrgb.png"
    Image.fromarray(np.dstack([gray] * 3)).save(path)
    assert load_image(path).is_grayscale
    tinted = np.dstack([gray, gray, gray]).copy()
    tinted[2, 2, 0] ^= 1
    Image.fromarray(tinted).save(path)
    assert not load_image(path).is_grayscale


def test_mode_cmyk(tmp_path: Path) -> None:
    cmyk = Image.new("CMYK", (6, 4), (0, 255, 255, 0))  # pure red ink mix
    path = tmp_path / "cmyk.tif"
    cmyk.save(path)
    img = load_image(path)
    assert img.rgb.shape == (4, 6, 3)
    assert any("CMYK" in n for n in img.notes)
    r, g, b = _u8(img.rgb[0, 0]).astype(int)
    assert r > 200 and g < 60 and b < 60


def test_mode_ycbcr_pil_input() -> None:
    rgb = _rng().integers(0, 256, (4, 4, 3), dtype=np.uint8)
    ycc = Image.fromarray(rgb).convert("YCbCr")
    img = load_image(ycc)
    expected = np.asarray(ycc.convert("RGB"))
    assert np.array_equal(_u8(img.rgb), expected) and img.source == "<PIL image>"


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L"])
def test_mode_i16_keeps_precision(mode: str) -> None:
    values = np.array([[1000, 1001, 1002], [65535, 0, 40000]], dtype=np.uint16)
    dtype = {"I;16": "<u2", "I;16L": "<u2", "I;16B": ">u2"}[mode]
    im = Image.frombytes(mode, (3, 2), values.astype(dtype).tobytes())
    assert im.mode == mode
    img = load_image(im)
    assert img.bit_depth == 16 and img.is_grayscale
    assert np.array_equal(np.rint(img.rgb[..., 1] * 65535).astype(np.uint16), values)
    assert len(np.unique(img.rgb[0, :, 0])) == 3  # 1/65535 apart, still distinct
    assert np.all(np.diff(img.L[0]) > 0)


def test_i16_png_file(tmp_path: Path) -> None:
    values = _rng().integers(0, 65536, (5, 6), dtype=np.uint16)
    path = tmp_path / "g16.png"
    Image.fromarray(values).save(path)
    img = load_image(path)
    assert img.bit_depth == 16
    assert np.array_equal(np.rint(img.rgb[..., 0] * 65535).astype(np.uint16), values)


def test_mode_i_ranges() -> None:
    wide = Image.fromarray(np.array([[0, 300, 65535]], dtype=np.int32))
    assert wide.mode == "I"
    img = load_image(wide)
    np.testing.assert_allclose(img.rgb[0, :, 0], [0, 300 / 65535, 1.0], rtol=1e-6)
    assert img.bit_depth == 16 and img.is_grayscale
    narrow = load_image(Image.fromarray(np.array([[0, 128, 255]], dtype=np.int32)))
    np.testing.assert_allclose(narrow.rgb[0, :, 0], [0, 128 / 255, 1.0], rtol=1e-6)
    huge = load_image(Image.fromarray(np.array([[-5, 70000]], dtype=np.int32)))
    assert huge.rgb[0, 0, 0] == 0 and huge.rgb[0, 1, 0] == 1
    assert any("clipped" in n for n in huge.notes)


def test_mode_f_ranges() -> None:
    unit = load_image(Image.fromarray(np.array([[0.0, 0.25, 1.0]], dtype=np.float32)))
    np.testing.assert_allclose(unit.rgb[0, :, 0], [0, 0.25, 1])
    assert unit.bit_depth == 16 and unit.notes == ()
    eight = load_image(Image.fromarray(np.array([[0.0, 51.0, 255.0]], dtype=np.float32)))
    np.testing.assert_allclose(eight.rgb[0, :, 0], [0, 0.2, 1], rtol=1e-6)
    sixteen = load_image(Image.fromarray(np.array([[0.0, 65535.0]], dtype=np.float32)))
    np.testing.assert_allclose(sixteen.rgb[0, :, 0], [0, 1])
    nan = load_image(Image.fromarray(np.array([[np.nan, 0.5]], dtype=np.float32)))
    assert nan.rgb[0, 0, 0] == 0 and any("NaN" in n for n in nan.notes)


# --------------------------------------------------------------------------- 16-bit files


@pytest.mark.parametrize(("color_type", "channels"), [(2, 3), (6, 4), (4, 2)])
def test_png16_keeps_precision(tmp_path: Path, color_type: int, channels: int) -> None:
    data = _rng(color_type).integers(0, 65536, (7, 9, channels), dtype=np.uint16)
    data[0, 0, 0], data[0, 1, 0] = 30000, 30001  # one step apart
    path = tmp_path / f"c{color_type}.png"
    _write_png16(path, data, color_type)
    img = load_image(path)
    assert img.bit_depth == 16
    got = np.rint(img.rgb * 65535).astype(np.uint16)
    if channels == 2:
        assert img.is_grayscale
        assert np.array_equal(got[..., 0], data[..., 0])
        assert np.array_equal(np.rint(img.alpha * 65535).astype(np.uint16), data[..., 1])
    else:
        assert np.array_equal(got, data[..., :3])
        assert img.rgb[0, 0, 0] != img.rgb[0, 1, 0]
    if channels == 4:
        assert np.array_equal(np.rint(img.alpha * 65535).astype(np.uint16), data[..., 3])


def test_png16_rgb_colour_key_transparency(tmp_path: Path) -> None:
    data = _rng(30).integers(0, 65536, (4, 5, 3), dtype=np.uint16)
    key = (1234, 40000, 65535)
    data[1, 2] = key
    data[3, 4] = (1234, 40000, 65534)  # one step off the key: opaque
    path = tmp_path / "trns16.png"
    _write_png16(path, data, 2, _png_chunk(b"tRNS", struct.pack(">HHH", *key)))
    img = load_image(path)
    assert img.alpha is not None and img.bit_depth == 16
    expected = np.ones((4, 5), np.float32)
    expected[1, 2] = 0
    assert np.array_equal(img.alpha, expected)


def test_png16_from_pil_object_notes_precision_loss(tmp_path: Path) -> None:
    data = _rng(31).integers(0, 65536, (3, 4, 3), dtype=np.uint16)
    path = tmp_path / "obj16.png"
    _write_png16(path, data, 2)
    with Image.open(path) as im:
        img = load_image(im)
    assert np.array_equal(_u8(img.rgb), (data >> 8).astype(np.uint8))
    assert any("8-bit precision" in n for n in img.notes)
    assert img.source == "<PIL image>"


def test_cmyk16_tiff_falls_back_to_8bit(tmp_path: Path) -> None:
    data = np.zeros((3, 4, 4), np.uint16)
    data[..., 1:3] = 65535  # magenta + yellow = red
    path = tmp_path / "cmyk16.tif"
    tifffile.imwrite(path, data, photometric="separated")
    img = load_image(path)
    assert any("8-bit precision" in n for n in img.notes)
    assert any("CMYK" in n for n in img.notes)
    r, g, b = _u8(img.rgb[0, 0]).astype(int)
    assert r > 200 and g < 60 and b < 60


def _imagemagick() -> str | None:
    """ImageMagick's command, if the real one is here (some machines have a stand-in)."""
    for name in ("magick", "convert"):
        exe = shutil.which(name)
        if exe is None:
            continue
        try:
            out = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if out.returncode == 0 and "ImageMagick" in out.stdout:
            return exe
    return None


_MAGICK = _imagemagick()


def _check_interlaced_and_lzw(interlaced: Path, lzw: Path, data: np.ndarray) -> None:
    """Both files are what they claim and load to exactly `data` at 16 bits."""
    with Image.open(interlaced) as im:
        assert im.info.get("interlace")
    with Image.open(lzw) as im:
        assert im.tag_v2[259] == 5  # LZW
    for path in (interlaced, lzw):
        img = load_image(path)
        assert img.bit_depth == 16
        assert np.array_equal(np.rint(img.rgb * 65535).astype(np.uint16), data), path.name


@pytest.mark.skipif(_MAGICK is None, reason="needs ImageMagick to make the test files")
def test_interlaced_png16_and_lzw_tiff16(tmp_path: Path) -> None:
    # Files from another encoder: Adam7-interlaced 16-bit PNG and LZW 16-bit TIFF (the
    # usual scanner/Photoshop output), neither of which the test helpers can write.
    data = _rng(32).integers(0, 65536, (9, 11, 3), dtype=np.uint16)
    src = tmp_path / "src.png"
    _write_png16(src, data, 2)
    interlaced, lzw = tmp_path / "inter.png", tmp_path / "lzw.tif"
    subprocess.run([_MAGICK, str(src), "-interlace", "PNG", str(interlaced)], check=True)
    subprocess.run([_MAGICK, str(src), "-compress", "LZW", str(lzw)], check=True)
    _check_interlaced_and_lzw(interlaced, lzw, data)


@pytest.mark.parametrize("shape", [(9, 11, 3), (1, 1, 3), (3, 2, 3), (60, 70, 3)])
def test_interlaced_png16_and_lzw_tiff16_from_own_writers(
    tmp_path: Path, shape: tuple[int, int, int]
) -> None:
    # The same formats as above without ImageMagick: Adam7 passes that miss small images,
    # and an LZW strip long enough to widen codes to 12 bits and clear the table.
    data = _rng(33).integers(0, 65536, shape, dtype=np.uint16)
    data[: shape[0] // 2] = 1234  # runs, so LZW strings grow long too
    interlaced, lzw = tmp_path / "inter.png", tmp_path / "lzw.tif"
    _write_png16(interlaced, data, 2, adam7=True)
    _write_tiff16_lzw(lzw, data)
    _check_interlaced_and_lzw(interlaced, lzw, data)


@pytest.mark.parametrize(
    ("compression", "byteorder", "planar"),
    [(None, "<", None), (None, ">", None), ("zlib", "<", None), (None, "<", "separate")],
)
def test_tiff16_rgb_keeps_precision(
    tmp_path: Path, compression: str | None, byteorder: str, planar: str | None
) -> None:
    data = _rng(3).integers(0, 65536, (6, 5, 3), dtype=np.uint16)
    data[0, 0] = [1000, 1000, 1000]
    data[0, 1] = [1001, 1000, 1000]
    path = tmp_path / "rgb16.tif"
    tifffile.imwrite(
        path,
        np.moveaxis(data, -1, 0) if planar else data,  # planar data is written (S, H, W)
        photometric="rgb",
        compression=compression,
        byteorder=byteorder,
        planarconfig=planar,
    )
    img = load_image(path)
    assert img.bit_depth == 16 and not img.is_grayscale
    assert np.array_equal(np.rint(img.rgb * 65535).astype(np.uint16), data)
    assert img.L[0, 0] != img.L[0, 1]


def test_tiff16_rgba(tmp_path: Path) -> None:
    data = _rng(4).integers(0, 65536, (4, 5, 4), dtype=np.uint16)
    path = tmp_path / "rgba16.tif"
    tifffile.imwrite(path, data, photometric="rgb", extrasamples=["unassalpha"])
    img = load_image(path)
    assert np.array_equal(np.rint(img.rgb * 65535).astype(np.uint16), data[..., :3])
    assert np.array_equal(np.rint(img.alpha * 65535).astype(np.uint16), data[..., 3])


def test_float_rgb_tiff_via_tifffile(tmp_path: Path) -> None:
    data = _rng(5).random((4, 6, 3), dtype=np.float32)
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, data, photometric="rgb")
    img = load_image(path)
    np.testing.assert_allclose(img.rgb, data, atol=1e-7)
    assert img.bit_depth == 16


# --------------------------------------------------------------------------- round trips


def _png_filter_types(path: Path, row_bytes: int) -> set[int]:
    data, pos, idat = path.read_bytes(), 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    return set(raw[:: row_bytes + 1])


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png16_round_trip_exact(tmp_path: Path, channels: int) -> None:
    rng = _rng(channels)
    # Noise rows between smooth ramps, so the encoder picks different filters per row.
    ramp = np.linspace(0, 60000, 40)[None, :, None] + np.arange(30)[:, None, None] * 7
    noise = rng.integers(0, 65536, (30, 40, channels))
    data = np.where(np.arange(30)[:, None, None] % 3 == 0, noise, ramp).astype(np.uint16)
    rgb = data[..., 0] if channels in (1, 2) else data[..., :3]
    alpha = data[..., -1] if channels in (2, 4) else None
    path = tmp_path / "rt16.png"
    save_image(path, rgb.astype(np.float32) / 65535, bit_depth=16, alpha=alpha)
    img = load_image(path)
    assert img.bit_depth == 16 and img.is_grayscale == (channels <= 2)
    got = np.rint(img.rgb * 65535).astype(np.uint16)
    assert np.array_equal(got[..., 0] if rgb.ndim == 2 else got, rgb)
    if alpha is not None:
        assert np.array_equal(np.rint(img.alpha * 65535).astype(np.uint16), alpha)
    assert len(_png_filter_types(path, 40 * 2 * channels) - {0}) >= 2
    # Plain Pillow (8-bit decode, no tricks) reads the same file: it is a valid PNG.
    with Image.open(path) as check:
        check.load()
        if channels == 3:
            assert np.array_equal(np.asarray(check), (rgb >> 8).astype(np.uint8))
        if channels == 1:
            assert np.array_equal(np.asarray(check), rgb)


def test_save_loaded_16bit_round_trip(tmp_path: Path) -> None:
    data = _rng(8).integers(0, 65536, (6, 7, 3), dtype=np.uint16)
    src = tmp_path / "src16.png"
    _write_png16(src, data, 2)
    first = load_image(src)
    for suffix in (".png", ".tif"):
        out = tmp_path / f"out16{suffix}"
        save_image(out, first.rgb, bit_depth=first.bit_depth)
        again = load_image(out)
        assert again.bit_depth == 16
        assert np.array_equal(again.rgb, first.rgb), suffix


def test_tiff16_round_trip_with_alpha_and_gray(tmp_path: Path) -> None:
    gray = _rng(9).integers(0, 65536, (5, 4), dtype=np.uint16)
    alpha = _rng(10).integers(0, 65536, (5, 4), dtype=np.uint16)
    path = tmp_path / "ga16.tif"
    save_image(path, gray, bit_depth=16, alpha=alpha)
    img = load_image(path)
    assert img.is_grayscale and img.bit_depth == 16
    assert np.array_equal(np.rint(img.rgb[..., 0] * 65535).astype(np.uint16), gray)
    assert np.array_equal(np.rint(img.alpha * 65535).astype(np.uint16), alpha)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp", ".webp"])
def test_8bit_lossless_round_trip(tmp_path: Path, suffix: str) -> None:
    data = _rng(11).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    path = tmp_path / f"rt8{suffix}"
    save_image(path, data.astype(np.float32) / 255, quality=100)
    img = load_image(path)
    assert img.bit_depth == 8
    assert np.array_equal(_u8(img.rgb), data)


def test_jpeg_save_drops_alpha(tmp_path: Path) -> None:
    rgb = np.full((8, 8, 3), 0.5, np.float32)
    path = tmp_path / "out.jpg"
    save_image(path, rgb, bit_depth=16, alpha=np.zeros((8, 8), np.float32), quality=90)
    with Image.open(path) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
    img = load_image(path)
    assert img.alpha is None and np.abs(img.rgb - 0.5).max() < 2 / 255


def test_save_rejects_bad_input(tmp_path: Path) -> None:
    rgb = np.zeros((2, 2, 3), np.float32)
    with pytest.raises(ImageSaveError, match=r"out\.gif: .*\.png"):
        save_image(tmp_path / "out.gif", rgb)
    with pytest.raises(ImageSaveError, match="folder does not exist"):
        save_image(tmp_path / "missing" / "out.png", rgb)
    with pytest.raises(ValueError, match="bit_depth"):
        save_image(tmp_path / "out.png", rgb, bit_depth=12)
    with pytest.raises(ValueError, match="rgb must be"):
        save_image(tmp_path / "out.png", np.zeros((2, 2, 5), np.float32))
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(ImageSaveError, match="is a folder"):
        save_image(tmp_path / "dir.png", rgb)


def test_save_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(path: Path, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(io_save, "atomic_write_bytes", deny)
    with pytest.raises(ImageSaveError, match=r"^out\.png: permission denied$"):
        save_image(tmp_path / "out.png", np.zeros((2, 2, 3), np.float32))


def test_save_is_atomic_and_respects_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    path.write_bytes(b"old")
    rgb = _rng(12).random((4, 4, 3), dtype=np.float32)
    with pytest.raises(ImageSaveError, match="already exists"):
        save_image(path, rgb, overwrite=False)
    assert path.read_bytes() == b"old"
    save_image(path, rgb)
    save_image(path, rgb, bit_depth=16)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]  # no temp files left
    assert load_image(path).bit_depth == 16


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saved_files_get_the_umasks_permissions_or_keep_their_own(tmp_path: Path) -> None:
    rgb = np.zeros((2, 2, 3), np.float32)
    old = os.umask(0o027)
    try:
        save_image(tmp_path / "new.png", rgb)
    finally:
        os.umask(old)
    # Not mkstemp's owner-only 0600: others in the group may read an export.
    assert stat.S_IMODE(os.stat(tmp_path / "new.png").st_mode) == 0o640
    kept = tmp_path / "kept.png"
    kept.write_bytes(b"old")
    os.chmod(kept, 0o604)
    save_image(kept, rgb)
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o604
    assert load_image(kept).width == 2


def test_failed_encode_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> bytes:
        raise OSError("encoder exploded")

    monkeypatch.setattr(io_save, "encode", boom)
    with pytest.raises(ImageSaveError, match="encoder exploded"):
        save_image(tmp_path / "out.png", np.zeros((2, 2, 3), np.float32))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- metadata


def test_png_metadata_round_trip(tmp_path: Path) -> None:
    meta = {
        "Software": "Huebrush 0.1",
        "Title": "café",  # Latin-1: tEXt
        "Comment": "фото 写真",  # not Latin-1: iTXt
        "Hints": "x" * 5000,  # long: compressed
    }
    for depth in (8, 16):
        path = tmp_path / f"meta{depth}.png"
        save_image(path, np.zeros((3, 3, 3), np.float32), bit_depth=depth, metadata=meta)
        with Image.open(path) as im:
            im.load()
            assert {k: str(v) for k, v in im.text.items()} == meta
        assert read_metadata(path) == meta


@pytest.mark.parametrize("depth", [8, 16])
def test_tiff_metadata_round_trip(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "meta.tif"
    meta = {"Software": "Huebrush 0.1", "Description": "colourised", "Artist": "A. Person"}
    save_image(path, np.zeros((3, 3, 3), np.float32), bit_depth=depth, metadata=meta)
    with Image.open(path) as im:
        assert im.tag_v2[305] == "Huebrush 0.1"
        assert im.tag_v2[270] == "colourised"
        assert im.tag_v2[315] == "A. Person"
    assert read_metadata(path) == meta

    rich = {"Software": "Huebrush", "Description": "ünïcode", "model": "v2"}
    save_image(path, np.zeros((3, 3, 3), np.float32), bit_depth=depth, metadata=rich)
    with Image.open(path) as im:
        assert im.tag_v2[270].isascii()  # JSON with escapes, readable by any TIFF reader
    assert read_metadata(path) == rich


def test_jpeg_metadata_in_exif(tmp_path: Path) -> None:
    path = tmp_path / "meta.jpg"
    meta = {"Software": "Huebrush", "Description": "colourised"}
    save_image(path, np.zeros((3, 3, 3), np.float32), metadata=meta)
    with Image.open(path) as im:
        assert im.getexif()[305] == "Huebrush"
    assert read_metadata(path) == meta


def test_icc_profile_embedded_on_save(tmp_path: Path) -> None:
    icc = _srgb_profile_bytes()
    for suffix, depth in ((".png", 8), (".png", 16), (".tif", 16), (".jpg", 8), (".webp", 8)):
        path = tmp_path / f"icc{depth}{suffix}"
        save_image(path, np.zeros((3, 3, 3), np.float32), bit_depth=depth, icc_profile=icc)
        assert load_image(path).icc_profile == icc, (suffix, depth)


# --------------------------------------------------------------------------- orientation


def test_exif_orientation_6_jpeg(tmp_path: Path) -> None:
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :10] = 255  # a white band on the left
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(arr).save(path, exif=exif.tobytes(), quality=95)
    img = load_image(path)
    assert img.rgb.shape == (40, 20, 3) and img.L.shape == (40, 20)
    assert img.width == 20 and img.height == 40
    # Orientation 6 = rotate 90 degrees clockwise to view: the left band ends up on top.
    assert img.rgb[:10].mean() > 0.9 and img.rgb[-10:].mean() < 0.1
    assert any("orientation 6" in n for n in img.notes)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    arr = _rng(orientation).integers(0, 256, (3, 5, 3), dtype=np.uint8)
    alpha = _rng(orientation + 10).integers(0, 256, (3, 5), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "o.png"
    Image.fromarray(np.dstack([arr, alpha])).save(path, exif=exif.tobytes())
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
    img = load_image(path)
    assert np.array_equal(_u8(img.rgb), expected[..., :3])
    assert np.array_equal(_u8(img.alpha), expected[..., 3])


# --------------------------------------------------------------------------- ICC


def test_non_srgb_profile_is_converted(tmp_path: Path) -> None:
    swapped = _rgb_profile("Swapped RG test", _G, _R, _B)
    path = tmp_path / "swapped.png"
    Image.new("RGB", (4, 3), (200, 30, 40)).save(path, icc_profile=swapped)
    img = load_image(path)
    r, g, b = _u8(img.rgb[0, 0]).astype(int)
    assert g > 180 and r < 60 and b < 60  # what the profile calls red is sRGB green
    assert img.icc_profile == swapped and img.profile_applied
    assert img.output_icc_profile is None
    assert any("Swapped RG test" in n for n in img.notes)


def test_gray_profile_is_converted_and_stays_gray(tmp_path: Path) -> None:
    linear_gray = _icc_profile("Linear gray test", b"GRAY", [(b"kTRC", _curve(1.0))])
    path = tmp_path / "lingray.png"
    Image.new("L", (3, 3), 128).save(path, icc_profile=linear_gray)
    img = load_image(path)
    # Linear 128/255 is 50% luminance, which sRGB encodes as about 188.
    assert abs(int(_u8(img.rgb[0, 0, 0])) - 188) <= 2
    assert img.is_grayscale and img.profile_applied
    assert np.array_equal(img.rgb[..., 0], img.rgb[..., 2])


def test_srgb_profile_kept_and_pixels_unchanged(tmp_path: Path) -> None:
    icc = _srgb_profile_bytes()
    data = _rng(13).integers(0, 256, (4, 4, 3), dtype=np.uint8)
    path = tmp_path / "srgb.png"
    Image.fromarray(data).save(path, icc_profile=icc)
    img = load_image(path)
    assert img.icc_profile == icc and not img.profile_applied
    assert np.array_equal(_u8(img.rgb), data) and img.notes == ()
    assert img.output_icc_profile == icc


def test_16bit_with_profile_keeps_data_and_notes(tmp_path: Path) -> None:
    swapped = _rgb_profile("Swapped RG test", _G, _R, _B)
    data = _rng(14).integers(0, 65536, (4, 4, 3), dtype=np.uint16)
    path = tmp_path / "p16.tif"
    tifffile.imwrite(path, data, photometric="rgb", iccprofile=swapped)
    img = load_image(path)
    assert np.array_equal(np.rint(img.rgb * 65535).astype(np.uint16), data)
    assert img.icc_profile == swapped and not img.profile_applied
    assert img.output_icc_profile == swapped
    assert any("not converted" in n for n in img.notes)


def test_unreadable_profile_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "badicc.png"
    Image.new("RGB", (2, 2), (10, 20, 30)).save(path, icc_profile=b"garbage" * 20)
    img = load_image(path)
    assert np.array_equal(_u8(img.rgb[0, 0]), [10, 20, 30])
    assert any("unreadable" in n for n in img.notes)


# --------------------------------------------------------------------------- frames


def test_multipage_tiff_first_page(tmp_path: Path) -> None:
    pages = [Image.new("L", (4, 4), v) for v in (10, 20, 30)]
    path = tmp_path / "pages.tif"
    pages[0].save(path, save_all=True, append_images=pages[1:])
    img = load_image(path)
    assert np.allclose(img.rgb, 10 / 255)
    assert "multi-page TIFF: using page 1 of 3" in img.notes


def test_animated_gif_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (5, 5), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50, loop=0)
    img = load_image(path)
    assert np.array_equal(_u8(img.rgb[2, 2]), [255, 0, 0])
    assert any(n.startswith("animated image: using the first frame of 3") for n in img.notes)


def test_animated_webp_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 255, 255), (0, 0, 0))]
    path = tmp_path / "anim.webp"
    frames[0].save(path, save_all=True, append_images=frames[1:], lossless=True, duration=50)
    img = load_image(path)
    assert img.rgb.min() > 0.95
    assert any("first frame of 2" in n for n in img.notes)


# --------------------------------------------------------------------------- bombs


def test_bomb_limit_message_names_override(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("L", (100, 100)).save(path)
    with pytest.raises(ImageLoadError, match=r"^big\.png: .*max_pixels=None") as info:
        load_image(path, max_pixels=5000)
    assert "\n" not in str(info.value)
    assert load_image(path, max_pixels=None).rgb.shape == (100, 100, 3)


def test_bomb_checked_from_header_before_decoding(tmp_path: Path) -> None:
    # A header claiming 100000 x 100000 pixels followed by a few bytes of data: decoding would
    # fail as truncated, so the bomb message proves the header was checked first.
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0"))
    )
    with pytest.raises(ImageLoadError, match=r"10000\.0 megapixels.*max_pixels"):
        load_image(path)


def test_pillow_limit_does_not_fire_and_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    path = tmp_path / "medium.png"
    Image.new("RGB", (30, 30)).save(path)  # 900 px: over twice Pillow's (patched) limit
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = load_image(path, max_pixels=None)
    assert img.rgb.shape == (30, 30, 3)
    assert Image.MAX_IMAGE_PIXELS == 100
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ImageLoadError):
        load_image(path, max_pixels=None)
    assert Image.MAX_IMAGE_PIXELS == 100  # restored on failure too
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --------------------------------------------------------------------------- bad files


def _assert_one_line(err: ImageLoadError, name: str) -> None:
    text = str(err)
    assert "\n" not in text and text.startswith(f"{name}: "), text


def test_truncated_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    buf = io.BytesIO()
    Image.fromarray(_rng(15).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    _assert_one_line(info.value, "photo.jpg")
    assert "truncated or corrupt image data" in str(info.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_png16(tmp_path: Path) -> None:
    path = tmp_path / "cut.png"
    _write_png16(path, _rng(16).integers(0, 65536, (40, 40, 3), dtype=np.uint16), 2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match=r"^cut\.png: truncated or corrupt"):
        load_image(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    with pytest.raises(ImageLoadError, match=r"^empty\.png: file is empty$"):
        load_image(path)


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(_rng(17).integers(0, 256, 500, dtype=np.uint8).tobytes())
    with pytest.raises(ImageLoadError) as info:
        load_image(path)
    _assert_one_line(info.value, "noise.png")
    assert "cannot read" in str(info.value) or "not an image" in str(info.value)


def test_corrupt_header_names_format(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(ImageLoadError, match=r"^bad\.png: corrupt PNG"):
        load_image(path)


# Pillow warns about the damaged TIFF tags it skips; the error we raise is what matters here.
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF", "GIF", "WEBP"])
def test_damaged_files_only_raise_image_load_error(tmp_path: Path, fmt: str) -> None:
    rng = _rng(33)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(buf, fmt)
    good = buf.getvalue()
    path = tmp_path / "damaged.img"
    failures = 0
    for trial in range(16):
        data = bytearray(good)
        if trial % 2:
            data = data[: int(rng.integers(1, len(data)))]
        else:
            for pos in rng.integers(0, len(data), 6):
                data[pos] = int(rng.integers(0, 256))
        path.write_bytes(bytes(data))
        try:
            load_image(path)
        except ImageLoadError as e:
            _assert_one_line(e, "damaged.img")
            failures += 1
    assert failures > 0  # the truncations at least must be reported


def test_png_named_jpg_loads(tmp_path: Path) -> None:
    data = _rng(18).integers(0, 256, (3, 4, 3), dtype=np.uint8)
    path = tmp_path / "actually_png.jpg"
    Image.fromarray(data).save(path, format="PNG")
    assert np.array_equal(_u8(load_image(path).rgb), data)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.png"
    folder.mkdir()
    with pytest.raises(ImageLoadError, match=r"^folder\.png: is a folder"):
        load_image(folder)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageLoadError, match=r"^nothere\.jpg: file not found$"):
        load_image(tmp_path / "nothere.jpg")


def test_permission_denied_translated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.png"
    Image.new("L", (2, 2)).save(path)
    real_open = os.open

    def guarded(name: str | os.PathLike[str], *args: int) -> int:
        if Path(name).name == "locked.png":
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args)

    monkeypatch.setattr(os, "open", guarded)
    with pytest.raises(ImageLoadError, match=r"^locked\.png: permission denied$"):
        load_image(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_permission_denied_real(tmp_path: Path) -> None:
    path = tmp_path / "locked.png"
    Image.new("L", (2, 2)).save(path)
    path.chmod(0)
    try:
        with pytest.raises(ImageLoadError, match="permission denied"):
            load_image(path)
    finally:
        path.chmod(0o644)


def test_non_ascii_file_name(tmp_path: Path) -> None:
    path = tmp_path / "фото ü.png"
    data = _rng(19).integers(0, 256, (3, 3), dtype=np.uint8)
    Image.fromarray(data).save(path)
    img = load_image(path)
    assert np.array_equal(_u8(img.rgb[..., 0]), data) and img.source == str(path)
    broken = tmp_path / "сломано ü.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.raises(ImageLoadError) as info:
        load_image(broken)
    _assert_one_line(info.value, "сломано ü.jpg")


def test_unsupported_kinds_have_clear_reasons(tmp_path: Path) -> None:
    heic = tmp_path / "phone.heic"
    heic.write_bytes(b"\0\0\0\x18ftypheic" + b"\0" * 40)
    with pytest.raises(ImageLoadError, match="HEIC"):
        load_image(heic)
    raw = tmp_path / "camera.NEF"
    raw.write_bytes(b"II*\0" + b"\0" * 40)
    with pytest.raises(ImageLoadError, match="camera raw"):
        load_image(raw)
    with pytest.raises(TypeError):
        load_image(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- arrays


def test_array_inputs() -> None:
    gray = _rng(20).integers(0, 256, (4, 5), dtype=np.uint8)
    img = load_image(gray)
    assert img.is_grayscale and img.bit_depth == 8 and img.source == "<array>"
    assert np.array_equal(_u8(img.rgb[..., 1]), gray)

    rgb16 = _rng(21).integers(0, 65536, (4, 5, 3), dtype=np.uint16)
    img16 = load_image(rgb16)
    assert img16.bit_depth == 16 and not img16.is_grayscale
    assert np.array_equal(np.rint(img16.rgb * 65535).astype(np.uint16), rgb16)

    rgba = _rng(22).random((4, 5, 4))
    imgf = load_image(rgba)
    np.testing.assert_allclose(imgf.rgb, rgba[..., :3], atol=1e-7)
    np.testing.assert_allclose(imgf.alpha, rgba[..., 3], atol=1e-7)
    assert imgf.rgb.dtype == np.float32 and imgf.L.dtype == np.float32

    with pytest.raises(ImageLoadError, match="shape"):
        load_image(np.zeros((4, 5, 7), np.uint8))
    with pytest.raises(ImageLoadError, match="NaN"):
        load_image(np.full((2, 2), np.nan))


def test_lightness_in_chunks_matches_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _rng(23).random((37, 11, 3)).astype(np.float32)
    whole = load_image(data)
    monkeypatch.setattr(pixels, "CHUNK_PIXELS", 50)  # several rows per chunk, ragged last chunk
    chunked = load_image(data)
    assert np.array_equal(whole.L, chunked.L) and np.array_equal(whole.rgb, chunked.rgb)


# --------------------------------------------------------------------------- output names


def test_output_path_for_basic(tmp_path: Path) -> None:
    out = output_path_for(tmp_path / "in" / "photo.jpg", tmp_path / "out")
    assert out == tmp_path / "out" / "photo_color.png"
    assert output_path_for("a.tif", tmp_path, "TIF").name == "a_color.tif"


def test_output_path_for_never_the_input(tmp_path: Path) -> None:
    src_dir, out_dir = tmp_path / "src", tmp_path / "out"
    src_dir.mkdir()
    out_dir.mkdir()
    src = src_dir / "photo.png"
    src.write_bytes(b"x")
    # A link in the output folder that is the input under the computed name.
    os.link(src, out_dir / "photo_color.png")
    out = output_path_for(src, out_dir)
    assert out.name == "photo_color_2.png"
    assert out != src and not out.exists()
    # The same-name case: the input itself is called <stem>_color.png in out_dir.
    same = out_dir / "x_color.png"
    same.write_bytes(b"y")
    assert output_path_for(same, out_dir, ".png") != same


def test_grey_profile_is_never_embedded_in_colour_output(tmp_path: Path) -> None:
    # 16-bit data keeps its profile, but a grey profile would mislabel RGB output.
    gray = _icc_profile("Linear gray test", b"GRAY", [(b"kTRC", _curve(1.0))])
    data = _rng(15).integers(0, 65536, (4, 4), dtype=np.uint16)
    path = tmp_path / "g16.tif"
    tifffile.imwrite(path, data, photometric="minisblack", iccprofile=gray)
    img = load_image(path)
    assert img.bit_depth == 16 and not img.profile_applied
    assert img.icc_profile == gray and img.output_icc_profile is None
