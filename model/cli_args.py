"""The numbers `huebrush-colorize` takes, checked as strictly as a hint file's.

A palette or saturation given on the command line is turned into a hint document and parsed
by the hint file's own parser (model.hints.document), so the command line cannot pass what a
file could not: NaN, infinities, negative or huge weights, more colours than a palette holds.
Sizes the hint format has no field for get ranges here. Every refusal is one line that names
the option.
"""

from __future__ import annotations

import math
from typing import Any

from model.hints.document import FORMAT, VERSION, HintError, Hints, PaletteColor

#: The network resolutions the command line accepts (the app offers 128-512).
MIN_WORKING_SIZE, MAX_WORKING_SIZE = 64, 2048
#: The photo size limit the command line may set, in megapixels.
MAX_MEGAPIXELS = 10_000.0


class ArgumentError(ValueError):
    """A command-line value that is refused; the message names the option."""


def _as_hints(option: str, **fields: Any) -> Hints:
    try:
        return Hints.from_dict({"format": FORMAT, "version": VERSION, **fields}, option)
    except HintError as e:
        raise ArgumentError(str(e)) from None


def _number(option: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ArgumentError(f"{option}: {text[:40]!r} is not a number") from None


def parse_palette(text: str) -> tuple[PaletteColor, ...]:
    """'#hex,#hex' (optionally '#hex:weight') -> palette colours, validated as a hint file's
    palette is (weights 0..1e6, at most 64 colours)."""
    entries = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        hexpart, sep, weight = item.partition(":")
        entry: dict[str, Any] = {"rgb": hexpart.strip()}
        if sep:
            entry["weight"] = _number("--palette", weight.strip())
        entries.append(entry)
    if not entries:
        raise ArgumentError("--palette: no colours given (e.g. '#c08040,#3a6fb0:0.5')")
    return _as_hints("--palette", palette=entries).palette


def parse_saturation(value: float) -> float:
    """--saturation, validated as a hint file's saturation is (0..1)."""
    sat = _as_hints("--saturation", saturation=value).saturation
    assert sat is not None
    return sat


def check_working_size(value: int) -> int:
    if not MIN_WORKING_SIZE <= value <= MAX_WORKING_SIZE:
        raise ArgumentError(
            f"--working-size: {value} is outside {MIN_WORKING_SIZE}..{MAX_WORKING_SIZE}"
        )
    return value


def max_pixels(megapixels: float) -> int:
    """--max-megapixels as a pixel count."""
    if not math.isfinite(megapixels) or not 0 < megapixels <= MAX_MEGAPIXELS:
        raise ArgumentError(f"--max-megapixels: {megapixels:g} is outside 0..{MAX_MEGAPIXELS:g}")
    return int(megapixels * 1e6)
