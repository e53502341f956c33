"""Reading any photo a user may throw at Huebrush, and writing results. No Qt here.

Loading goes through Pillow, with two escape hatches for data Pillow would truncate to 8 bits:

* 16-bit RGB/RGBA PNG and TIFF: Pillow decodes them only to 8-bit RGB (keeping the high byte).
  We let Pillow's own C decoder run twice on the same file, once with its usual raw mode (high
  bytes) and once with the byte-swapped raw mode (low bytes), and join the two. Unfiltering,
  interlacing and every compression Pillow/libtiff knows (LZW, Deflate, PackBits...) are then
  handled by Pillow, so 16-bit precision survives without a hand-written decoder.
* TIFFs Pillow cannot open or split that way (float RGB, planar 16-bit...) go to tifffile.

Pixels come out as float32 sRGB in 0..1; lightness L is computed from that full-precision data.
Writing supports 8/16-bit PNG (16-bit RGB PNG has its own small encoder since Pillow cannot write
it), 8/16-bit TIFF (tifffile for 16-bit), JPEG, WebP and BMP, always atomically.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import struct
import sys
import threading
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from model.atomic import atomic_write_bytes
from model.colorspace import rgb_to_l
from model.photometa import (
    NO_META,
    NewFile,
    PhotoMeta,
    app13_segment,
    attach_exif_directories,
    exif_for_output,
    main_directory_tags,
    png_chunks,
    read_photo_meta,
    text_for_output,
    tiff_pointer_stand_ins,
    tiff_tag_entries,
)

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "SAVE_SUFFIXES",
    "SIXTEEN_BIT_SUFFIXES",
    "SUPPORTED_SUFFIXES",
    "ImageLoadError",
    "ImageSaveError",
    "LoadedImage",
    "default_output_suffix",
    "load_image",
    "output_path_for",
    "read_metadata",
    "save_image",
]

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

_SAVE_FORMATS: dict[str, str] = {
    ".png": "PNG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
}
#: Suffixes save_image can write (GIF is refused: 256 colours cannot hold a colourised photo).
SAVE_SUFFIXES: tuple[str, ...] = tuple(_SAVE_FORMATS)
#: Suffixes whose files hold 16 bits per channel (the rest are written at 8).
SIXTEEN_BIT_SUFFIXES = (".png", ".tif", ".tiff")

# Camera raw files are TIFF containers whose first page is a small preview; Pillow would happily
# "load" that thumbnail, which is worse than refusing.
_RAW_SUFFIXES = frozenset(
    {".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".orf", ".rw2", ".raf"}
    | {".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl"}
)

# Work on this many pixels at a time where a whole-image temporary would be large (the
# colour-space helpers return float64 even for float32 input): a few 6 MB temporaries per step.
_CHUNK_PIXELS = 1 << 18

_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
_I16_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
# Raw modes whose 16-bit samples we can rebuild from a high-byte and a low-byte decode.
_HI_LO_RAWMODE = re.compile(r"(RGB|RGBA|RGBX);16([BLN])")
_NATIVE = "L" if sys.byteorder == "little" else "B"
_EXIF_ORIENTATION = 0x0112
# lcms's cmsFLAGS_BLACKPOINTCOMPENSATION (ImageCms.Flags only exists in newer Pillow releases).
_BLACK_POINT_COMPENSATION = 0x2000
_TIFF_ICC = 34675

_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


# --------------------------------------------------------------------------- errors and result


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class ImageLoadError(Exception):
    """A photo could not be loaded; the message is one line: "<file>: <reason>"."""

    def __init__(self, message: str, *, filename: str = "", reason: str = "") -> None:
        super().__init__(_one_line(message))
        self.filename = filename
        self.reason = reason


class ImageSaveError(Exception):
    """An image could not be written; the message is one line: "<file>: <reason>"."""

    def __init__(self, message: str, *, filename: str = "", reason: str = "") -> None:
        super().__init__(_one_line(message))
        self.filename = filename
        self.reason = reason


def _load_error(name: str, reason: str) -> ImageLoadError:
    return ImageLoadError(f"{name}: {reason}", filename=name, reason=_one_line(reason))


def _save_error(name: str, reason: str) -> ImageSaveError:
    return ImageSaveError(f"{name}: {reason}", filename=name, reason=_one_line(reason))


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
class _Decoded:
    """Pixels before orientation and scaling: uint8, uint16, or float32 already in 0..1."""

    color: np.ndarray  # (H, W) or (H, W, 3)
    alpha: np.ndarray | None  # (H, W) or None
    gray_source: bool
    bit_depth: int
    profile_applied: bool = False


# --------------------------------------------------------------------------- Pillow guards


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


_pillow_bomb_check_off = _PillowBombCheckOff()


@contextlib.contextmanager
def _decode_errors(name: str) -> Iterator[None]:
    """Turn whatever a decoder raises on bad data into one ImageLoadError.

    Pillow and tifffile raise OSError, SyntaxError, ValueError, EOFError, struct.error,
    zlib.error, IndexError... depending on where a damaged file breaks them; the caller must only
    ever see ImageLoadError. The original exception stays attached as __cause__.
    """
    try:
        yield
    except ImageLoadError:
        raise
    except Exception as e:
        raise _decode_failure(name, e) from e


def _decode_failure(name: str, e: BaseException) -> ImageLoadError:
    if isinstance(e, MemoryError):
        return _load_error(name, "not enough memory to decode this image")
    detail = _one_line(str(e)) or type(e).__name__
    if isinstance(e, Image.DecompressionBombError):
        return _load_error(name, f"refused by Pillow's decompression-bomb limit ({detail})")
    reason = "truncated or corrupt image data"
    if "truncated" not in detail.lower():
        reason += f" ({detail})"
    return _load_error(name, reason)


@functools.cache
def _open_formats() -> tuple[str, ...]:
    # EPS is decoded by running Ghostscript on the file: never do that for an untrusted photo.
    Image.init()
    return tuple(f for f in Image.OPEN if f != "EPS")


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


# --------------------------------------------------------------------------- load_image


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
        with _pillow_bomb_check_off():
            return _load_pil(src, name, "<PIL image>", max_pixels, None)
    if not isinstance(src, (str, os.PathLike)):
        raise TypeError(f"load_image() needs a path, PIL image or numpy array, not {type(src)}")
    return _load_path(Path(src), max_pixels)


def _load_path(path: Path, max_pixels: int | None) -> LoadedImage:
    name = path.name or str(path)
    if path.suffix.lower() in _RAW_SUFFIXES:
        raise _load_error(
            name,
            "camera raw files are not supported; export a TIFF or JPEG from a raw converter",
        )
    try:
        if path.is_dir():
            raise _load_error(name, "is a folder, not an image file")
        fp = path.open("rb")
    except FileNotFoundError:
        raise _load_error(name, "file not found") from None
    except PermissionError:
        raise _load_error(name, "permission denied") from None
    except IsADirectoryError:
        raise _load_error(name, "is a folder, not an image file") from None
    except OSError as e:
        raise _load_error(name, f"cannot open file ({e.strerror or e})") from None
    except ValueError as e:  # e.g. an embedded NUL in the path
        raise _load_error(name, f"invalid file name ({e})") from None
    with fp:
        try:
            head = fp.read(64)
            fp.seek(0)
        except OSError as e:
            raise _load_error(name, f"cannot read file ({e.strerror or e})") from None
        if not head:
            raise _load_error(name, "file is empty")
        with _pillow_bomb_check_off():
            return _load_stream(fp, head, name, str(path), max_pixels)


def _load_stream(
    fp: IO[bytes], head: bytes, name: str, source: str, max_pixels: int | None
) -> LoadedImage:
    try:
        im = Image.open(fp, formats=_open_formats())
    except UnidentifiedImageError:
        if head[:4] in _TIFF_MAGIC:
            # Layouts Pillow has no mode for (float RGB, 32-bit RGB...) may still be readable.
            return _load_tiff_with_tifffile(fp, name, source, max_pixels)
        raise _load_error(name, _unrecognised_reason(head)) from None
    except Exception as e:
        raise _decode_failure(name, e) from e
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
    raise _load_error(
        name,
        f"image is {width}x{height} ({width * height / 1e6:.1f} megapixels), over the safety "
        f"limit of {max_pixels / 1e6:.1f} megapixels; call load_image(..., max_pixels=None) "
        "or pass a larger max_pixels to allow it",
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
    with _decode_errors(name):
        _frame_note(im, notes)
        if fp is not None:
            dec = _decode_high_depth(im, fp, notes)
        else:
            dec = None
            rawmode = _tile_rawmode(im)
            if rawmode and (_HI_LO_RAWMODE.fullmatch(rawmode) or rawmode == "LA;16B"):
                notes.append("16-bit image read at 8-bit precision (load it from its path instead)")
        if dec is None:
            dec = _decode_with_pillow(im, icc, notes)
        orientation = _orientation(im, notes)
    meta = read_photo_meta(im, orientation)
    if fp is not None:
        im.close()  # ours: free Pillow's copy of the pixels before the float arrays are built
    if dec.bit_depth == 16 and icc is not None and not dec.profile_applied:
        _note_unapplied_profile(icc, notes, dec.bit_depth)
    return _finish(dec, orientation, icc, notes, source, meta)


def _frame_note(im: Image.Image, notes: list[str]) -> None:
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


def _orientation(im: Image.Image, notes: list[str]) -> int:
    try:
        value = im.getexif().get(_EXIF_ORIENTATION)
    except Exception:
        # EXIF is untrusted, free-form metadata; a broken block must not lose the photo.
        notes.append("EXIF data is unreadable; orientation ignored")
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _tile_rawmode(im: Image.Image) -> str | None:
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
    for tile in im.tile:
        args = tile[3]
        args = rawmode if isinstance(args, str) else (rawmode, *args[1:])
        new_tiles.append(
            tile._replace(args=args) if hasattr(tile, "_replace") else (*tile[:3], args)
        )
    im.tile = new_tiles


def _is_high_depth_tiff(im: Image.Image) -> bool:
    if im.format != "TIFF" or im.mode in _I16_MODES or im.mode in ("I", "F"):
        return False
    tags = getattr(im, "tag_v2", None)
    bits = tags.get(258) if tags is not None else None
    if isinstance(bits, int):
        bits = (bits,)
    return isinstance(bits, tuple) and any(isinstance(b, int) and b > 8 for b in bits)


def _decode_high_depth(im: Image.Image, fp: IO[bytes], notes: list[str]) -> _Decoded | None:
    """Keep 16-bit precision where Pillow alone would drop it; None if not needed."""
    if im.format not in ("PNG", "TIFF"):
        return None
    rawmode = _tile_rawmode(im)
    fmt = im.format
    if fmt == "PNG" and rawmode == "LA;16B":
        # 16-bit gray+alpha: Pillow has no mode for it, but its 4-byte pixels can be copied
        # verbatim into an RGBA image (same byte count, so the same PNG unfiltering).
        _with_rawmode(im, "RGBA")
        im.load()
        raw = np.asarray(im)
        gray = (raw[..., 0].astype(np.uint16) << 8) | raw[..., 1]
        alpha = (raw[..., 2].astype(np.uint16) << 8) | raw[..., 3]
        return _Decoded(gray, alpha, gray_source=True, bit_depth=16)
    match = _HI_LO_RAWMODE.fullmatch(rawmode) if rawmode else None
    if match is None:
        if _is_high_depth_tiff(im):
            try:
                return _decode_tifffile_pixels(fp, notes)
            except MemoryError:
                raise
            except Exception as e:  # an unsupported layout: Pillow's 8-bit decode still works
                notes.append(
                    "16-bit TIFF read at 8-bit precision (this layout is not supported at "
                    f"16 bits: {_one_line(str(e))[:120]})"
                )
        return None

    im.load()  # the usual decode: high bytes
    hi = np.asarray(im)
    try:
        fp.seek(0)
        with Image.open(fp, formats=(fmt,)) as low_im:
            _with_rawmode(low_im, _swap_rawmode(rawmode))
            low_im.load()
            lo = np.asarray(low_im)
    except MemoryError:
        raise
    except Exception as e:  # no byte-swapped unpacker for this layout: try tifffile, else 8-bit
        if fmt == "TIFF":
            with contextlib.suppress(ValueError, KeyError, OSError, IndexError, TypeError):
                return _decode_tifffile_pixels(fp, notes)
        notes.append(f"16-bit image read at 8-bit precision ({_one_line(str(e))[:120]})")
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
    return _Decoded(color, alpha, gray_source=False, bit_depth=16)


def _alpha_from_key(color: np.ndarray, key: Any, opaque: int) -> np.ndarray:
    """Alpha for a colour-keyed image (PNG tRNS on gray/RGB): the key colour is transparent."""
    if color.ndim == 2:
        transparent = color == key
    else:
        transparent = np.all(color == np.asarray(key, dtype=color.dtype), axis=-1)
    dtype = np.uint16 if opaque > 255 else np.uint8
    return np.where(transparent, 0, opaque).astype(dtype)


def _decode_with_pillow(im: Image.Image, icc: bytes | None, notes: list[str]) -> _Decoded:
    mode = im.mode
    key = im.info.get("transparency")
    if mode in _I16_MODES:
        gray = np.asarray(im).astype(np.uint16, copy=False)  # I;16B arrives big-endian
        alpha = _alpha_from_key(gray, key, 65535) if isinstance(key, int) else None
        return _Decoded(gray, alpha, gray_source=True, bit_depth=16)
    if mode == "I":
        return _Decoded(_int_to_unit(np.asarray(im), notes), None, True, 16)
    if mode == "F":
        return _Decoded(_float_to_unit(np.asarray(im), notes), None, True, 16)

    if mode == "1":
        im = im.convert("L")
        key = None if key is None else (255 if key else 0)
    elif mode == "P":
        has_alpha = "transparency" in im.info or (im.palette is not None and "A" in im.palette.mode)
        im = im.convert("RGBA" if has_alpha else "RGB")
        key = None
    elif mode in ("PA", "RGBa", "RGBX", "La", "YCbCr", "HSV", "LAB"):
        target = {"PA": "RGBA", "RGBa": "RGBA", "La": "LA"}.get(mode, "RGB")
        im = _lab_to_rgb_image(im) if mode == "LAB" else im.convert(target)
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
        im, applied = _apply_icc(im, icc, notes)
        if not applied:
            im = im.convert("RGB")
            notes.append("CMYK converted to RGB without a colour profile (colours approximate)")
    else:
        if key is not None and alpha is None:
            alpha = _alpha_from_key(np.asarray(im), key, 255)
        im, applied = _apply_icc(im, icc, notes)
    return _Decoded(np.asarray(im), alpha, gray_source, 8, profile_applied=applied)


def _lab_to_rgb_image(im: Image.Image) -> Image.Image:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    return ImageCms.profileToProfile(im, lab, _srgb_profile(), outputMode="RGB")


def _profile_info(icc: bytes) -> tuple[str, str] | None:
    """(description, colour space) of an ICC profile, or None if unreadable."""
    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile
        desc = _one_line(prof.profile_description or "") or "unnamed"
        return desc, prof.xcolor_space.strip()
    except Exception:
        return None


def _is_srgb(desc: str, space: str) -> bool:
    # Profiles are identified by name: every common sRGB variant says so ("sRGB IEC61966-2.1",
    # "sRGB built-in", "sRGB v4 ICC preference"...), and a converted no-op costs a full pass.
    # "Linear sRGB" shares the primaries but not the tone curve, so it does need converting.
    lowered = desc.lower()
    return space == "RGB" and "srgb" in lowered and "linear" not in lowered


def _is_srgb_profile(icc: bytes | None) -> bool:
    """Whether pixels tagged with icc (None: untagged) are sRGB."""
    if not icc:
        return True
    info = _profile_info(icc)
    return info is not None and _is_srgb(*info)


def _apply_icc(im: Image.Image, icc: bytes | None, notes: list[str]) -> tuple[Image.Image, bool]:
    """Convert an L/RGB/CMYK image from its embedded profile to sRGB (L stays gray)."""
    if not icc:
        return im, False
    info = _profile_info(icc)
    if info is None:
        notes.append("embedded colour profile is unreadable and was ignored")
        return im, False
    desc, space = info
    if _is_srgb(desc, space):
        return im, False
    expected = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}.get(im.mode)
    if space != expected:
        notes.append(f"embedded colour profile '{desc}' ({space}) does not fit {im.mode} data")
        return im, False
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out = ImageCms.profileToProfile(
            im,
            src,
            _srgb_profile(),
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode="RGB",
            flags=_BLACK_POINT_COMPENSATION,
        )
    except Exception as e:
        notes.append(f"embedded colour profile '{desc}' could not be applied ({e})")
        return im, False
    if out is None:  # pragma: no cover - only with inPlace=True
        return im, False
    if im.mode == "L":
        out = out.getchannel("G")  # a gray profile maps to the neutral axis; keep one channel
    what = "CMYK" if im.mode == "CMYK" else "colours"
    notes.append(f"{what} converted from embedded profile '{desc}' to sRGB")
    return out, True


def _note_unapplied_profile(icc: bytes, notes: list[str], bit_depth: int) -> None:
    """Profiles are only applied through Pillow's 8-bit modes; say so for other data."""
    info = _profile_info(icc)
    if info is None:
        notes.append("embedded colour profile is unreadable and was ignored")
    elif not _is_srgb(*info):
        notes.append(
            f"{bit_depth}-bit data: embedded colour profile '{info[0]}' not converted to sRGB "
            "(kept as stored; the profile is kept for output)"
        )


