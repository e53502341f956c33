"""The file dialogs, with columns wide enough to read.

Qt's own dialog (used where the desktop offers no native one, as on a bare X11 session) sizes
its Size column for "128.88 GB" without the cell's padding, so "103.5 KiB" shows as
"103...KiB"; its Type and Date columns fare no better in some languages. Each call here asks
the standard static QFileDialog function, so a native dialog is used where there is one, and
fits the columns of Qt's own dialog to their contents once it is on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QHeaderView, QTreeView, QWidget


def fit_columns(dialog: QFileDialog) -> None:
    """Every column but the name follows its widest entry, in this folder and the next."""
    for tree in dialog.findChildren(QTreeView):
        header = tree.header()
        for column in range(1, header.count()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


def _fit_shown_dialogs(parent: QWidget | None) -> None:
    if parent is not None:
        dialogs = parent.findChildren(QFileDialog)
    else:
        dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog)]
    for dialog in dialogs:
        if dialog.isVisible():
            fit_columns(dialog)


def _when_shown(parent: QWidget | None) -> None:
    """Fit the columns of the dialog about to open: the static functions run their own
    event loop, and its first turn comes once the dialog is shown."""
    if parent is not None:  # dropped with the window, should it close meanwhile
        QTimer.singleShot(0, parent, lambda: _fit_shown_dialogs(parent))
    else:
        QTimer.singleShot(0, lambda: _fit_shown_dialogs(None))


def open_file(parent: QWidget | None, title: str, start: str, filters: str) -> str:
    """A file to open, or "" when cancelled."""
    _when_shown(parent)
    path, _ = QFileDialog.getOpenFileName(parent, title, start, filters)
    return path


def save_file(
    parent: QWidget | None, title: str, start: str, filters: str, selected: str = ""
) -> tuple[str, str]:
    """A file to write ("" when cancelled) and the file-type filter chosen."""
    _when_shown(parent)
    if selected:
        return QFileDialog.getSaveFileName(parent, title, start, filters, selected)
    return QFileDialog.getSaveFileName(parent, title, start, filters)


def folder(parent: QWidget | None, title: str, start: str) -> str:
    """A folder, or "" when cancelled."""
    _when_shown(parent)
    return QFileDialog.getExistingDirectory(parent, title, start)
