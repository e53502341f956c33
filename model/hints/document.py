"""User hints as plain, immutable data, and the public hint-file format.

A hint file (``photo.hints.json`` beside ``photo.jpg``) looks like::

    {"format": "huebrush-hints", "version": 1,
     "points": [{"x": 0.31, "y": 0.62, "ab": [12.0, -40.5], "size": 6},
                {"x": 0.80, "y": 0.10, "rgb": "#3a6fb0"}],
     "palette": [{"rgb": "#c08040", "weight": 0.6}, {"ab": [5.0, 20.0], "weight": 0.4}],
     "saturation": null}

x and y are fractions of the image width and height, so a file is resolution independent.
An optional ``"enhance": {"mode": "stretch", "output": false}`` records the lightness
enhancement the network saw (model.colour.enhance), so a session comes back as it was left, and
``"keep_rest": true`` that the points colour only their own regions (model.hints.anchors).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from model.colour.colorspace import hex_to_ab
from model.io.safe_read import FileTooLargeError, NotAFileError, read_capped

FORMAT = "huebrush-hints"
VERSION = 1
DEFAULT_SIZE = 5
MIN_SIZE, MAX_SIZE = 1, 9
MAX_POINTS = 10_000
MAX_PALETTE = 64
# A full document (MAX_POINTS points, pretty-printed) is ~1 MB; anything far larger is not a
# hint file, and reading it whole would only stall the GUI.
MAX_FILE_BYTES = 16 * 1024 * 1024
AB_LIMIT = 128.0
#: Lightness enhancements the network can be shown (model.colour.enhance implements them).
ENHANCE_MODES = ("none", "stretch", "equalize")
#: The JSON Schema of the hint file (tests keep it in step with the parser below).
SCHEMA_PATH = Path(__file__).with_name("hints.schema.json")


class HintError(ValueError):
    """A hint file or document that does not follow the format; says which field."""


@dataclass(frozen=True)
class Point:
    """One local colour hint: centre (fractions of width/height), CIELAB ab, patch width."""

    x: float
    y: float
    ab: tuple[float, float]
    size: int = DEFAULT_SIZE

    def moved(self, x: float, y: float) -> Point:
        return replace(self, x=min(max(x, 0.0), 1.0), y=min(max(y, 0.0), 1.0))

    def recoloured(self, ab: tuple[float, float]) -> Point:
        return replace(self, ab=(float(ab[0]), float(ab[1])))

    def resized(self, size: int) -> Point:
        return replace(self, size=int(min(max(size, MIN_SIZE), MAX_SIZE)))


@dataclass(frozen=True)
class PaletteColor:
    """One global palette colour (CIELAB ab) with a relative weight."""

    ab: tuple[float, float]
    weight: float = 1.0


@dataclass(frozen=True)
class Hints:
    """Everything a user tells the network: local points, a global palette, a saturation."""

    points: tuple[Point, ...] = ()
    palette: tuple[PaletteColor, ...] = ()
    saturation: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Not a hint but part of the session: what the network saw (one of ENHANCE_MODES), and
    # whether the result shows the enhanced lightness too.
    enhance: str = "none"
    enhance_output: bool = False
    # The points colour their own regions and the automatic colours stay elsewhere.
    keep_rest: bool = False

    @property
    def empty(self) -> bool:
        return not self.points and not self.palette and self.saturation is None

    def with_points(self, points: Iterable[Point]) -> Hints:
        return replace(self, points=tuple(points))

    def with_palette(self, palette: Iterable[PaletteColor]) -> Hints:
        return replace(self, palette=tuple(palette))

    def with_saturation(self, saturation: float | None) -> Hints:
        return replace(self, saturation=saturation)

    def with_enhance(self, mode: str, output: bool = False) -> Hints:
        if mode not in ENHANCE_MODES:
            raise ValueError(f"unknown enhancement {mode!r} (one of {', '.join(ENHANCE_MODES)})")
        return replace(self, enhance=mode, enhance_output=bool(output) and mode != "none")

    def with_keep_rest(self, on: bool) -> Hints:
        return replace(self, keep_rest=bool(on))

    # -- the file format ------------------------------------------------------------------
    @classmethod
    def from_dict(cls, doc: Any, source: str = "hints") -> Hints:
        """Validate and parse a hint document; errors name `source` and the field."""
        return _parse(doc, source)

    @classmethod
    def from_json(cls, path: str | Path) -> Hints:
        """Read a hint file."""
        p = Path(path)
        try:
            text = read_capped(p, MAX_FILE_BYTES).decode("utf-8")
        except FileTooLargeError as e:
            raise HintError(f"{p}: not a hint file, {e.reason}") from None
        except NotAFileError as e:  # a folder, a FIFO or a device: never opened for reading
            raise HintError(f"{p}: {e.reason}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise HintError(f"{p}: cannot read hint file ({e.__class__.__name__}: {e})") from e
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except (json.JSONDecodeError, ValueError) as e:
            raise HintError(f"{p}: not valid JSON ({e})") from e
        except RecursionError:  # e.g. "[[[[..." thousands deep
            raise HintError(f"{p}: not valid JSON (nested too deeply)") from None
        return _parse(doc, str(p))

    def to_dict(self) -> dict[str, Any]:
        """The file-format document; `meta` (from a read file) is written back unchanged."""
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "points": [
                {"x": p.x, "y": p.y, "ab": [round(p.ab[0], 3), round(p.ab[1], 3)], "size": p.size}
                for p in self.points
            ],
            "palette": [
                {"ab": [round(c.ab[0], 3), round(c.ab[1], 3)], "weight": c.weight}
                for c in self.palette
            ],
            "saturation": self.saturation,
        }
        if self.enhance != "none":
            doc["enhance"] = {"mode": self.enhance, "output": self.enhance_output}
        if self.keep_rest:
            doc["keep_rest"] = True
        if self.extra:
            doc["meta"] = dict(self.extra)
        return doc

    def to_json(self, path: str | Path) -> None:
        """Write the hint file atomically."""
        from model.io.atomic import atomic_write_bytes

        # allow_nan=False: a NaN or infinity written here would make a file no reader accepts.
        data = json.dumps(self.to_dict(), indent=1, allow_nan=False).encode("utf-8")
        atomic_write_bytes(Path(path), data + b"\n")


def sidecar_path(image_path: str | Path) -> Path:
    """photo.jpg -> photo.hints.json in the same folder."""
    p = Path(image_path)
    return p.with_name(p.stem + ".hints.json")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _show(v: Any, limit: int = 60) -> str:
    """A short repr for messages: values come from untrusted files and may be huge."""
    try:
        text = repr(v)
    except (ValueError, RecursionError):  # ints past Python's digit limit, deep nesting
        return f"<{type(v).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _num(v: Any, where: str, lo: float, hi: float) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise HintError(f"{where}: expected a number, got {type(v).__name__}")
    try:
        f = float(v)
    except OverflowError:  # JSON integers may have any number of digits
        f = math.inf
    if not math.isfinite(f) or not lo <= f <= hi:
        raise HintError(f"{where}: {_show(v)} is outside {lo:g}..{hi:g}")
    return f


def _ab(obj: Mapping[str, Any], where: str) -> tuple[float, float]:
    has_ab, has_rgb = "ab" in obj, "rgb" in obj
    if has_ab == has_rgb:
        raise HintError(f"{where}: give exactly one of 'ab' or 'rgb'")
    if has_rgb:
        if not isinstance(obj["rgb"], str):
            raise HintError(f"{where}.rgb: expected a '#rrggbb' string")
        try:
            return hex_to_ab(obj["rgb"])
        except ValueError as e:
            raise HintError(f"{where}.rgb: {e}") from e
    v = obj["ab"]
    if not isinstance(v, list | tuple) or len(v) != 2:
        raise HintError(f"{where}.ab: expected [a, b]")
    return (
        _num(v[0], f"{where}.ab[0]", -AB_LIMIT, AB_LIMIT),
        _num(v[1], f"{where}.ab[1]", -AB_LIMIT, AB_LIMIT),
    )


def _keys(obj: Any, where: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(obj, dict):
        raise HintError(f"{where}: expected an object, got {type(obj).__name__}")
    # key=repr: from_dict may be handed keys that are not strings and do not sort together.
    unknown = sorted(set(obj) - allowed, key=repr)
    if unknown:
        raise HintError(f"{where}: unknown field {_show(unknown[0])}")
    return obj


def _list(v: Any, where: str, limit: int) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise HintError(f"{where}: expected a list")
    if len(v) > limit:
        raise HintError(f"{where}: {len(v)} entries, at most {limit} allowed")
    return v


def _parse(doc: Any, src: str) -> Hints:
    known = {"format", "version", "points", "palette", "saturation", "enhance", "keep_rest"}
    d = _keys(doc, src, known | {"meta"})
    if d.get("format") != FORMAT:
        raise HintError(f"{src}: field 'format' must be {FORMAT!r}, got {_show(d.get('format'))}")
    if d.get("version") != VERSION or isinstance(d.get("version"), bool):
        raise HintError(f"{src}: field 'version' {_show(d.get('version'))} is not supported")
    points = []
    for i, raw in enumerate(_list(d.get("points"), f"{src}: points", MAX_POINTS)):
        where = f"{src}: points[{i}]"
        o = _keys(raw, where, {"x", "y", "ab", "rgb", "size"})
        for k in ("x", "y"):
            if k not in o:
                raise HintError(f"{where}: missing field {k!r}")
        size = DEFAULT_SIZE
        if "size" in o:
            s = _num(o["size"], f"{where}.size", MIN_SIZE, MAX_SIZE)
            if s != int(s):
                raise HintError(f"{where}.size: expected a whole number")
            size = int(s)
        points.append(
            Point(
                _num(o["x"], f"{where}.x", 0.0, 1.0),
                _num(o["y"], f"{where}.y", 0.0, 1.0),
                _ab(o, where),
                size,
            )
        )
    palette = []
    for i, raw in enumerate(_list(d.get("palette"), f"{src}: palette", MAX_PALETTE)):
        where = f"{src}: palette[{i}]"
        o = _keys(raw, where, {"ab", "rgb", "weight"})
        w = _num(o.get("weight", 1.0), f"{where}.weight", 0.0, 1e6)
        palette.append(PaletteColor(_ab(o, where), w))
    sat = d.get("saturation")
    if sat is not None:
        sat = _num(sat, f"{src}: saturation", 0.0, 1.0)
    meta = d.get("meta")
    if meta is None:
        meta = {}
    elif not isinstance(meta, dict):  # also false, 0, "" and []: wrong types are errors
        raise HintError(f"{src}: meta: expected an object")
    mode, output = _enhance(d.get("enhance"), f"{src}: enhance")
    keep_rest = d.get("keep_rest", False)
    if keep_rest is None:
        keep_rest = False
    if not isinstance(keep_rest, bool):
        raise HintError(f"{src}: keep_rest: expected true or false")
    return Hints(tuple(points), tuple(palette), sat, meta, mode, output, keep_rest)


def _enhance(raw: Any, where: str) -> tuple[str, bool]:
    if raw is None:
        return "none", False
    o = _keys(raw, where, {"mode", "output"})
    mode = o.get("mode")
    if not isinstance(mode, str) or mode not in ENHANCE_MODES:
        raise HintError(f"{where}.mode: expected one of {', '.join(ENHANCE_MODES)}")
    output = o.get("output", False)
    if not isinstance(output, bool):
        raise HintError(f"{where}.output: expected true or false")
    return mode, output and mode != "none"
