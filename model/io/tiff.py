"""TIFF through tifffile: the layouts Pillow cannot read at full precision, and writing
8- and 16-bit TIFF with the photo's EXIF."""

from __future__ import annotations

import io
from typing import IO, Any

import numpy as np

from model.io import deflate
from model.io.deflate import map_slices, zlib_stream
from model.io.photometa import (
    DESCRIPTION,
    PhotoMeta,
    attach_exif_directories,
    main_directory_tags,
    tiff_pointer_stand_ins,
    tiff_tag_entries,
)
from model.io.pixels import Decoded, float_to_unit, int_to_unit, unit_float

TIFF_ICC = 34675


def decode_tifffile_pixels(fp: IO[bytes], notes: list[str]) -> Decoded:
    import tifffile

    fp.seek(0)
    with tifffile.TiffFile(fp) as tif:
        return tifffile_page_pixels(tif.pages.first, notes)


def tifffile_page_pixels(page: Any, notes: list[str]) -> Decoded:
    import tifffile

    arr = page.asarray()
    axes = page.axes
    if axes == "YX":
        arr = arr[..., None]
    elif axes == "SYX":
        arr = np.moveaxis(arr, 0, -1)
    elif axes != "YXS":
        raise ValueError(f"unsupported TIFF layout (axes {axes})")
    # A damaged header can claim width or height 0; tifffile then returns a shapeless array.
    if arr.ndim != 3 or 0 in arr.shape:
        raise ValueError(f"TIFF page has no pixels (shape {page.shape})")
    photometric = tifffile.PHOTOMETRIC
    if page.photometric not in (photometric.MINISBLACK, photometric.MINISWHITE, photometric.RGB):
        raise ValueError(f"unsupported TIFF photometric {page.photometric.name}")
    n_color = 3 if page.photometric == photometric.RGB else 1
    if arr.shape[-1] < n_color:
        raise ValueError("TIFF has fewer samples than its colour model needs")
    extras = tuple(page.extrasamples or ())
    has_alpha = arr.shape[-1] > n_color and bool(extras) and extras[0] in (1, 2)
    premultiplied = has_alpha and extras[0] == 1

    arr = arr.astype(arr.dtype.newbyteorder("="), copy=False)
    if arr.dtype == np.uint8 or arr.dtype == np.uint16:
        bit_depth = 8 if arr.dtype == np.uint8 else 16
        if page.photometric == photometric.MINISWHITE:
            arr[..., 0] = np.iinfo(arr.dtype).max - arr[..., 0]
    else:
        bit_depth = 16
        arr = (
            float_to_unit(arr, notes)
            if arr.dtype.kind == "f"
            else int_to_unit(arr.astype(np.int64, copy=False), notes)
        )
        if page.photometric == photometric.MINISWHITE:
            arr[..., 0] = 1.0 - arr[..., 0]
    color = arr[..., 0] if n_color == 1 else arr[..., :3]
    alpha = arr[..., n_color] if has_alpha else None
    if premultiplied and alpha is not None:
        color, alpha = _unpremultiply(color, alpha)
    return Decoded(color, alpha, gray_source=n_color == 1, bit_depth=bit_depth)


def _unpremultiply(color: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = unit_float(color)
    a = unit_float(alpha)
    scale = np.divide(1.0, a, out=np.zeros_like(a), where=a > 0)
    c *= scale if c.ndim == 2 else scale[..., None]
    np.clip(c, 0.0, 1.0, out=c)
    return c, a


def _deflated_strips(pixels: np.ndarray, rows: int) -> list[bytes]:
    """The strips of a TIFF with horizontal differencing (predictor 2) and Adobe deflate,
    each `rows` rows, compressed on all cores (tifffile compresses on one: 16 s for a
    100-megapixel 16-bit export)."""
    starts = range(0, pixels.shape[0], rows)

    def strip(i: int) -> bytes:
        block = pixels[starts[i] : starts[i] + rows]
        diff = np.empty(block.shape, pixels.dtype.newbyteorder("<"))  # the file's byte order
        diff[:, 0] = block[:, 0]
        np.subtract(block[:, 1:], block[:, :-1], out=diff[:, 1:])  # wraps, as TIFF's does
        return zlib_stream(diff)

    return map_slices(strip, len(starts))


def encode_tiff(
    pixels: np.ndarray, icc: bytes | None, exif: bytes | None, photo: PhotoMeta
) -> bytes:
    """8- or 16-bit TIFF via tifffile, which Pillow cannot write in 16-bit colour and whose
    libtiff path cannot take EXIF sub-directories."""
    import tifffile

    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    tags = main_directory_tags(exif)
    extratags: list[tuple[int, str, int, Any, bool]] = []
    for tag, value in tags.items():
        if tag in (DESCRIPTION, 305):
            continue  # tifffile's own arguments below
        if isinstance(value, str):
            extratags.append((tag, "s", 0, value.encode("utf-8", "replace"), True))
        elif isinstance(value, bytes):
            extratags.append((tag, "B", len(value), value, True))
        elif isinstance(value, int) and 0 <= value < 65536:
            extratags.append((tag, "H", 1, value, True))
    extratags += tiff_tag_entries(photo, "<")  # tifffile writes little-endian
    # Sub-directory pointers are 32-bit: past 3.5 GB of pixels tifffile may go BigTIFF.
    if pixels.nbytes < 3_500_000_000:
        extratags += tiff_pointer_stand_ins(exif)
    description = tags.get(DESCRIPTION)
    buf = io.BytesIO()
    rows = max(1, deflate.SLICE_BYTES // max(1, pixels[0].nbytes))
    tifffile.imwrite(
        buf,
        iter(_deflated_strips(pixels, rows)),
        shape=pixels.shape,
        dtype=pixels.dtype,
        rowsperstrip=rows,
        photometric="rgb" if channels >= 3 else "minisblack",
        extrasamples=("unassalpha",) if channels in (2, 4) else None,
        byteorder="<",
        compression="zlib",
        predictor=True,
        iccprofile=icc or None,
        description=description.encode("utf-8") if isinstance(description, str) else None,
        software=tags.get(305, False),
        resolution=photo.dpi,
        resolutionunit="INCH" if photo.dpi else None,
        metadata=None,  # no tifffile JSON in ImageDescription
        extratags=sorted(extratags),
    )
    attach_exif_directories(buf, exif)
    return buf.getvalue()
