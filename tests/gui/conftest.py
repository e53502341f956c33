"""Fixtures for the GUI tests: offscreen Qt, a tiny random network, generated photos."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from guihelpers import UnexpectedDialog, gradient
from PIL import Image
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QColorDialog, QDialog, QFileDialog, QInputDialog, QMessageBox

from gui.mainwindow import MainWindow
from gui.qtfix import protect_none
from model.inference import Colorizer
from model.network.config import NetConfig
from model.network.unet import ColorNet


@pytest.fixture(scope="session", autouse=True)
def _none_guard() -> None:
    """The suite makes more void Qt calls than an unprotected None survives (gui/qtfix.py)."""
    protect_none()


@pytest.fixture(autouse=True)
def _no_chance_drafts(monkeypatch) -> None:
    """The tiny network is never slow, but one stall of a busy runner would switch the worker
    to drafts and change what a test sees; test_gui_drafts turns them on deliberately."""
    import gui.drafts

    monkeypatch.setattr(gui.drafts, "DRAFT_TRIGGER_MS", float("inf"))


# Every call that blocks until a user answers. A test expecting one patches it itself.
MODAL_CALLS = {
    QDialog: ("exec",),
    QMessageBox: ("exec", "about", "critical", "information", "question", "warning"),
    QFileDialog: (
        "getOpenFileName",
        "getOpenFileNames",
        "getSaveFileName",
        "getExistingDirectory",
    ),
    QColorDialog: ("getColor",),
    QInputDialog: ("getText", "getInt", "getDouble", "getItem"),
}


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch) -> None:
    """An unexpected modal dialog fails its test at once instead of hanging the run (an
    error box in a worker's error path once hung a whole run of the suite)."""
    for cls, names in MODAL_CALLS.items():
        for name in names:

            def refuse(*args: object, _what: str = f"{cls.__name__}.{name}") -> None:
                texts = [a for a in args if isinstance(a, str)]
                raise UnexpectedDialog(f"{_what} would wait for a user: {texts}")

            monkeypatch.setattr(cls, name, refuse)


@pytest.fixture(scope="session")
def tiny_net() -> ColorNet:
    torch.manual_seed(0)
    return ColorNet(NetConfig(width=4, semantic="none"))


@pytest.fixture
def factory(tiny_net: ColorNet) -> Callable[[str, int], Colorizer]:
    """Colorizers on the tiny network: always CPU, whatever the preferences say."""

    def make(device: str, size: int) -> Colorizer:
        return Colorizer(net=tiny_net, device="cpu", working_size=size)

    return make


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.fromarray(gradient(), "L").save(path)
    return path


@pytest.fixture
def window(qtbot, factory, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    # Not maximised, as a window too big for the screen starts: the tests' fixed size.
    win.setWindowState(Qt.WindowState.WindowNoState)
    win.resize(900, 600)
    win.show()
    qtbot.waitExposed(win)
    yield win
    # Not qtbot.addWidget: its close comes before this teardown and would meet the
    # "save changes?" prompt; nor may a folder export be left running ("quit anyway?").
    if win.exports.exporting_folder:
        win.exports.stop_folder_export()
        qtbot.waitUntil(lambda: not win.exports.exporting_folder, timeout=30_000)
    win.doc.undo_stack.setClean()
    win.close()
    win.deleteLater()
