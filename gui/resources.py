"""Bundled icons and files, found the same way from source and from a frozen bundle."""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtGui import QIcon

from model.io.load import SUPPORTED_SUFFIXES
from model.io.paths import resource_path

SAMPLE_PHOTO = "samples/astronaut.png"
MODEL_CARD = "weights/huebrush-default.md"


@functools.cache
def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg as an icon; an empty icon if the file is missing."""
    path = resource_path(f"icons/{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()


def app_icon() -> QIcon:
    """The application icon (a brush over colour stripes)."""
    return icon("huebrush")


def sample_photo() -> Path:
    """The black-and-white photo shown when Huebrush starts without one."""
    return resource_path(SAMPLE_PHOTO)


def model_card_excerpt(max_lines: int = 12) -> str:
    """The first lines of the shipped weights' model card, or '' when there is none."""
    path = resource_path(MODEL_CARD)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return ""
    return "\n".join(lines[:max_lines]).strip()


def images_filter() -> str:
    """A file dialog filter for every photo format Huebrush opens."""
    return "Images (" + " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES) + ")"
