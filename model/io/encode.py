"""Encoding quantised pixels into the bytes of a PNG, TIFF, JPEG, WebP or BMP file."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from model.io.icc import is_srgb_profile
from model.io.photometa import NewFile, PhotoMeta, app13_segment, exif_for_output, png_chunks
from model.io.png import encode_png
from model.io.text import tiff_tags
from model.io.tiff import encode_tiff


def encode(
    fmt: str,
    pixels: np.ndarray,
    depth: int,
    icc: bytes | None,
    meta: dict[str, str],
    quality: int,
    photo: PhotoMeta,
) -> bytes:
    # PNG keeps text in its own chunks; the other formats keep it in EXIF's text tags.
    tags = {} if fmt == "PNG" else tiff_tags(meta)
    new = NewFile(pixels.shape[1], pixels.shape[0], is_srgb_profile(icc), fmt)
    exif = exif_for_output(photo, tags, None if fmt == "PNG" else photo.dpi, new)
    if fmt == "PNG":
        return encode_png(pixels, icc, meta, png_chunks(photo, photo.dpi, exif))
    if fmt == "TIFF":
        return encode_tiff(pixels, icc, exif, photo)
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
    if fmt == "JPEG":
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
