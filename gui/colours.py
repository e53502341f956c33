"""Conversions between CIELAB ab hints and the Qt colours widgets draw with."""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QColorDialog, QWidget

from model.colour.colorspace import lab_to_rgb, rgb_to_lab
from model.colour.gamut import snap_to_gamut

AB = tuple[float, float]
SWATCH_MIN_L, SWATCH_MAX_L = 35.0, 85.0


def swatch_lightness(L: float) -> float:
    """Lightness a swatch or chip is drawn at: its pixel's, but never so dark or light that
    the hue cannot be told (the picker's plane shows the exact colour)."""
    return min(max(L, SWATCH_MIN_L), SWATCH_MAX_L)


def lab_qcolor(L: float, ab: AB) -> QColor:
    """The sRGB colour of (L, a, b), clipped into sRGB."""
    return QColor(*_lab_rgb8(float(L), float(ab[0]), float(ab[1])))


# Swatches, chips and markers are redrawn on every edit, mostly with the same few colours;
# converting each afresh (a bisection for snapping) cost ~15 ms of GUI thread per click.
@functools.lru_cache(maxsize=4096)
def _lab_rgb8(L: float, a: float, b: float) -> tuple[int, int, int]:
    rgb = lab_to_rgb(np.array([L, a, b], dtype=np.float64))
    r, g, bl = (round(float(c) * 255) for c in rgb)
    return r, g, bl


def qcolor_ab(colour: QColor) -> AB:
    """The ab of a QColor (its lightness is dropped)."""
    rgb = np.array([colour.redF(), colour.greenF(), colour.blueF()], dtype=np.float64)
    lab = rgb_to_lab(rgb)
    return float(lab[1]), float(lab[2])


def snapped(L: float, ab: AB) -> AB:
    """ab pulled into the sRGB gamut at lightness L (unchanged when already inside)."""
    return snapped_many(L, [ab])[0]


# Swatches and chips ask for the same colours again and again; new ones (a new point's
# lightness) are snapped together, one vectorised bisection instead of one per colour.
_SNAP_CACHE: dict[tuple[float, float, float], AB] = {}
_SNAP_CACHE_MAX = 8192


def snapped_many(L: float, abs_: list[AB]) -> list[AB]:
    """`snapped` for several colours at one lightness."""
    keys = [(float(L), float(a), float(b)) for a, b in abs_]
    todo = list(dict.fromkeys(k for k in keys if k not in _SNAP_CACHE))
    if todo:
        if len(_SNAP_CACHE) + len(todo) > _SNAP_CACHE_MAX:
            _SNAP_CACHE.clear()
        out = snap_to_gamut(float(L), np.array([k[1:] for k in todo], dtype=np.float64))
        for k, o in zip(todo, out, strict=True):
            _SNAP_CACHE[k] = (float(o[0]), float(o[1]))
    return [_SNAP_CACHE[k] for k in keys]


def swatch_colour(ab: AB, L: float = 65.0) -> QColor:
    """A readable sample of a hue for lists and buttons, where no pixel lightness applies."""
    return lab_qcolor(L, snapped(L, ab))


def ask_colour(parent: QWidget | None, title: str, initial: QColor | None = None) -> QColor | None:
    """The standard colour dialog; None when cancelled. Tests replace this function."""
    colour = QColorDialog.getColor(initial or QColor(200, 140, 90), parent, title)
    return colour if colour.isValid() else None


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """(H, W, 3) uint8 or float 0..1 -> an owned RGB888 QImage."""
    if rgb.dtype != np.uint8:
        rgb = np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    # copy() detaches the QImage from the numpy buffer, which may be freed after return.
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
