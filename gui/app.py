"""`huebrush [PHOTO]`: start the desktop app."""

from __future__ import annotations

import argparse
import datetime
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from model import __version__

LOG_NAME = "huebrush.log"


def build_parser() -> argparse.ArgumentParser:
    """The command line: huebrush [PHOTO] [--hints FILE] [--device D] [--weights PATH]."""
    ap = argparse.ArgumentParser(
        prog="huebrush", description="Colour black-and-white photos interactively."
    )
    ap.add_argument("photo", nargs="?", metavar="PHOTO", help="photo to open (default: a sample)")
    ap.add_argument("--hints", metavar="FILE", help="hint file to load with the photo")
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where the network runs")
    ap.add_argument("--weights", metavar="PATH", help="network weights (.safetensors)")
    ap.add_argument("--version", action="version", version=f"Huebrush {__version__}")
    return ap


def _log_exception(log_dir: Path, text: str) -> Path | None:
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / LOG_NAME
        with path.open("a", encoding="utf-8") as f:
            f.write(f"--- {datetime.datetime.now().isoformat(timespec='seconds')}\n{text}\n")
        return path
    except OSError:
        return None


def install_excepthook(log_dir: Path) -> None:
    """Uncaught errors are logged and shown in a dialog; the app keeps running."""
    from PySide6.QtCore import QThread
    from PySide6.QtWidgets import QApplication, QMessageBox

    def hook(kind: type[BaseException], err: BaseException, tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, err, tb))
        sys.stderr.write(text)
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
        sys.stderr.write(text)
        _log_exception(log_dir, text)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def main(argv: list[str] | None = None) -> int:
    """Run the app; returns the exit status."""
    args = build_parser().parse_args(argv)
    from gui.qtfix import protect_none

    protect_none()
    from PySide6.QtWidgets import QApplication, QMessageBox

    from gui.mainwindow import MainWindow, default_data_dir
    from gui.resources import app_icon
    from model.hints import HintError, Hints

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Huebrush")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    install_excepthook(default_data_dir())

    hints = None
    if args.hints:
        try:
            hints = Hints.from_json(args.hints)
        except HintError as err:
            QMessageBox.warning(None, "Cannot open the hint file", str(err))
    window = MainWindow(weights=Path(args.weights) if args.weights else None, device=args.device)
    window.show()
    if not window.offer_recovery():
        if args.photo:
            window.open_photo(args.photo, hints)
        else:
            window.open_sample()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
