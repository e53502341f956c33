"""Decoding with Pillow: its guards, every pixel mode, and the precision it would drop.

16-bit RGB/RGBA PNG and TIFF: Pillow decodes them only to 8-bit RGB (keeping the high byte).
We let Pillow's own C decoder run twice on the same file, once with its usual raw mode (high
bytes) and once with the byte-swapped raw mode (low bytes), and join the two. Unfiltering,
interlacing and every compression Pillow/libtiff knows (LZW, Deflate, PackBits...) are then
handled by Pillow, so 16-bit precision survives without a hand-written decoder. Layouts it
cannot split that way go to tifffile (model.io.tiff).
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
from collections.abc import Iterator
from typing import IO, Any

import numpy as np
from PIL import Image

from model.io.errors import one_line
from model.io.icc import apply_icc, lab_to_rgb_image
from model.io.pixels import Decoded, float_to_unit, int_to_unit
from model.io.tiff import decode_tifffile_pixels

_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I;16", "I;16L", "I;16B", "I;16N", "I", "F"})

_I16_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})

# Raw modes whose 16-bit samples we can rebuild from a high-byte and a low-byte decode.
HI_LO_RAWMODE = re.compile(r"(RGB|RGBA|RGBX);16([BLN])")

_NATIVE = "L" if sys.byteorder == "little" else "B"

_EXIF_ORIENTATION = 0x0112


class _PillowBombCheckOff:
    """Switch Pillow's own decompression-bomb check off while any load is running.

    Pillow warns above Image.MAX_IMAGE_PIXELS (~89 MP) and raises above twice that, at open and
    again when decoding, independently of our max_pixels (checked from the header first). The
    global is restored when the last concurrent load finishes; a counter rather than a plain
    lock keeps parallel loads parallel.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved: int | None = None

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._saved = Image.MAX_IMAGE_PIXELS
                Image.MAX_IMAGE_PIXELS = None
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    Image.MAX_IMAGE_PIXELS = self._saved


pillow_bomb_check_off = _PillowBombCheckOff()


@functools.cache
def open_formats() -> tuple[str, ...]:
    # EPS is decoded by running Ghostscript on the file: never do that for an untrusted photo.
    Image.init()
    return tuple(f for f in Image.OPEN if f != "EPS")


def frame_note(im: Image.Image, notes: list[str]) -> None:
    try:
        n = int(getattr(im, "n_frames", 1))
    except Exception:
        return  # counting frames of a damaged file is best-effort; decoding will report it
    if n <= 1:
        return
    index = im.tell() + 1
    if im.format == "TIFF":
        notes.append(f"multi-page TIFF: using page {index} of {n}")
    elif im.format == "MPO":
        notes.append(f"multi-picture JPEG: using image {index} of {n} (the main photo)")
    elif index == 1:
        notes.append(f"animated image: using the first frame of {n}")
    else:
        notes.append(f"animated image: using frame {index} of {n}")


def exif_orientation(im: Image.Image, notes: list[str]) -> int:
    try:
        value = im.getexif().get(_EXIF_ORIENTATION)
    except Exception:
        # EXIF is untrusted, free-form metadata; a broken block must not lose the photo.
        notes.append("EXIF data is unreadable; orientation ignored")
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def tile_rawmode(im: Image.Image) -> str | None:
    tiles = getattr(im, "tile", None)
    if not tiles:
        return None
    args = tiles[0][3]  # (codec, extents, offset, args); a namedtuple only in newer Pillow
    if isinstance(args, str):
        return args
    if isinstance(args, tuple) and args and isinstance(args[0], str):
        return args[0]
    return None


def _swap_rawmode(rawmode: str) -> str:
    """ "RGB;16B" -> "RGB;16L" etc.; N (native) becomes the opposite of this machine's order."""
    order = rawmode[-1]
    swapped = {"B": "L", "L": "B", "N": "B" if _NATIVE == "L" else "L"}[order]
    return rawmode[:-1] + swapped


def _with_rawmode(im: Image.Image, rawmode: str) -> None:
    new_tiles = []
    for tile in im.tile:  # type: ignore[attr-defined]
        args = tile[3]
        args = rawmode if isinstance(args, str) else (rawmode, *args[1:])
        new_tiles.append(
            tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)
        )
    im.tile = new_tiles  # type: ignore[attr-defined]


def _is_high_depth_tiff(im: Image.Image) -> bool:
    if im.format != "TIFF" or im.mode in _I16_MODES or im.mode in ("I", "F"):
        return False
    tags = getattr(im, "tag_v2", None)
    bits = tags.get(258) if tags is not None else None
    if isinstance(bits, int):
        bits = (bits,)
    return isinstance(bits, tuple) and any(isinstance(b, int) and b > 8 for b in bits)


