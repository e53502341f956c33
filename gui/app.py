"""`huebrush [PHOTO]`: start the desktop app (also `--version` and `--self-test`).

Uncaught errors are shown in a dialog and appended, with everything the app writes to
stderr, to `huebrush.log` in the user's data folder (QStandardPaths.AppDataLocation:
~/.local/share/Huebrush on Linux, %APPDATA%/Huebrush on Windows,
~/Library/Application Support/Huebrush on macOS).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType
from typing import TextIO

# Nothing here imports torch (or model/) at module level: gui/__main__.py imports this module
# first, so that a broken install can still be reported (startup_failure).

APP_NAME = "Huebrush"
LOG_NAME = "huebrush.log"
LOG_MAX_BYTES = 1_000_000  # a bigger log is moved to huebrush.log.1 at the next start


def version() -> str:
    """The version, from its one place: model.__version__."""
    from model import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """The command line: huebrush [PHOTO] [--hints FILE] [--device D] [--weights PATH]."""
    ap = argparse.ArgumentParser(
        prog="huebrush",
        description="Colour black-and-white photos interactively.",
        epilog="Batch colouring without the window: huebrush colorize --help",
    )
    ap.add_argument(
        "photo",
        nargs="?",
        metavar="PHOTO",
        help="photo, or folder of photos, to open (default: a sample)",
    )
    ap.add_argument("--hints", metavar="FILE", help="hint file to load with the photo")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where the network runs")
    ap.add_argument("--weights", metavar="PATH", help="network weights (.safetensors)")
    ap.add_argument(
        "--self-test",
        action="store_true",
        help="colour the bundled sample photo with a few hints through the app's own "
        "machinery (offscreen without a display), check the result, print a report and "
        "exit (status 0: passed)",
    )
    ap.add_argument("--version", action="version", version=f"huebrush {version()}")
    return ap


def default_log_dir() -> Path:
    """The user's data folder (gui.mainwindow.default_data_dir, without importing torch)."""
    from PySide6.QtCore import QStandardPaths

    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


def _log_exception(log_dir: Path, text: str) -> Path | None:
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_NAME
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
        return path
    except OSError:
        return None


class _Tee:
    """stderr that also goes to the log file (a windowed app's stderr is often nowhere)."""

    def __init__(self, stream: TextIO | None, log: TextIO) -> None:
        self._stream, self._log = stream, log

    def write(self, text: str) -> int:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stream.write(text)
        with contextlib.suppress(OSError, ValueError):
            self._log.write(text)
            self._log.flush()
        return len(text)

    def flush(self) -> None:
        if self._stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self._stream.flush()

    def isatty(self) -> bool:
        return False

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def open_log(log_dir: Path) -> Path | None:
    """Start this session's entry in the log (rotated when big) and copy stderr into it."""
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_NAME
        if path.is_file() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_name(LOG_NAME + ".1"))
        log = path.open("a", encoding="utf-8", buffering=1)
    except OSError:
        return None
    frozen = "bundle" if getattr(sys, "frozen", False) else "source"
    log.write(
        f"=== {datetime.datetime.now().isoformat(timespec='seconds')} huebrush {version()} "
        f"started ({frozen}, Python {platform.python_version()}, {platform.platform()})\n"
    )
    sys.stderr = _Tee(sys.stderr, log)  # type: ignore[assignment]
    return path


def install_excepthook(log_dir: Path) -> None:
    """Uncaught errors are logged and shown in a dialog; the app keeps running."""
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication, QMessageBox

    def console(text: str) -> None:
        # The log gets the text once, from _log_exception, even when stderr is the tee.
        stream = sys.stderr._stream if isinstance(sys.stderr, _Tee) else sys.stderr
        if stream is not None:
            stream.write(text)

    def hook(kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, err, tb))
        console(text)
        log = _log_exception(log_dir, text)
        app = QApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            return  # dialogs only from the GUI thread; the log has it
        box = QMessageBox(
            QMessageBox.Icon.Critical, "Huebrush: unexpected error", str(err) or kind.__name__
        )
        box.setInformativeText(
            "Your work is autosaved. " + (f"Details were written to {log}." if log else "")
        )
        box.setDetailedText(text)
        box.exec()

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        text = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        console(text)
        _log_exception(log_dir, text)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def startup_failure(argv: list[str], text: str) -> None:
    """The app's modules could not be imported (a damaged install): say so on stderr, in the
    log and, for a windowed start, in a dialog, instead of vanishing."""
    sys.stderr.write(text)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox
    except Exception:
        return  # Qt itself is broken: stderr is all there is
    QApplication.setApplicationName(APP_NAME)
    log = _log_exception(default_log_dir(), text)
    has_display = not sys.platform.startswith("linux") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if not has_display or any(a in ("--version", "--help", "-h", "--self-test") for a in argv):
        return
    _app = QApplication.instance() or QApplication(sys.argv[:1])  # alive while the box shows
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        "Huebrush cannot start",
        "Huebrush could not load its components; the installation may be damaged.",
    )
    box.setInformativeText(f"Details were written to {log}." if log else "")
    box.setDetailedText(text)
    box.exec()


def main(argv: list[str] | None = None) -> int:
    """Run the app; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.self_test:
        from gui.selftest import needs_offscreen

        if needs_offscreen():
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    # Before Qt starts: without a system library its X11 plugin needs, it aborts with a
    # message that names none.
    from gui.qtlibs import check_platform

    if (missing := check_platform()) is not None:
        sys.stderr.write(missing)
        _log_exception(default_log_dir(), missing)
        return 1
    from gui.qtfix import protect_none

    protect_none()
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(version())
    if args.self_test:
        from gui.selftest import run_self_test

        return run_self_test(Path(args.weights) if args.weights else None, args.device)

    log_dir = default_log_dir()
    open_log(log_dir)
    # Before the heavy imports (torch): a broken install is reported, not a silent exit.
    install_excepthook(log_dir)
    try:
        from gui.mainwindow import MainWindow
        from gui.resources import app_icon
        from model.hints.document import HintError, Hints

        app.setWindowIcon(app_icon())
        hints = None
        if args.hints:
            try:
                hints = Hints.from_json(args.hints)
            except HintError as err:
                QMessageBox.warning(None, "Cannot open the hint file", str(err))
        window = MainWindow(
            weights=Path(args.weights) if args.weights else None, device=args.device
        )
        window.show()
        try:
            restored = window.files.offer_recovery()
        except Exception:  # reported; never a reason not to start
            sys.excepthook(*sys.exc_info())
            restored = False
        if not restored:
            if args.photo:
                window.files.open_photo(args.photo, hints)
            else:
                window.files.open_sample()
    except Exception:
        sys.excepthook(*sys.exc_info())  # dialog + log, then a clean exit status
        return 1
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