# --------------------------------------------------------------------------- tifffile paths


def _load_tiff_with_tifffile(
    fp: IO[bytes], name: str, source: str, max_pixels: int | None
) -> LoadedImage:
    import tifffile

    notes: list[str] = []
    with _decode_errors(name):
        fp.seek(0)
        with tifffile.TiffFile(fp) as tif:
            page = tif.pages.first
            _check_pixels(int(page.imagewidth), int(page.imagelength), max_pixels, name)
            n = len(tif.pages)
            if n > 1:
                notes.append(f"multi-page TIFF: using page 1 of {n}")
            icc_tag = page.tags.get(_TIFF_ICC)
            icc = bytes(icc_tag.value) if icc_tag is not None else None
            orient_tag = page.tags.get(274)
            orientation = int(orient_tag.value) if orient_tag is not None else 1
            dec = _tifffile_page_pixels(page, notes)
    if icc is not None:
        _note_unapplied_profile(icc, notes, dec.bit_depth)
    return _finish(dec, orientation if 1 <= orientation <= 8 else 1, icc, notes, source)


def _decode_tifffile_pixels(fp: IO[bytes], notes: list[str]) -> _Decoded:
    import tifffile

    fp.seek(0)
    with tifffile.TiffFile(fp) as tif:
        return _tifffile_page_pixels(tif.pages.first, notes)