def decode_high_depth(im: Image.Image, fp: IO[bytes], notes: list[str]) -> Decoded | None:
    """Keep 16-bit precision where Pillow alone would drop it; None if not needed."""
    if im.format not in ("PNG", "TIFF"):
        return None
    rawmode = tile_rawmode(im)
    fmt = im.format
    if fmt == "PNG" and rawmode == "LA;16B":
        # 16-bit gray+alpha: Pillow has no mode for it, but its 4-byte pixels can be copied
        # verbatim into an RGBA image (same byte count, so the same PNG unfiltering).
        _with_rawmode(im, "RGBA")
        im.load()
        raw = np.asarray(im)
        gray = (raw[..., 0].astype(np.uint16) << 8) | raw[..., 1]
        alpha = (raw[..., 2].astype(np.uint16) << 8) | raw[..., 3]
        return Decoded(gray, alpha, gray_source=True, bit_depth=16)
    match = HI_LO_RAWMODE.fullmatch(rawmode) if rawmode else None
    if match is None:
        if _is_high_depth_tiff(im):
            try:
                return decode_tifffile_pixels(fp, notes)
            except MemoryError:
                raise
            except Exception as e:  # an unsupported layout: Pillow's 8-bit decode still works
                notes.append(
                    "16-bit TIFF read at 8-bit precision (this layout is not supported at "
                    f"16 bits: {one_line(str(e))[:120]})"
                )
        return None

    im.load()  # the usual decode: high bytes
    hi = np.asarray(im)
    try:
        fp.seek(0)
        with Image.open(fp, formats=(fmt,)) as low_im:
            _with_rawmode(low_im, _swap_rawmode(match.string))
            low_im.load()
            lo = np.asarray(low_im)
    except MemoryError:
        raise
    except Exception as e:  # no byte-swapped unpacker for this layout: try tifffile, else 8-bit
        if fmt == "TIFF":
            with contextlib.suppress(ValueError, KeyError, OSError, IndexError, TypeError):
                return decode_tifffile_pixels(fp, notes)
        notes.append(f"16-bit image read at 8-bit precision ({one_line(str(e))[:120]})")
        return None
    if lo.shape != hi.shape:
        notes.append("16-bit image read at 8-bit precision (low bytes did not decode)")
        return None
    data = hi.astype(np.uint16)
    data <<= 8
    data |= lo
    del hi, lo
    if data.shape[-1] == 4:
        color, alpha = data[..., :3], data[..., 3]
    else:
        color, alpha = data, None
        key = im.info.get("transparency")
        if isinstance(key, tuple) and len(key) == 3:
            alpha = _alpha_from_key(color, key, 65535)
    return Decoded(color, alpha, gray_source=False, bit_depth=16)


def _alpha_from_key(color: np.ndarray, key: Any, opaque: int) -> np.ndarray:
    """Alpha for a colour-keyed image (PNG tRNS on gray/RGB): the key colour is transparent."""
    if color.ndim == 2:
        transparent = color == key
    else:
        transparent = np.all(color == np.asarray(key, dtype=color.dtype), axis=-1)
    dtype = np.uint16 if opaque > 255 else np.uint8
    return np.where(transparent, 0, opaque).astype(dtype)


def decode_with_pillow(im: Image.Image, icc: bytes | None, notes: list[str]) -> Decoded:
    mode = im.mode
    key = im.info.get("transparency")
    if mode in _I16_MODES:
        gray = np.asarray(im).astype(np.uint16, copy=False)  # I;16B arrives big-endian
        alpha = _alpha_from_key(gray, key, 65535) if isinstance(key, int) else None
        return Decoded(gray, alpha, gray_source=True, bit_depth=16)
    if mode == "I":
        return Decoded(int_to_unit(np.asarray(im), notes), None, True, 16)
    if mode == "F":
        return Decoded(float_to_unit(np.asarray(im), notes), None, True, 16)

    if mode == "1":
        im = im.convert("L")
        key = None if key is None else (255 if key else 0)
    elif mode == "P":
        has_alpha = "transparency" in im.info or (im.palette is not None and "A" in im.palette.mode)
        im = im.convert("RGBA" if has_alpha else "RGB")
        key = None
    elif mode in ("PA", "RGBa", "RGBX", "La", "YCbCr", "HSV", "LAB"):
        target = {"PA": "RGBA", "RGBa": "RGBA", "La": "LA"}.get(mode, "RGB")
        im = lab_to_rgb_image(im) if mode == "LAB" else im.convert(target)
        key = None
    elif mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        try:
            im = im.convert("RGBA" if "A" in mode else "RGB")
        except (ValueError, OSError) as e:
            raise ValueError(f"unsupported pixel mode {mode!r}") from e
        notes.append(f"pixel mode {mode} converted to {im.mode}")
        key = None

    alpha = None
    if im.mode in ("LA", "RGBA"):
        alpha = np.asarray(im.getchannel("A"))
        im = im.getchannel("L") if im.mode == "LA" else im.convert("RGB")
    gray_source = mode in _GRAY_MODES

    applied = False
    if im.mode == "CMYK":
        im, applied = apply_icc(im, icc, notes)
        if not applied:
            im = im.convert("RGB")
            notes.append("CMYK converted to RGB without a colour profile (colours approximate)")
    else:
        if key is not None and alpha is None:
            alpha = _alpha_from_key(np.asarray(im), key, 255)
        im, applied = apply_icc(im, icc, notes)
    return Decoded(np.asarray(im), alpha, gray_source, 8, profile_applied=applied)
