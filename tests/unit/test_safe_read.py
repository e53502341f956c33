"""Paths that are not regular files are refused at once, by every reader (the app's too)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from model.hints.document import HintError, Hints
from model.io.errors import ImageLoadError
from model.io.load import load_image
from model.io.safe_read import FileTooLargeError, NotAFileError, read_capped
from tests.unit.cli_helpers import needs_posix, time_limit

pytestmark = needs_posix


@pytest.fixture
def odd_paths(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return {"named pipe (FIFO)": fifo, "device": Path("/dev/zero"), "folder": tmp_path}


def test_read_capped_refuses_what_is_not_a_file(odd_paths: dict[str, Path]) -> None:
    for what, path in odd_paths.items():
        with time_limit(20), pytest.raises(NotAFileError, match=re.escape(f"is a {what}")):
            read_capped(path, 100)


def test_read_capped_stops_at_its_cap(tmp_path: Path) -> None:
    p = tmp_path / "f"
    p.write_bytes(b"x" * 101)
    with pytest.raises(FileTooLargeError, match="at most 100 bytes"):
        read_capped(p, 100)
    assert read_capped(p, 101) == b"x" * 101


def test_hint_files_that_are_not_files_are_refused(odd_paths: dict[str, Path]) -> None:
    """`huebrush photo.png --hints FIFO` reads the hint file this way."""
    for what, path in odd_paths.items():
        with (
            time_limit(20),
            pytest.raises(HintError, match="^" + re.escape(f"{path}: is a {what}")),
        ):
            Hints.from_json(path)


def test_photos_that_are_not_files_are_refused(odd_paths: dict[str, Path]) -> None:
    for what, path in odd_paths.items():
        with (
            time_limit(20),
            pytest.raises(ImageLoadError, match=re.escape(f"is a {what}, not an image")),
        ):
            load_image(path)
