"""Reading any photo a user may throw at Huebrush. No Qt here.

Loading goes through Pillow (model.io.decode), which keeps 16-bit precision where it would
truncate to 8 bits; TIFFs Pillow cannot open or split that way (float RGB, planar 16-bit...)
go to tifffile (model.io.tiff). Pixels come out as float32 sRGB in 0..1; lightness L is
computed from that full-precision data.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, UnidentifiedImageError

from model.io.decode import (
    HI_LO_RAWMODE,
    decode_high_depth,
    decode_with_pillow,
    exif_orientation,
    frame_note,
    open_formats,
    pillow_bomb_check_off,
    tile_rawmode,
)
from model.io.errors import ImageTooLargeError, decode_errors, decode_failure, load_error
from model.io.icc import note_unapplied_profile
from model.io.photometa import read_photo_meta
from model.io.pixels import Decoded, LoadedImage, int_to_unit, loaded_image
from model.io.safe_read import FileTooLargeError, NotAFileError, open_regular
from model.io.tiff import TIFF_ICC, tifffile_page_pixels

# 200 MP covers the largest photos people actually have: 150 MP medium-format backs
# (14204 x 10652), 8x10" film drum-scanned at 1200 dpi (~115 MP) and big stitched scans. Past it,
# the float32 RGB + L arrays alone need 16 bytes/pixel = 3.2 GB, which is where a desktop starts
# to swap; a file claiming more is far more likely to be a decompression bomb than a photo.
DEFAULT_MAX_PIXELS: int = 200_000_000

#: Suffixes offered in file dialogs and picked up when scanning folders (content decides the
#: format when loading, so a mis-named file still loads).
SUPPORTED_SUFFIXES: tuple[str, ...] = (
    ".jpg",
    ".jpeg",
    ".png",
    ".tif",
    ".tiff",
    ".bmp",
    ".webp",
    ".gif",
)

# Camera raw files are TIFF containers whose first page is a small preview; Pillow would happily
# "load" that thumbnail, which is worse than refusing.
_RAW_SUFFIXES = frozenset(
    {".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".orf", ".rw2", ".raf"}
    | {".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl"}
)


def _max_file_bytes(max_pixels: int) -> int:
    """The largest file a photo of max_pixels may plausibly be: 16 bytes a pixel (uncompressed
    16-bit RGBA is 8) and never under 4 GB."""
    return max(4 * 2**30, 16 * max_pixels)


_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def load_image(
    src: str | os.PathLike[str] | Image.Image | np.ndarray,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
) -> LoadedImage:
    """Load a photo from a path, a PIL image or a numpy array.

    Raises ImageLoadError (one-line message naming the file and the reason) for anything that
    is not a loadable image, including images larger than max_pixels (None disables the limit;
    the size is checked from the header before any pixel is decoded). Arrays are already in
    memory, so max_pixels does not apply to them.
    """
    if isinstance(src, np.ndarray):
        return _load_array(src)
    if isinstance(src, Image.Image):
        filename = getattr(src, "filename", "") or ""
        name = Path(filename).name if filename else "<PIL image>"
        with pillow_bomb_check_off():
            return _load_pil(src, name, "<PIL image>", max_pixels, None)
    if not isinstance(src, (str, os.PathLike)):
        raise TypeError(f"load_image() needs a path, PIL image or numpy array, not {type(src)}")
    return _load_path(Path(src), max_pixels)


def _load_path(path: Path, max_pixels: int | None) -> LoadedImage:
    name = path.name or str(path)
    if path.suffix.lower() in _RAW_SUFFIXES:
        raise load_error(
            name,
            "camera raw files are not supported; export a TIFF or JPEG from a raw converter",
        )
    try:
        # A FIFO would block the open and a device read forever: only regular files open.
        fp = open_regular(path, None if max_pixels is None else _max_file_bytes(max_pixels))
    except NotAFileError as e:
        raise load_error(name, e.reason.replace("not a file", "not an image file")) from None
    except FileTooLargeError as e:
        raise load_error(name, f"file is {e.reason}, over the safety limit") from None
    except FileNotFoundError:
        raise load_error(name, "file not found") from None
    except PermissionError:
        raise load_error(name, "permission denied") from None
    except IsADirectoryError:
        raise load_error(name, "is a folder, not an image file") from None
    except OSError as e:
        raise load_error(name, f"cannot open file ({e.strerror or e})") from None
    except ValueError as e:  # e.g. an embedded NUL in the path
        raise load_error(name, f"invalid file name ({e})") from None
    with fp:
        try:
            head = fp.read(64)
            fp.seek(0)
        except OSError as e:
            raise load_error(name, f"cannot read file ({e.strerror or e})") from None
        if not head:
            raise load_error(name, "file is empty")
        with pillow_bomb_check_off():
            return _load_stream(fp, head, name, str(path), max_pixels)


def _load_stream(
    fp: IO[bytes], head: bytes, name: str, source: str, max_pixels: int | None
) -> LoadedImage:
    try:
        im = Image.open(fp, formats=open_formats())
    except UnidentifiedImageError:
        if head[:4] in _TIFF_MAGIC:
            # Layouts Pillow has no mode for (float RGB, 32-bit RGB...) may still be readable.
            return _load_tiff_with_tifffile(fp, name, source, max_pixels)
        raise load_error(name, _unrecognised_reason(head)) from None
    except Exception as e:
        raise decode_failure(name, e) from e
    with im:
        return _load_pil(im, name, source, max_pixels, fp)


def _unrecognised_reason(head: bytes) -> str:
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIC/HEIF photos are not supported; convert to JPEG or PNG first"
    if head.startswith(b"%PDF"):
        return "PDF documents are not supported; export the page as an image first"
    if head.lstrip().startswith((b"<svg", b"<?xml")):
        return "vector images (SVG) are not supported; export a raster image first"
    known = {
        b"\x89PNG": "PNG",
        b"\xff\xd8\xff": "JPEG",
        b"GIF8": "GIF",
        b"BM": "BMP",
    }
    for magic, fmt in known.items():
        if head.startswith(magic):
            return f"corrupt {fmt} file (cannot read its header)"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "corrupt WebP file (cannot read its header)"
    return "not an image file, or an image format Huebrush cannot read"


def _check_pixels(width: int, height: int, max_pixels: int | None, name: str) -> None:
    if max_pixels is None or width * height <= max_pixels:
        return
    raise ImageTooLargeError(
        name,
        f"image is {width}x{height} ({width * height / 1e6:.1f} megapixels), over the safety "
        f"limit of {max_pixels / 1e6:.1f} megapixels; call load_image(..., max_pixels=None) "
        "or pass a larger max_pixels to allow it",
        width,
        height,
        max_pixels,
    )


def _load_pil(
    im: Image.Image,
    name: str,
    source: str,
    max_pixels: int | None,
    fp: IO[bytes] | None,
) -> LoadedImage:
    """Decode an opened (possibly not yet loaded) PIL image; fp allows re-reading its file."""
    notes: list[str] = []
    width, height = im.size
    _check_pixels(width, height, max_pixels, name)
    icc = im.info.get("icc_profile") or None
    if icc is not None and not isinstance(icc, bytes):
        icc = None
    with decode_errors(name):
        frame_note(im, notes)
        if fp is not None:
            dec = decode_high_depth(im, fp, notes)
        else:
            dec = None
            rawmode = tile_rawmode(im)
            if rawmode and (HI_LO_RAWMODE.fullmatch(rawmode) or rawmode == "LA;16B"):
                notes.append("16-bit image read at 8-bit precision (load it from its path instead)")
        if dec is None:
            dec = decode_with_pillow(im, icc, notes)
        orientation = exif_orientation(im, notes)
    meta = read_photo_meta(im, orientation)
    if fp is not None:
        im.close()  # ours: free Pillow's copy of the pixels before the float arrays are built
    if dec.bit_depth == 16 and icc is not None and not dec.profile_applied:
        note_unapplied_profile(icc, notes, dec.bit_depth)
    return loaded_image(dec, orientation, icc, notes, source, meta)


def _load_tiff_with_tifffile(
    fp: IO[bytes], name: str, source: str, max_pixels: int | None
) -> LoadedImage:
    import tifffile

    notes: list[str] = []
    with decode_errors(name):
        fp.seek(0)
        with tifffile.TiffFile(fp) as tif:
            page = tif.pages.first
            _check_pixels(int(page.imagewidth), int(page.imagelength), max_pixels, name)
            n = len(tif.pages)
            if n > 1:
                notes.append(f"multi-page TIFF: using page 1 of {n}")
            icc_tag = page.tags.get(TIFF_ICC)
            icc = bytes(icc_tag.value) if icc_tag is not None else None
            orient_tag = page.tags.get(274)
            orientation = int(orient_tag.value) if orient_tag is not None else 1
            dec = tifffile_page_pixels(page, notes)
    if icc is not None:
        note_unapplied_profile(icc, notes, dec.bit_depth)
    return loaded_image(dec, orientation if 1 <= orientation <= 8 else 1, icc, notes, source)


def _load_array(arr: np.ndarray) -> LoadedImage:
    notes: list[str] = []
    a = arr
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)) or a.size == 0:
        raise load_error("<array>", f"unsupported array shape {arr.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * np.uint8(255)
    if a.dtype == np.uint8 or a.dtype == np.uint16:
        bit_depth = 8 if a.dtype == np.uint8 else 16
    elif a.dtype.kind == "f":
        bit_depth = 16
        a = np.array(a, dtype=np.float32)
        if not np.isfinite(a).all():
            raise load_error("<array>", "array contains NaN or infinite values")
        if float(a.min()) < 0.0 or float(a.max()) > 1.0:
            notes.append("float values outside 0..1 clipped")
            np.clip(a, 0.0, 1.0, out=a)
    elif a.dtype.kind in "iu":
        bit_depth = 16
        a = int_to_unit(a, notes)
    else:
        raise load_error("<array>", f"unsupported array dtype {arr.dtype}")
    channels = 1 if a.ndim == 2 else a.shape[2]
    color = a if channels == 1 else a[..., 0] if channels == 2 else a[..., :3]
    alpha = a[..., -1] if channels in (2, 4) else None
    dec = Decoded(color, alpha, gray_source=channels <= 2, bit_depth=bit_depth)
    return loaded_image(dec, 1, None, notes, "<array>")
