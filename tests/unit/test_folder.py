"""Stepping through the photos of a folder."""

from __future__ import annotations

from pathlib import Path

from model.io.folder import folder_photos, natural_key, neighbour_photo


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).write_bytes(b"")


def test_natural_order_ignores_case_and_reads_numbers() -> None:
    names = ["Scan_10.tif", "scan_9.tif", "scan_1.TIF", "album.png", "Scan_10b.tif"]
    assert sorted(names, key=natural_key) == [
        "album.png",
        "scan_1.TIF",
        "scan_9.tif",
        "Scan_10.tif",
        "Scan_10b.tif",
    ]


def test_folder_photos_skip_other_files_hidden_ones_and_our_exports(tmp_path: Path) -> None:
    touch(tmp_path, "p2.jpg", "p10.jpg", "p2_color.png", "p2_color_1.png", "notes.txt")
    touch(tmp_path, ".hidden.jpg", "lone_color.png", "p10.hints.json")
    (tmp_path / "sub.png").mkdir()
    # lone_color.png has no photo beside it, so it is somebody's photo, not our export.
    assert [p.name for p in folder_photos(tmp_path)] == ["lone_color.png", "p2.jpg", "p10.jpg"]
    assert folder_photos(tmp_path / "missing") == []


def test_neighbours_stop_at_the_ends(tmp_path: Path) -> None:
    touch(tmp_path, "a.png", "b2.png", "b10.png")
    a, b2, b10 = tmp_path / "a.png", tmp_path / "b2.png", tmp_path / "b10.png"
    assert neighbour_photo(a, 1) == b2
    assert neighbour_photo(b2, 1) == b10
    assert neighbour_photo(b10, 1) is None
    assert neighbour_photo(b10, -1) == b2
    assert neighbour_photo(a, -1) is None
    assert neighbour_photo(a, 2) == b10
    # A photo deleted meanwhile: the step counts from where its name sorts.
    assert neighbour_photo(tmp_path / "b3.png", 1) == b10
    assert neighbour_photo(tmp_path / "b3.png", -1) == b2
