"""The names exports get: the suffix a photo keeps, and a path that is never the input."""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

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
    while same_file(candidate, src) or candidate.resolve() in taken:
        candidate = Path(out_dir) / f"{base}_{counter}{suffix}"
        counter += 1
    return candidate


def same_file(a: Path, b: Path) -> bool:
    if os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(a, b)  # links, and case-insensitive file systems
    except OSError:
        return False
