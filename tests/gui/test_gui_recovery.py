"""A recovery file the window cannot use is moved aside and the user is told where; the start
goes on, and quitting never trips over it (gui.recovery's own tests: tests/unit)."""

from __future__ import annotations

import os

import pytest
from guihelpers import open_photo
from PySide6.QtWidgets import QMessageBox

from tests.unit.cli_helpers import spoil_recovery


@pytest.fixture
def warnings_shown(monkeypatch) -> list[str]:
    shown: list[str] = []

    def warn(parent: object, title: str, text: str, *rest: object) -> QMessageBox.StandardButton:
        shown.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "warning", warn)
    return shown


@pytest.mark.parametrize("kind", ["a folder", "truncated", "newer version", "photo not there"])
def test_an_unusable_recovery_file_is_set_aside_and_the_start_goes_on(
    qtbot, window, photo, warnings_shown: list[str], kind: str
) -> None:
    store = window.files.recovery
    spoil_recovery(kind, store, photo)
    assert not window.files.offer_recovery()
    aside = store.set_aside
    assert aside is not None and aside.moved and aside.kept_at.exists()
    assert warnings_shown == [aside.message()] and str(aside.kept_at) in warnings_shown[0]
    assert not os.path.lexists(store.path)
    open_photo(qtbot, window, photo)  # the window works on


def test_a_recovery_folder_that_cannot_be_moved_never_stops_the_app(
    qtbot, window, photo, warnings_shown: list[str], monkeypatch
) -> None:
    """As a read-only data folder would (root may rename anyway, so the rename fails here)."""
    store = window.files.recovery
    spoil_recovery("a folder", store, photo)

    def read_only(src: object, dest: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "rename", read_only)
    assert not window.files.offer_recovery()
    assert len(warnings_shown) == 1 and f"still at {store.path}" in warnings_shown[0]
    open_photo(qtbot, window, photo)
    window.files.autosave()  # with nothing unsaved it removes the file: not a folder, no raise
    store.clear()  # as the window's clean exit (the fixture's close) does again
    assert store.path.is_dir()
