"""Finding bundled resources from a source checkout, an install and a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT_WEIGHTS = "weights/huebrush-default.safetensors"


def resource_root() -> Path:
    """The folder that holds `resources/`' contents."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:  # inside a PyInstaller bundle
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(relative: str) -> Path:
    """Absolute path of a bundled resource, e.g. resource_path('icons/app.svg')."""
    return resource_root() / relative


def default_weights_path() -> Path:
    return resource_path(DEFAULT_WEIGHTS)
