"""The command line and the last-resort error handler."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtWidgets import QMessageBox

from gui import app


def test_parser_accepts_the_documented_options() -> None:
    args = app.build_parser().parse_args(
        ["photo.jpg", "--hints", "h.json", "--device", "cpu", "--weights", "w.safetensors"]
    )
    assert (args.photo, args.hints, args.device, args.weights) == (
        "photo.jpg", "h.json", "cpu", "w.safetensors",
    )  # fmt: skip
    assert app.build_parser().parse_args([]).photo is None
    with pytest.raises(SystemExit):
        app.build_parser().parse_args(["--device", "tpu"])


def test_version_flag(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        app.main(["--version"])
    assert e.value.code == 0
    from model import __version__

    assert capsys.readouterr().out.strip() == f"huebrush {__version__}"


def test_uncaught_errors_are_logged_and_shown(qapp, tmp_path, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    old_hook, old_thread_hook = sys.excepthook, threading.excepthook
    try:
        app.install_excepthook(tmp_path)
        try:
            raise ValueError("something broke")
        except ValueError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook, threading.excepthook = old_hook, old_thread_hook
    assert shown == ["something broke"]
    assert "ValueError: something broke" in (tmp_path / app.LOG_NAME).read_text()


def test_entry_point_dispatches_colorize_to_the_batch_cli(capsys) -> None:
    from gui.__main__ import run

    with pytest.raises(SystemExit) as e:
        run(["colorize", "--help"])
    assert e.value.code == 0
    assert "huebrush-colorize" in capsys.readouterr().out
