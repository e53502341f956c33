"""Pixel arrays between the decoders, the colouriser and the encoders: the loaded photo,
unit-range floats, EXIF orientation and quantisation, worked in row chunks."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from model.colour.colorspace import rgb_to_l
from model.io.photometa import NO_META, PhotoMeta

# Work on this many pixels at a time where a whole-image temporary would be large (the
# colour-space helpers return float64 even for float32 input): a few 6 MB temporaries per step.
CHUNK_PIXELS = 1 << 18


@dataclass(frozen=True, eq=False)
class LoadedImage:
    """A decoded photo, ready for the colouriser.

    rgb: (H, W, 3) float32 sRGB in 0..1 (grayscale replicated, embedded profile already applied
    where possible). L: (H, W) float32 CIELAB lightness 0..100 from the full-precision data.
    alpha: (H, W) float32 0..1 or None. bit_depth: 8, or 16 for any source holding more than 8
    bits per sample (16-bit PNG/TIFF, I;16, I, F). icc_profile: the original embedded profile.
    profile_applied: True when rgb was converted from icc_profile to sRGB. meta: what the
    photo says about itself (EXIF, XMP, IPTC, resolution), for its exports.
    """

    rgb: np.ndarray
    L: np.ndarray
    alpha: np.ndarray | None
    bit_depth: int
    is_grayscale: bool
    icc_profile: bytes | None
    notes: tuple[str, ...]
    source: str
    profile_applied: bool = False
    meta: PhotoMeta = NO_META

    @property
    def height(self) -> int:
        """Rows, after EXIF orientation."""
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        """Columns, after EXIF orientation."""
        return int(self.rgb.shape[1])

    @property
    def output_icc_profile(self) -> bytes | None:
        """The profile to embed when saving pixels derived from rgb.

        None once the pixels were converted to sRGB (untagged means sRGB); otherwise the
        original profile, since the pixels are still in its colour space. Only an RGB
        profile is passed on: the output is colour, and a grey scan's profile would mislabel it.
        """
        p = None if self.profile_applied else self.icc_profile
        return p if p and len(p) >= 20 and p[16:20] == b"RGB " else None


@dataclass
class Decoded:
    """Pixels before orientation and scaling: uint8, uint16, or float32 already in 0..1."""

    color: np.ndarray  # (H, W) or (H, W, 3)
    alpha: np.ndarray | None  # (H, W) or None
    gray_source: bool
    bit_depth: int
    profile_applied: bool = False


def int_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    """Integer data (Pillow mode I, int arrays): > 255 means 16-bit range, else 8-bit range."""
    out = np.empty(arr.shape, np.float32)
    if arr.size == 0:
        return out
    lo, hi = int(arr.min()), int(arr.max())
    scale = 65535 if hi > 255 else 255
    if hi > 65535:
        notes.append("32-bit integer values above 65535 clipped")
    if lo < 0:
        notes.append("negative pixel values clipped to 0")
    np.clip(arr, 0, scale, out=out)
    out /= np.float32(scale)
    return out


def float_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
    """Float data (Pillow mode F): 0..1 as is, else the smallest of 255 / 65535 / max that fits.

    Floats up to 255 are almost always 8-bit values stored as float (Image.convert("F")), up to
    65535 16-bit values; anything larger (HDR, scientific data) is scaled by its own maximum.
    """
    out = np.array(arr, dtype=np.float32)
    if out.size == 0:
        return out
    finite = np.isfinite(out)
    if not finite.all():
        out[~finite] = 0.0
        notes.append("NaN/infinite pixel values set to 0")
    del finite
    hi = float(out.max())
    if hi > 1.0:
        scale = 255.0 if hi <= 255.0 else 65535.0 if hi <= 65535.0 else hi
        out /= np.float32(scale)
        notes.append(f"floating-point data in 0..{scale:g} scaled to 0..1")
    if float(out.min()) < 0.0:
        notes.append("negative pixel values clipped to 0")
    np.clip(out, 0.0, 1.0, out=out)
    return out


def _orient(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation to an (H, W, ...) array (as views, no copy)."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(arr, -1)
    if orientation == 7:
        return arr.swapaxes(0, 1)[::-1, ::-1]
    if orientation == 8:
        return np.rot90(arr, 1)
    return arr


def row_chunks(height: int, width: int) -> Iterator[slice]:
    rows = max(1, CHUNK_PIXELS // max(1, width))
    for r0 in range(0, height, rows):
        yield slice(r0, min(height, r0 + rows))


def unit_float(a: np.ndarray) -> np.ndarray:
    """uint8 / uint16 / float32-in-0..1 to a new contiguous float32 array in 0..1."""
    out = np.empty(a.shape, np.float32)
    out[...] = a  # casts straight to float32: no float64 copy of the image
    if a.dtype == np.uint8:
        out /= np.float32(255.0)
    elif a.dtype == np.uint16:
        out /= np.float32(65535.0)
    return out


def _channels_equal(color: np.ndarray) -> bool:
    for rows in row_chunks(color.shape[0], color.shape[1]):
        c = color[rows]
        if not (np.array_equal(c[..., 0], c[..., 1]) and np.array_equal(c[..., 0], c[..., 2])):
            return False
    return True


@functools.cache
def _gray_lightness(dtype: np.dtype) -> np.ndarray:
    """L of every grey level of an integer dtype, as rgb_to_l gives it for (v, v, v)."""
    levels = unit_float(np.arange(np.iinfo(dtype).max + 1, dtype=dtype))
    return rgb_to_l(np.repeat(levels[:, None], 3, axis=1)).astype(np.float32)


def _gray_rgb(gray: np.ndarray, lightness: np.ndarray) -> np.ndarray:
    """A one-channel photo: L into `lightness`, and its rgb as one float plane seen three
    times (a read-only view: a third of the memory, and 8- and 16-bit L from a table of the
    levels instead of a colour conversion per pixel; a 24-megapixel scan loads ~5x faster)."""
    height, width = gray.shape
    plane = np.empty((height, width), np.float32)
    table = _gray_lightness(gray.dtype) if gray.dtype in (np.uint8, np.uint16) else None
    for rows in row_chunks(height, width):
        plane[rows] = unit_float(gray[rows])
        if table is not None:
            np.take(table, gray[rows], out=lightness[rows], mode="clip")
        else:
            lightness[rows] = rgb_to_l(np.repeat(plane[rows][..., None], 3, axis=-1))
    return np.broadcast_to(plane[..., None], (height, width, 3))


def loaded_image(
    dec: Decoded,
    orientation: int,
    icc: bytes | None,
    notes: list[str],
    source: str,
    meta: PhotoMeta = NO_META,
) -> LoadedImage:
    color = _orient(dec.color, orientation)
    height, width = color.shape[:2]
    lightness = np.empty((height, width), np.float32)
    gray = color if color.ndim == 2 else color[..., 0] if _channels_equal(color) else None
    if gray is not None:
        rgb = _gray_rgb(gray, lightness)
    else:
        rgb = np.empty((height, width, 3), np.float32)
        for rows in row_chunks(height, width):
            rgb[rows] = unit_float(color[rows])
            # rgb_to_l returns float64 even for float32 input: keep that temporary chunk-sized.
            lightness[rows] = rgb_to_l(rgb[rows])
    is_gray = dec.gray_source or gray is not None
    alpha = None if dec.alpha is None else unit_float(_orient(dec.alpha, orientation))
    if orientation != 1:
        notes.append(f"EXIF orientation {orientation} applied")
    return LoadedImage(
        rgb=rgb,
        L=lightness,
        alpha=alpha,
        bit_depth=dec.bit_depth,
        is_grayscale=bool(is_gray),
        icc_profile=icc,
        notes=tuple(notes),
        source=source,
        profile_applied=dec.profile_applied,
        meta=meta,
    )


def to_uint(a: np.ndarray, depth: int) -> np.ndarray:
    """Quantise to uint8/uint16 with rounding, in row chunks (no whole-image float temps)."""
    dtype = np.uint8 if depth == 8 else np.uint16
    if a.dtype == dtype:
        return np.ascontiguousarray(a)
    maxval = np.float32(255.0 if depth == 8 else 65535.0)
    out = np.empty(a.shape, dtype)
    width = a.shape[1]
    for rows in row_chunks(a.shape[0], width):
        c = a[rows]
        if c.dtype == np.uint8:
            v = c.astype(np.float32) / np.float32(255.0)
        elif c.dtype == np.uint16:
            v = c.astype(np.float32) / np.float32(65535.0)
        else:
            v = c.astype(np.float32)
            v[np.isnan(v)] = 0.0
        v *= maxval
        np.clip(v, 0.0, maxval, out=v)
        np.rint(v, out=v)
        out[rows] = v
    return out
