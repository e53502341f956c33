"""The file dialogs show their columns whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from guihelpers import TIMEOUT_MS
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QFileDialog, QTreeView, QWidget

from gui import filedialogs


@pytest.fixture
def own_qt_settings(tmp_path: Path) -> Iterator[None]:
    """Qt's dialog keeps its column widths in the user's QtProject settings, and takes them
    from there again: a test's must neither come from a run before it nor reach the user's."""
    fmt, scope = QSettings.Format.NativeFormat, QSettings.Scope.UserScope
    QSettings.setPath(fmt, scope, str(tmp_path / "config"))
    yield
    home = QStandardPaths.StandardLocation.GenericConfigLocation
    QSettings.setPath(fmt, scope, QStandardPaths.writableLocation(home))


def test_the_file_dialog_shows_sizes_and_dates_whole(
    qtbot, tmp_path: Path, monkeypatch, own_qt_settings
) -> None:
    (tmp_path / "scan.png").write_bytes(bytes(105_000))  # "102.5 KiB"
    shown: list[str] = []

    def qt_dialog(parent, title, start, filters):
        # What the static function does where the desktop has no native dialog: show Qt's
        # own, then run its event loop until the user answers.
        dialog = QFileDialog(parent, title, start, filters)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.show()
        tree = dialog.findChild(QTreeView)
        model, header = tree.model(), tree.header()
        qtbot.waitUntil(lambda: model.rowCount(tree.rootIndex()) > 0, timeout=TIMEOUT_MS)
        columns = range(1, header.count())  # size, type, date: the name may be cut

        def whole() -> bool:
            return all(header.sectionSize(c) >= tree.sizeHintForColumn(c) for c in columns)

        qtbot.waitUntil(whole, timeout=TIMEOUT_MS)
        shown.extend(model.index(0, c, tree.rootIndex()).data() for c in columns)
        dialog.close()
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", qt_dialog)
    parent = QWidget()
    qtbot.addWidget(parent)
    assert filedialogs.open_file(parent, "Open a photo", str(tmp_path), "Images (*.png)") == ""
    assert any(text.endswith("KiB") for text in shown)  # the size shown