def _tifffile_page_pixels(page: Any, notes: list[str]) -> _Decoded:
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
            _float_to_unit(arr, notes)
            if arr.dtype.kind == "f"
            else _int_to_unit(arr.astype(np.int64, copy=False), notes)
        )
        if page.photometric == photometric.MINISWHITE:
            arr[..., 0] = 1.0 - arr[..., 0]
    color = arr[..., 0] if n_color == 1 else arr[..., :3]
    alpha = arr[..., n_color] if has_alpha else None
    if premultiplied and alpha is not None:
        color, alpha = _unpremultiply(color, alpha)
    return _Decoded(color, alpha, gray_source=n_color == 1, bit_depth=bit_depth)


def _unpremultiply(color: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _unit_float(color)
    a = _unit_float(alpha)
    scale = np.divide(1.0, a, out=np.zeros_like(a), where=a > 0)
    c *= scale if c.ndim == 2 else scale[..., None]
    np.clip(c, 0.0, 1.0, out=c)
    return c, a


# --------------------------------------------------------------------------- arrays and finishing


def _int_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
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


def _float_to_unit(arr: np.ndarray, notes: list[str]) -> np.ndarray:
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


def _load_array(arr: np.ndarray) -> LoadedImage:
    notes: list[str] = []
    a = arr
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (2, 3, 4)) or a.size == 0:
        raise _load_error("<array>", f"unsupported array shape {arr.shape}")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * np.uint8(255)
    if a.dtype == np.uint8 or a.dtype == np.uint16:
        bit_depth = 8 if a.dtype == np.uint8 else 16
    elif a.dtype.kind == "f":
        bit_depth = 16
        a = np.array(a, dtype=np.float32)
        if not np.isfinite(a).all():
            raise _load_error("<array>", "array contains NaN or infinite values")
        if float(a.min()) < 0.0 or float(a.max()) > 1.0:
            notes.append("float values outside 0..1 clipped")
            np.clip(a, 0.0, 1.0, out=a)
    elif a.dtype.kind in "iu":
        bit_depth = 16
        a = _int_to_unit(a, notes)
    else:
        raise _load_error("<array>", f"unsupported array dtype {arr.dtype}")
    channels = 1 if a.ndim == 2 else a.shape[2]
    color = a if channels == 1 else a[..., 0] if channels == 2 else a[..., :3]
    alpha = a[..., -1] if channels in (2, 4) else None
    dec = _Decoded(color, alpha, gray_source=channels <= 2, bit_depth=bit_depth)
    return _finish(dec, 1, None, notes, "<array>")


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


