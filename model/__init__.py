"""Huebrush core: colour science, hints, networks and inference (no Qt)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from model.hints import Hints, PaletteColor, Point

if TYPE_CHECKING:
    from model.inference import Colorizer

__all__ = ["Colorizer", "Hints", "PaletteColor", "Point", "__version__"]


def __getattr__(name: str) -> Any:
    # Colorizer pulls in torch (seconds); `huebrush --version` and the hint format do not need it.
    if name == "Colorizer":
        from model.inference import Colorizer

        return Colorizer
    raise AttributeError(f"module 'model' has no attribute {name!r}")
