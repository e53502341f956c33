"""A recovery file that cannot be used is moved aside, never deleted, and never stops the
start (gui.recovery imports no Qt; the window's part is in tests/gui/test_gui_recovery.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gui.recovery import RECOVERY_NAME, RecoveryStore
from tests.unit.cli_helpers import grey_photo, needs_posix, recovery_session, spoil_recovery


@pytest.fixture
def store(tmp_path: Path) -> RecoveryStore:
    return RecoveryStore(tmp_path / "recovery")


KINDS = ["truncated", "newer version", "unknown field", "empty", "photo not there", "a folder"]


@pytest.mark.parametrize("kind", [*KINDS, pytest.param("a FIFO", marks=needs_posix)])
def test_an_unusable_file_is_moved_aside_and_described(
    store: RecoveryStore, tmp_path: Path, kind: str
) -> None:
    photo = grey_photo(tmp_path / "photo.png")
    spoil_recovery(kind, store, photo)
    before = None if not store.path.is_file() else store.path.read_bytes()
    assert store.read() is None
    aside = store.set_aside
    assert aside is not None and aside.moved
    assert not os.path.lexists(store.path)
    assert aside.kept_at.parent == store.path.parent
    assert aside.kept_at.name.startswith(f"{RECOVERY_NAME}.unreadable-")
    if before is not None:
        assert aside.kept_at.read_bytes() == before  # kept whole
    assert str(aside.kept_at) in aside.message()
    if kind == "photo not there":
        assert "/media/gone/photo.jpg" in aside.message()
    store.clear()  # what the window does next; nothing left to remove
    assert os.path.lexists(aside.kept_at)


def test_two_set_aside_files_do_not_replace_each_other(store: RecoveryStore, tmp_path) -> None:
    photo = grey_photo(tmp_path / "photo.png")
    kept = []
    for _ in range(2):
        spoil_recovery("empty", store, photo)
        store.read()
        assert store.set_aside is not None
        kept.append(store.set_aside.kept_at)
    assert kept[0] != kept[1] and all(p.exists() for p in kept)


def test_a_file_that_cannot_be_moved_is_left_and_nothing_raises(
    store: RecoveryStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder (which root ignores, so the rename is made to fail)."""
    spoil_recovery("a folder", store, grey_photo(tmp_path / "photo.png"))

    def read_only(src: object, dest: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "rename", read_only)
    assert store.read() is None
    assert store.set_aside is not None and not store.set_aside.moved
    assert f"still at {store.path}" in store.set_aside.message()
    store.clear()  # a folder: left alone, no exception
    assert store.path.is_dir()


def test_a_good_file_comes_back(store: RecoveryStore, tmp_path: Path) -> None:
    photo = grey_photo(tmp_path / "photo.png")
    recovery_session(store, photo)
    found = store.read()
    assert found is not None and store.set_aside is None
    assert found.image_path == photo.resolve() and len(found.hints.points) == 1
