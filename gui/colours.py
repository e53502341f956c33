"""Conversions between CIELAB ab hints and the Qt colours widgets draw with."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QColorDialog, QWidget

from model.colorspace import lab_to_rgb, rgb_to_lab
from model.gamut import snap_to_gamut

AB = tuple[float, float]


def lab_qcolor(L: float, ab: AB) -> QColor:
    """The sRGB colour of (L, a, b), clipped into sRGB."""
    rgb = lab_to_rgb(np.array([L, ab[0], ab[1]], dtype=np.float64))
    r, g, b = (round(float(c) * 255) for c in rgb)
    return QColor(r, g, b)


def qcolor_ab(colour: QColor) -> AB:
    """The ab of a QColor (its lightness is dropped)."""
    rgb = np.array([colour.redF(), colour.greenF(), colour.blueF()], dtype=np.float64)
    lab = rgb_to_lab(rgb)
    return float(lab[1]), float(lab[2])


def snapped(L: float, ab: AB) -> AB:
    """ab pulled into the sRGB gamut at lightness L (unchanged when already inside)."""
    out = snap_to_gamut(float(L), np.asarray(ab, dtype=np.float64))
    return float(out[0]), float(out[1])


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