def _row_chunks(height: int, width: int) -> Iterator[slice]:
    rows = max(1, _CHUNK_PIXELS // max(1, width))
    for r0 in range(0, height, rows):
        yield slice(r0, min(height, r0 + rows))


def _unit_float(a: np.ndarray) -> np.ndarray:
    """uint8 / uint16 / float32-in-0..1 to a new contiguous float32 array in 0..1."""
    out = np.empty(a.shape, np.float32)
    out[...] = a  # casts straight to float32: no float64 copy of the image
    if a.dtype == np.uint8:
        out /= np.float32(255.0)
    elif a.dtype == np.uint16:
        out /= np.float32(65535.0)
    return out


def _channels_equal(color: np.ndarray) -> bool:
    for rows in _row_chunks(color.shape[0], color.shape[1]):
        c = color[rows]
        if not (np.array_equal(c[..., 0], c[..., 1]) and np.array_equal(c[..., 0], c[..., 2])):
            return False
    return True


def _finish(
    dec: _Decoded,
    orientation: int,
    icc: bytes | None,
    notes: list[str],
    source: str,
    meta: PhotoMeta = NO_META,
) -> LoadedImage:
    color = _orient(dec.color, orientation)
    height, width = color.shape[:2]
    rgb = np.empty((height, width, 3), np.float32)
    lightness = np.empty((height, width), np.float32)
    for rows in _row_chunks(height, width):
        part = _unit_float(color[rows])
        rgb[rows] = part[..., None] if part.ndim == 2 else part
        # rgb_to_l returns float64 even for float32 input: keep that temporary chunk-sized.
        lightness[rows] = rgb_to_l(rgb[rows])
    is_gray = dec.gray_source or _channels_equal(color)
    alpha = None if dec.alpha is None else _unit_float(_orient(dec.alpha, orientation))
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


# --------------------------------------------------------------------------- saving

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IDAT_BYTES = 1 << 20
_COMPRESS_TEXT_OVER = 1024
_TIFF_TEXT_TAGS = {"Software": 305, "Artist": 315, "Copyright": 33432}
_DESCRIPTION = 270


def save_image(
    path: str | os.PathLike[str],
    rgb: np.ndarray,
    bit_depth: int = 8,
    alpha: np.ndarray | None = None,
    icc_profile: bytes | None = None,
    metadata: dict[str, str] | None = None,
    quality: int = 95,
    *,
    overwrite: bool = True,
    photo_meta: PhotoMeta | None = None,
) -> None:
    """Write an image atomically; the format follows the suffix (see SAVE_SUFFIXES).

    rgb is (H, W, 3), (H, W, 4) or gray (H, W): float in 0..1, or uint8/uint16. bit_depth 16 is
    honoured by PNG and TIFF; JPEG, WebP and BMP are always 8-bit. Alpha is dropped for JPEG and
    BMP. metadata goes to PNG text chunks; for TIFF/JPEG/WebP, Software/Artist/Copyright go to
    their own tags when ASCII and everything else (non-ASCII values included) to
    ImageDescription, as a plain string for a lone Description, else as a JSON object (see
    read_metadata). quality applies to JPEG and WebP (WebP quality 100 means lossless).
    photo_meta (a source photo's LoadedImage.meta) is written too, as far as the format holds
    it (see model.photometa); a caption of its own outranks metadata's Description.
    Raises ImageSaveError for I/O problems and unknown suffixes, ValueError for bad arguments.
    """
    path = Path(path)
    name = path.name or str(path)
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _save_error(
            name,
            f"cannot write '{path.suffix or '(no suffix)'}' files; use one of "
            + ", ".join(SAVE_SUFFIXES),
        )
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, not {bit_depth}")
    color, alpha = _split_save_arrays(rgb, alpha)
    photo = photo_meta or NO_META
    meta = text_for_output(photo, _check_metadata(metadata), png=fmt == "PNG")
    if path.is_dir():
        raise _save_error(name, "is a folder")
    if not overwrite and path.exists():
        raise _save_error(name, "already exists (overwrite=False)")
    if not path.parent.is_dir():
        raise _save_error(name, f"folder does not exist: {path.parent}")

    depth = bit_depth if fmt in ("PNG", "TIFF") else 8
    if fmt in ("JPEG", "BMP"):
        alpha = None
    pixels = _to_uint(color, depth)
    if alpha is not None:
        pixels = np.dstack(
            [pixels if pixels.ndim == 3 else pixels[..., None], _to_uint(alpha, depth)]
        )
    try:
        data = _encode(fmt, pixels, depth, icc_profile, meta, quality, photo)
    except MemoryError:
        raise _save_error(name, "not enough memory to encode the image") from None
    except Exception as e:
        raise _save_error(name, f"cannot encode as {fmt} ({_one_line(str(e))})") from e
    try:
        atomic_write_bytes(path, data)
    except FileNotFoundError:
        raise _save_error(name, f"folder does not exist: {path.parent}") from None
    except PermissionError:
        raise _save_error(name, "permission denied") from None
    except IsADirectoryError:
        raise _save_error(name, "is a folder") from None
    except OSError as e:
        raise _save_error(name, f"cannot write file ({e.strerror or e})") from None


def _split_save_arrays(
    rgb: np.ndarray, alpha: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    a = np.asarray(rgb)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim == 3 and a.shape[2] == 4:
        if alpha is None:
            alpha = a[..., 3]
        a = a[..., :3]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] != 3) or a.size == 0:
        raise ValueError(f"rgb must be (H, W, 3), (H, W, 4) or (H, W), not {a.shape}")
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != a.shape[:2]:
            raise ValueError(f"alpha must be {a.shape[:2]}, not {alpha.shape}")
    for arr in (a, alpha):
        if arr is not None and not (arr.dtype.kind == "f" or arr.dtype in (np.uint8, np.uint16)):
            raise ValueError(f"pixels must be float 0..1, uint8 or uint16, not {arr.dtype}")
    return a, alpha


