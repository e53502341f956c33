"""The check for system libraries Qt's X11 plugin needs, on a machine that has them all."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gui import app, qtlibs

PLUGIN = qtlibs.xcb_plugin()
needs_plugin = pytest.mark.skipif(PLUGIN is None, reason="this PySide6 has no xcb plugin")


@needs_plugin
def test_the_plugins_own_list_of_libraries_is_read() -> None:
    assert PLUGIN is not None
    needed = qtlibs.needed_libraries(PLUGIN)
    assert "libQt6XcbQpa.so.6" in needed and "libxcb.so.1" in needed
    asked: list[str] = []
    assert qtlibs.missing_libraries(PLUGIN, lambda name: asked.append(name)) == []
    # Those of Qt's X11 library beside it too, each asked for once.
    assert {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"} <= set(asked)
    assert len(asked) == len(set(asked)) and not any(n.startswith("libQt") for n in asked)


@needs_plugin
def test_a_library_the_linker_cannot_find_is_named(tmp_path: Path) -> None:
    # The plugin as a system without libxcb-icccm would see it: a name nothing provides.
    assert PLUGIN is not None
    copy = tmp_path / "Qt" / "plugins" / "platforms" / PLUGIN.name
    copy.parent.mkdir(parents=True)
    shutil.copy(PLUGIN, copy)
    data = copy.read_bytes()
    assert data.count(b"libxcb-icccm.so.4\0") == 1
    copy.write_bytes(data.replace(b"libxcb-icccm.so.4\0", b"libxcb-icccm.so.9\0"))
    assert qtlibs.missing_libraries(copy) == ["libxcb-icccm.so.9"]  # the real dynamic linker


@needs_plugin
def test_a_library_missing_behind_another_is_the_one_named() -> None:
    assert PLUGIN is not None
    # libxcb-cursor is there but lacks what it needs in turn; libxcb-keysyms is not there.
    lacking = {
        "libxcb-cursor.so.0": "libxcb-image.so.0",
        "libxcb-keysyms.so.1": "libxcb-keysyms.so.1",
    }
    missing = qtlibs.missing_libraries(PLUGIN, lacking.get)
    assert sorted(missing) == ["libxcb-image.so.0", "libxcb-keysyms.so.1"]
    report = qtlibs.missing_report(missing)
    assert "libxcb-keysyms.so.1" in report and "sudo apt-get install" in report
    assert "libxcb-keysyms1" in report and "libxcb-image0" in report


@pytest.mark.parametrize(
    ("soname", "package"),
    [
        ("libxcb-icccm.so.4", "libxcb-icccm4"),
        ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
        ("libxcb-cursor.so.0", "libxcb-cursor0"),
        ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
        ("libGL.so.1", "libgl1"),
        ("libX11-xcb.so.1", "libx11-xcb1"),
        ("libglib-2.0.so.0", "libglib2.0-0"),
    ],
)
def test_each_library_maps_to_its_debian_package(soname: str, package: str) -> None:
    assert qtlibs.package_for(soname) == package


def test_the_report_names_the_libraries_and_the_command() -> None:
    report = qtlibs.missing_report(["libxcb-icccm.so.4", "libxcb-cursor.so.0"])
    assert "libxcb-icccm.so.4, libxcb-cursor.so.0" in report
    assert "sudo apt-get install libxcb-icccm4 libxcb-cursor0\n" in report


@pytest.mark.parametrize(
    ("env", "xcb"),
    [
        ({}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, False),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, False),
        ({"WAYLAND_DISPLAY": "wayland-0"}, False),
        ({"XDG_SESSION_TYPE": "wayland", "QT_QPA_PLATFORM": "xcb"}, True),
    ],
)
def test_only_an_x11_start_is_checked(env: dict[str, str], xcb: bool) -> None:
    assert qtlibs.uses_xcb(env) is xcb


def test_the_app_says_what_is_missing_instead_of_starting_qt(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    report = qtlibs.missing_report(["libxcb-icccm.so.4"])
    monkeypatch.setattr(qtlibs, "check_platform", lambda: report)
    monkeypatch.setattr(app, "default_log_dir", lambda: tmp_path)
    assert app.main([]) == 1
    assert capsys.readouterr().err == report
    assert "sudo apt-get install libxcb-icccm4" in (tmp_path / app.LOG_NAME).read_text()
