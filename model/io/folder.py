"""The photos of a folder in the order a person reads them, and the names their colour
versions get: stepping through a series, and exporting one."""

from __future__ import annotations

import re
from pathlib import Path

from model.io.load import SUPPORTED_SUFFIXES
from model.io.naming import default_output_suffix, output_path_for

_DIGITS = re.compile(r"(\d+)")
# What Huebrush writes beside a photo (see model.io.naming.output_path_for): <stem>_color[_N].
_OUTPUT = re.compile(r"^(?P<stem>.+)_color(?:_\d+)?$")


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts scan_9 before scan_10 and ignores case."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.casefold())
        for part in _DIGITS.split(name)
        if part
    )


def folder_photos(folder: str | Path) -> list[Path]:
    """The photos Huebrush opens in folder, naturally sorted; hidden files and Huebrush's
    own exports of a photo that is there too (photo_color.png beside photo.jpg) left out."""
    try:
        files = [
            p
            for p in Path(folder).iterdir()
            if p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith(".")
        ]
    except OSError:
        return []
    stems = {p.stem for p in files}
    photos = []
    for p in files:
        m = _OUTPUT.match(p.stem)
        if m and m["stem"] in stems:
            continue
        try:
            if p.is_file():
                photos.append(p)
        except OSError:
            continue
    return sorted(photos, key=lambda p: natural_key(p.name))


def neighbour_photo(path: str | Path, step: int) -> Path | None:
    """The photo step places after (or, negative, before) path in its folder; None past
    either end. A path no longer in the folder counts from where its name would sort."""
    path = Path(path)
    photos = folder_photos(path.parent)
    key = natural_key(path.name)
    if step > 0:
        later = [p for p in photos if natural_key(p.name) > key]
        return later[step - 1] if len(later) >= step else None
    earlier = [p for p in photos if natural_key(p.name) < key]
    return earlier[step] if len(earlier) >= -step and step < 0 else None


def output_for(src: Path, out_dir: Path, taken: set[Path], fmt: str = "auto") -> Path:
    """Where a batch saves src's colour version: fmt "auto" keeps a TIFF or PNG source's
    format and makes the rest PNG, else a suffix without dot; never a path in taken (the
    inputs, and the outputs the batch already wrote)."""
    suffix = default_output_suffix(src) if fmt == "auto" else f".{fmt}"
    return output_path_for(src, out_dir, suffix, taken)