def _to_uint(a: np.ndarray, depth: int) -> np.ndarray:
    """Quantise to uint8/uint16 with rounding, in row chunks (no whole-image float temps)."""
    dtype = np.uint8 if depth == 8 else np.uint16
    if a.dtype == dtype:
        return np.ascontiguousarray(a)
    maxval = np.float32(255.0 if depth == 8 else 65535.0)
    out = np.empty(a.shape, dtype)
    width = a.shape[1]
    for rows in _row_chunks(a.shape[0], width):
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


def _check_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ValueError("metadata keys and values must be str")
        try:
            encoded = key.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"metadata key {key!r} must be Latin-1 (a PNG rule)") from None
        if not 1 <= len(encoded) <= 79 or key != key.strip() or not key.isprintable():
            raise ValueError(f"metadata key {key!r} must be 1-79 printable characters")
        meta[key] = value
    return meta


def _encode(
    fmt: str,
    pixels: np.ndarray,
    depth: int,
    icc: bytes | None,
    meta: dict[str, str],
    quality: int,
    photo: PhotoMeta,
) -> bytes:
    # PNG keeps text in its own chunks; the other formats keep it in EXIF's text tags.
    tags = {} if fmt == "PNG" else _tiff_tags(meta)
    new = NewFile(pixels.shape[1], pixels.shape[0], _is_srgb_profile(icc), fmt)
    exif = exif_for_output(photo, tags, None if fmt == "PNG" else photo.dpi, new)
    if fmt == "PNG" and depth == 16:
        return _encode_png16(pixels, icc, meta, png_chunks(photo, photo.dpi, exif))
    if fmt == "TIFF":
        return _encode_tiff(pixels, icc, exif, photo)
    im = Image.fromarray(pixels)
    buf = io.BytesIO()
    options: dict[str, Any] = {}
    if icc and fmt != "BMP":
        options["icc_profile"] = icc
    if photo.dpi and fmt != "WEBP":  # WebP has no resolution field; its EXIF holds it
        options["dpi"] = photo.dpi
    if exif and fmt != "BMP":
        options["exif"] = exif
    if photo.xmp and fmt in ("JPEG", "WEBP"):
        options["xmp"] = photo.xmp
    if fmt == "PNG":
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        for key, value in meta.items():
            info.add_text(key, value, zip=len(value) > _COMPRESS_TEXT_OVER)
        if photo.xmp:
            info.add_itxt("XML:com.adobe.xmp", photo.xmp.decode("utf-8", "replace"))
        options["pnginfo"] = info
    elif fmt == "JPEG":
        options["quality"] = int(quality)
        # Colour is what we add: do not halve its resolution at high quality settings.
        options["subsampling"] = 0 if quality >= 90 else 2
        if photo.iptc:
            options["extra"] = app13_segment(photo.iptc)
    elif fmt == "WEBP":
        if quality >= 100:
            options["lossless"] = True
        else:
            options["quality"] = int(quality)
    im.save(buf, fmt, **options)
    return buf.getvalue()


