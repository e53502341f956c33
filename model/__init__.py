"""Huebrush core: colour science, hints, networks, image files and inference (no Qt)."""

__version__ = "0.1.0"
