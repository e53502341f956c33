"""Writing results: 8/16-bit PNG, 8/16-bit TIFF, JPEG, WebP and BMP, always atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from model.io.atomic import atomic_write_bytes
from model.io.encode import encode
from model.io.errors import one_line, save_error
from model.io.photometa import NO_META, PhotoMeta, text_for_output
from model.io.pixels import to_uint
from model.io.text import check_metadata

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
    it (see model.io.photometa); a caption of its own outranks metadata's Description.
    Raises ImageSaveError for I/O problems and unknown suffixes, ValueError for bad arguments.
    """
    path = Path(path)
    name = path.name or str(path)
    fmt = _SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise save_error(
            name,
            f"cannot write '{path.suffix or '(no suffix)'}' files; use one of "
            + ", ".join(SAVE_SUFFIXES),
        )
    if bit_depth not in (8, 16):
        raise ValueError(f"bit_depth must be 8 or 16, not {bit_depth}")
    color, alpha = _split_save_arrays(rgb, alpha)
    photo = photo_meta or NO_META
    meta = text_for_output(photo, check_metadata(metadata), png=fmt == "PNG")
    if path.is_dir():
        raise save_error(name, "is a folder")
    if not overwrite and path.exists():
        raise save_error(name, "already exists (overwrite=False)")
    if not path.parent.is_dir():
        raise save_error(name, f"folder does not exist: {path.parent}")

    depth = bit_depth if fmt in ("PNG", "TIFF") else 8
    if fmt in ("JPEG", "BMP"):
        alpha = None
    pixels = to_uint(color, depth)
    if alpha is not None:
        pixels = np.dstack(
            [pixels if pixels.ndim == 3 else pixels[..., None], to_uint(alpha, depth)]
        )
    try:
        data = encode(fmt, pixels, depth, icc_profile, meta, quality, photo)
    except MemoryError:
        raise save_error(name, "not enough memory to encode the image") from None
    except Exception as e:
        raise save_error(name, f"cannot encode as {fmt} ({one_line(str(e))})") from e
    try:
        atomic_write_bytes(path, data)
    except FileNotFoundError:
        raise save_error(name, f"folder does not exist: {path.parent}") from None
    except PermissionError:
        raise save_error(name, "permission denied") from None
    except IsADirectoryError:
        raise save_error(name, "is a folder") from None
    except OSError as e:
        raise save_error(name, f"cannot write file ({e.strerror or e})") from None


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
