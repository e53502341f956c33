"""Text metadata: how save_image's str -> str metadata maps onto PNG text chunks and
TIFF/EXIF tags, and read_metadata, which maps it back."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PIL import Image

from model.io.decode import open_formats, pillow_bomb_check_off
from model.io.errors import decode_errors, load_error
from model.io.photometa import DESCRIPTION

_TIFF_TEXT_TAGS = {"Software": 305, "Artist": 315, "Copyright": 33432}


def check_metadata(metadata: dict[str, str] | None) -> dict[str, str]:
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


def tiff_tags(meta: dict[str, str]) -> dict[int, str]:
    """Metadata as TIFF/EXIF ASCII tags; see save_image for the mapping."""
    tags: dict[int, str] = {}
    rest: dict[str, str] = {}
    for key, value in meta.items():
        if key in _TIFF_TEXT_TAGS and value.isascii():
            tags[_TIFF_TEXT_TAGS[key]] = value
        else:
            rest[key] = value
    if list(rest) == ["Description"] and rest["Description"].isascii():
        tags[DESCRIPTION] = rest["Description"]
    elif rest:
        tags[DESCRIPTION] = json.dumps(rest, ensure_ascii=True)
    return tags


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """Text metadata as written by save_image: PNG text chunks, TIFF/EXIF text tags.

    The inverse of save_image's mapping (a JSON ImageDescription is expanded back into keys).
    Raises ImageLoadError if the file cannot be read.
    """
    path = Path(path)
    name = path.name or str(path)
    if not path.is_file():
        raise load_error(name, "file not found" if not path.exists() else "not a regular file")
    with (
        pillow_bomb_check_off(),
        decode_errors(name),
        Image.open(path, formats=open_formats()) as im,
    ):
        if im.format == "PNG":
            im.load()  # text chunks may follow the image data
            return {str(k): str(v) for k, v in getattr(im, "text", {}).items()}
        tags = dict(im.tag_v2) if im.format == "TIFF" else dict(im.getexif())  # type: ignore[attr-defined]
    meta: dict[str, str] = {}
    for key, tag in _TIFF_TEXT_TAGS.items():
        if isinstance(tags.get(tag), str):
            meta[key] = tags[tag]
    desc = tags.get(DESCRIPTION)
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
