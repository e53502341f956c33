"""Huebrush core: colour science, hints, networks and inference (no Qt)."""

__version__ = "0.1.0"

from model.hints import Hints, PaletteColor, Point
from model.inference import Colorizer

__all__ = ["Colorizer", "Hints", "PaletteColor", "Point", "__version__"]