def _tiff_tags(meta: dict[str, str]) -> dict[int, str]:
    """Metadata as TIFF/EXIF ASCII tags; see save_image for the mapping."""
    tags: dict[int, str] = {}
    rest: dict[str, str] = {}
    for key, value in meta.items():
        if key in _TIFF_TEXT_TAGS and value.isascii():
            tags[_TIFF_TEXT_TAGS[key]] = value
        else:
            rest[key] = value
    if list(rest) == ["Description"] and rest["Description"].isascii():
        tags[_DESCRIPTION] = rest["Description"]
    elif rest:
        tags[_DESCRIPTION] = json.dumps(rest, ensure_ascii=True)
    return tags


def _encode_tiff(
    pixels: np.ndarray, icc: bytes | None, exif: bytes | None, photo: PhotoMeta
) -> bytes:
    """8- or 16-bit TIFF via tifffile, which Pillow cannot write in 16-bit colour and whose
    libtiff path cannot take EXIF sub-directories."""
    import tifffile

    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    tags = main_directory_tags(exif)
    extratags: list[tuple[int, str, int, Any, bool]] = []
    for tag, value in tags.items():
        if tag in (_DESCRIPTION, 305):
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
    description = tags.get(_DESCRIPTION)
    buf = io.BytesIO()
    tifffile.imwrite(
        buf,
        pixels,
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


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(data, zlib.crc32(kind))
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def _png_text_chunk(key: str, value: str) -> bytes:
    keyword = key.encode("latin-1")
    compress = len(value) > _COMPRESS_TEXT_OVER
    try:
        latin = value.encode("latin-1")
    except UnicodeEncodeError:
        text = value.encode("utf-8")
        if compress:
            text = zlib.compress(text)
        # iTXt: keyword, NUL, compression flag, method, language tag NUL, translated key NUL.
        return _png_chunk(b"iTXt", keyword + b"\0" + bytes([compress, 0]) + b"\0\0" + text)
    if compress:
        return _png_chunk(b"zTXt", keyword + b"\0\0" + zlib.compress(latin))
    return _png_chunk(b"tEXt", keyword + b"\0" + latin)


def _png_filter(cur: np.ndarray, prev_row: np.ndarray, bpp: int) -> np.ndarray:
    """Filter rows (n, stride) of raw bytes, choosing per row the filter with the smallest sum
    of absolute signed bytes (the usual libpng heuristic); returns (n, 1 + stride)."""
    n, stride = cur.shape
    up = np.empty_like(cur)
    up[0] = prev_row
    up[1:] = cur[:-1]
    left = np.zeros_like(cur)
    left[:, bpp:] = cur[:, :-bpp]
    up_left = np.zeros_like(cur)
    up_left[:, bpp:] = up[:, :-bpp]
    a, b, c = (x.astype(np.int16) for x in (left, up, up_left))
    pa = np.abs(b - c)
    pb = np.abs(a - c)
    pc = np.abs(a + b - 2 * c)
    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, up_left))
    del a, b, c, pa, pb, pc
    candidates = np.stack([cur, cur - left, cur - up, cur - pred])  # uint8 wraps mod 256
    score = np.abs(candidates.view(np.int8).astype(np.int16)).sum(axis=2, dtype=np.int64)
    best = score.argmin(axis=0)
    out = np.empty((n, stride + 1), np.uint8)
    out[:, 0] = np.array([0, 1, 2, 4], np.uint8)[best]  # None, Sub, Up, Paeth
    out[:, 1:] = candidates[best, np.arange(n)]
    return out


def _encode_png16(
    pixels: np.ndarray,
    icc: bytes | None,
    meta: dict[str, str],
    extra: list[tuple[bytes, bytes]],
) -> bytes:
    """A 16-bit PNG (gray, gray+alpha, RGB or RGBA); Pillow can only write 16-bit gray."""
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    bpp = 2 * channels
    stride = width * bpp
    parts = [
        _PNG_SIGNATURE,
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)),
    ]
    if icc:
        parts.append(_png_chunk(b"iCCP", b"ICC Profile\0\0" + zlib.compress(icc)))
    parts.extend(_png_chunk(kind, data) for kind, data in extra)
    parts.extend(_png_text_chunk(k, v) for k, v in meta.items())

    compressor = zlib.compressobj(6)
    compressed: list[bytes] = []
    prev_row = np.zeros(stride, np.uint8)
    rows_per_chunk = max(1, _CHUNK_PIXELS // max(1, width * channels))
    for r0 in range(0, height, rows_per_chunk):
        block = pixels[r0 : r0 + rows_per_chunk].astype(">u2")  # PNG is big-endian
        raw = block.view(np.uint8).reshape(block.shape[0], stride)
        compressed.append(compressor.compress(_png_filter(raw, prev_row, bpp)))
        prev_row = raw[-1].copy()
    compressed.append(compressor.flush())
    idat = b"".join(compressed)
    del compressed
    for i in range(0, len(idat), _IDAT_BYTES):
        parts.append(_png_chunk(b"IDAT", idat[i : i + _IDAT_BYTES]))
    parts.append(_png_chunk(b"IEND", b""))
    return b"".join(parts)


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """Text metadata as written by save_image: PNG text chunks, TIFF/EXIF text tags.

    The inverse of save_image's mapping (a JSON ImageDescription is expanded back into keys).
    Raises ImageLoadError if the file cannot be read.
    """
    path = Path(path)
    name = path.name or str(path)
    if not path.is_file():
        raise _load_error(name, "file not found" if not path.exists() else "not a regular file")
    with (
        _pillow_bomb_check_off(),
        _decode_errors(name),
        Image.open(path, formats=_open_formats()) as im,
    ):
        if im.format == "PNG":
            im.load()  # text chunks may follow the image data
            return {str(k): str(v) for k, v in getattr(im, "text", {}).items()}
        tags = dict(im.tag_v2) if im.format == "TIFF" else dict(im.getexif())
    meta: dict[str, str] = {}
    for key, tag in _TIFF_TEXT_TAGS.items():
        if isinstance(tags.get(tag), str):
            meta[key] = tags[tag]
    desc = tags.get(_DESCRIPTION)
    if isinstance(desc, str):
        parsed = _json_dict(desc)
        if parsed is None:
            meta["Description"] = desc
        else:
            meta.update(parsed)
    return meta


def _json_dict(text: str) -> dict[str, str] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return None


# --------------------------------------------------------------------------- output names

# Sources whose own format an export keeps: lossless, 16-bit and every kind of metadata. A
# JPEG or WebP source is exported as PNG instead, because re-encoding it lossily would change
# the lightness the export promises to keep, and PNG holds its 8 or 16 bits exactly.
_KEEP_FORMAT_SUFFIXES = (".tif", ".tiff", ".png")


def default_output_suffix(input_path: str | os.PathLike[str]) -> str:
    """The suffix an export of input_path gets unless the user picks one: a TIFF scan stays
    TIFF (so its IPTC survives, which PNG cannot hold), a PNG stays PNG, anything else is PNG."""
    suffix = Path(input_path).suffix.lower()
    return suffix if suffix in _KEEP_FORMAT_SUFFIXES else ".png"


def output_path_for(
    input_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    suffix: str = ".png",
    taken: Collection[Path] = (),
) -> Path:
    """out_dir/<stem>_color<suffix>; never the input file itself nor a path in `taken` (resolved
    paths a batch already uses): a counter is added if needed, e.g. when out_dir holds a link to
    the input, or a.jpg and a.png both want a_color.png."""
    src = Path(input_path)
    if suffix and not suffix.startswith("."):
        suffix = "." + suffix
    suffix = suffix.lower()
    base = f"{src.stem}_color"
    candidate = Path(out_dir) / f"{base}{suffix}"
    counter = 2
    while _same_file(candidate, src) or candidate.resolve() in taken:
        candidate = Path(out_dir) / f"{base}_{counter}{suffix}"
        counter += 1
    return candidate


def _same_file(a: Path, b: Path) -> bool:
    if os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(a, b)  # links, and case-insensitive file systems
    except OSError:
        return False
