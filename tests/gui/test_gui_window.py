"""Main-window plumbing: drag and drop, preferences, recent files, the picker."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, click, open_photo, wait_rendered
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from gui.preferences import Preferences


def drop(window, path) -> None:
    """Drop one local file or folder onto the window."""
    mime = QMimeData()  # the event only points at it: it must outlive the call
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    window.dropEvent(event)


def test_dropping_a_photo_opens_it(qtbot, window, photo) -> None:
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        drop(window, photo)
    assert window.doc.path == photo
    assert window.files.recent_files()[0] == str(photo.resolve())


def test_a_folder_opens_at_its_first_photo(qtbot, window, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from model.io.save import save_image

    album = tmp_path / "album"
    album.mkdir()
    for name in ("scan_10.png", "scan_2.png"):
        save_image(album / name, np.zeros((20, 30), np.uint8))
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        drop(window, album)
    assert window.doc.path == album / "scan_2.png"  # natural order
    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda p, title, text: warned.append(text))
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(empty))
    window.files.open_folder_dialog()
    assert warned and "no photo" in warned[0]
    assert window.doc.path == album / "scan_2.png"


def test_new_working_size_re_renders(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    click(window.canvas.result, 0.5, 0.5)
    wait_rendered(qtbot, window)
    shape = window.render_link.prediction.ab.shape
    window.apply_preferences(Preferences("cpu", 128, 7))
    qtbot.waitUntil(lambda: window.render_link.prediction.ab.shape != shape, timeout=TIMEOUT_MS)
    wait_rendered(qtbot, window)
    assert window.settings.value("working_size") in (128, "128")
    click(window.canvas.result, 0.2, 0.2)
    assert window.doc.points[-1].size == 7


def test_picker_follows_selection_and_sets_colour(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    picker = window.picker
    assert not picker.plane.isEnabled()
    click(window.canvas.result, 0.5, 0.5)
    wait_rendered(qtbot, window)
    assert picker.plane.isEnabled() and picker.lightness is not None
    assert 1 <= len(picker.suggestions) <= 8
    chips = [b for b in picker.suggest_row.buttons if b.isVisibleTo(picker)]
    assert len(chips) == len(picker.suggestions) and "%" in chips[0].toolTip()
    qtbot.mouseClick(chips[-1], Qt.MouseButton.LeftButton)
    assert window.doc.points[0].ab == pytest.approx(picker.suggestions[-1], abs=0.01) or (
        abs(window.doc.points[0].ab[0]) <= abs(picker.suggestions[-1][0]) + 0.01
    )  # equal, or pulled into the gamut at this lightness
    plane = picker.plane
    target = plane.to_pos((0.0, 0.0)).toPoint()
    qtbot.mouseClick(plane, Qt.MouseButton.LeftButton, pos=target)
    a, b = window.doc.points[0].ab
    assert abs(a) < 3 and abs(b) < 3  # the plane's centre is grey
    window.doc.select(-1)
    assert not picker.plane.isEnabled()


def test_picker_keeps_its_width_as_chips_and_titles_come_and_go(qtbot) -> None:
    """The dock must not widen (shrinking the photo) when a point is selected or more
    suggested and recent colours arrive: the rows reserve room for all their chips."""
    from gui.picker import MAX_RECENT, MAX_SUGGESTIONS, ColourPicker

    picker = ColourPicker()
    qtbot.addWidget(picker)
    picker.show()
    empty = picker.minimumSizeHint().width(), picker.sizeHint().width()
    picker.set_point(11, 27.6, (3.0, 11.0), 5)
    picker.set_suggestions([((10.0 * i - 30, 5.0 * i), 0.1) for i in range(MAX_SUGGESTIONS)])
    picker.set_recent([(4.0 * i, -3.0 * i) for i in range(MAX_RECENT)])
    full = picker.minimumSizeHint().width(), picker.sizeHint().width()
    assert full == empty


def test_chips_of_a_dark_point_still_show_their_hues(qtbot) -> None:
    from gui.picker import ColourPicker

    picker = ColourPicker()
    qtbot.addWidget(picker)
    picker.set_point(0, 4.0, (0.0, 0.0), 5)  # near black: every colour there is near black
    picker.set_recent([(40.0, 20.0), (-30.0, -30.0)])
    picker.set_suggestions([((0.0, 30.0), 0.5)])
    red, blue = (b.colour for b in picker.recent_row.buttons[:2])
    yellow = picker.suggest_row.buttons[0].colour
    assert red.lightness() > 60 and blue.lightness() > 60 and yellow.lightness() > 60
    assert red.red() > red.blue() and blue.blue() > blue.red() and yellow.red() > yellow.blue()


@pytest.mark.parametrize(
    ("cores", "threads"),
    [((2, 2), 2), ((1, 1), 1), ((4, 4), 3), ((8, 4), 4), ((16, 8), 8)],
)
def test_network_threads_one_per_physical_core_leaving_the_gui_room(
    monkeypatch: pytest.MonkeyPatch, cores: tuple[int, int], threads: int
) -> None:
    import gui.mainwindow

    monkeypatch.setattr(gui.mainwindow, "usable_cores", lambda: cores)
    assert gui.mainwindow.default_threads() == threads


def test_f1_opens_the_guide_beside_the_photo(qtbot, window) -> None:
    from PySide6.QtTest import QTest

    from gui.help import SHORTCUTS

    QTest.keyClick(window, Qt.Key.Key_F1)
    dialog = window._help
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    text = dialog.text.toPlainText()
    assert "Colouring a photo" in text and "Export Folder" in text
    for keys, what in SHORTCUTS:
        assert keys.strip() in text and what in text
    # Every menu shortcut of the window is in the table, so the guide cannot fall behind.
    table = " ".join(k for k, _ in SHORTCUTS)
    for act in window.actions():
        key = act.shortcut().toString()
        if key and act.isEnabled():
            assert key.replace("PgDown", "Page Down").replace("PgUp", "Page Up") in table, key
    window.show_help()
    assert window._help is dialog  # one window, brought to the front again


def test_suggestions_leave_the_points_own_colour_out(qtbot, tiny_net, photo, tmp_path) -> None:
    import dataclasses

    import torch
    from PySide6.QtCore import QSettings

    from gui.mainwindow import MainWindow
    from model.colour.bins import bin_centers, nearest_bin
    from model.inference import Colorizer

    centres = bin_centers()

    def marked(n: int) -> tuple[float, float]:
        a, b = centres[40 + 30 * n]
        return float(a), float(b)

    class Counting(Colorizer):
        """Its distribution everywhere peaks at a bin that tells how many points it saw."""

        def predict(self, prep, hints):
            pred = super().predict(prep, hints)
            logits = pred.logits.clone()
            logits[int(nearest_bin(np.array(marked(len(hints.points)))))] += 50.0
            return dataclasses.replace(pred, logits=logits)

    def factory(device: str, size: int) -> Colorizer:
        return Counting(net=tiny_net, device="cpu", working_size=size)

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    window.setWindowState(Qt.WindowState.WindowNoState)
    window.resize(900, 600)
    window.show()
    qtbot.waitExposed(window)
    top = lambda: window.picker.suggestions[0] if window.picker.suggestions else None  # noqa: E731
    try:
        open_photo(qtbot, window, photo)
        click(window.canvas.result, 0.3, 0.6)
        window.editor.use_colour((20.0, 20.0))
        wait_rendered(qtbot, window)
        # On screen the network saw this point (1); the suggestions come from none (0).
        qtbot.waitUntil(lambda: top() == pytest.approx(marked(0), abs=1e-3), timeout=TIMEOUT_MS)
        click(window.canvas.result, 0.7, 0.3)
        window.editor.use_colour((-20.0, 20.0))
        window.doc.select(0)
        wait_rendered(qtbot, window)
        qtbot.waitUntil(lambda: top() == pytest.approx(marked(1), abs=1e-3), timeout=TIMEOUT_MS)
        window.doc.recolour_point(0, (-20.0, -60.0))  # its own colour: the same suggestions
        wait_rendered(qtbot, window)
        assert top() == pytest.approx(marked(1), abs=1e-3)
        window.doc.select(-1)
        window.doc.select(1)
        qtbot.waitUntil(lambda: top() == pytest.approx(marked(1), abs=1e-3), timeout=TIMEOUT_MS)
        assert torch.is_tensor(window.render_link.prediction.logits)
    finally:
        window.doc.undo_stack.setClean()
        window.close()
        window.deleteLater()


def test_docks_come_back_as_they_were_left(qtbot, factory, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from gui.mainwindow import MainWindow

    def window_with(settings: QSettings) -> MainWindow:
        win = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
        win.show()
        qtbot.waitExposed(win)
        return win

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = window_with(settings)
    assert first.palette_dock.isVisible()
    first.palette_dock.close()
    first.acts.split.trigger()
    first.close()
    second = window_with(settings)
    try:
        assert not second.palette_dock.isVisible() and second.picker_dock.isVisible()
        assert second.acts.split.isChecked() and second.canvas.result.split is not None
        second.acts.split.trigger()  # back to the single view, remembered as well
    finally:
        second.close()
    third = window_with(settings)
    assert not third.acts.split.isChecked()
    third.close()


def test_history_lists_the_edits_and_goes_back_to_one(qtbot, window, photo) -> None:
    from guihelpers import open_photo, wait_rendered

    open_photo(qtbot, window, photo)
    assert not window.history_dock.isVisible()  # until asked for
    window.history_dock.toggleViewAction().trigger()
    assert window.history_dock.isVisible()
    doc = window.doc
    doc.add_point(0.2, 0.2, (10.0, 10.0))
    doc.add_point(0.6, 0.6, (-20.0, 30.0))
    doc.recolour_point(0, (40.0, 0.0))
    model = window.history.model()
    rows = [model.index(r, 0).data() for r in range(model.rowCount())]
    assert rows == ["Photo opened", "Add point", "Add point", "Recolour point"]
    # Clicking the first "Add point" goes back to that state: one point, not recoloured.
    window.history.setCurrentIndex(model.index(1, 0))
    assert len(doc.points) == 1 and doc.points[0].ab == (10.0, 10.0)
    wait_rendered(qtbot, window)
    window.history.setCurrentIndex(model.index(3, 0))
    assert len(doc.points) == 2 and doc.points[0].ab == (40.0, 0.0)


def test_a_pasted_or_dropped_image_opens_as_a_photo_without_a_folder(
    qtbot, window, photo, monkeypatch
) -> None:
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import gui.filedialogs
    import gui.files
    import gui.worker

    writers = []  # a big pasted image takes seconds to write: never in the GUI thread
    keep = gui.worker.keep_pasted
    monkeypatch.setattr(
        gui.worker, "keep_pasted", lambda *a: (writers.append(threading.current_thread()), keep(*a))
    )
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    for x in range(64):
        for y in range(48):
            image.setPixelColor(x, y, QColor(4 * x, 5 * y, 100))
    QApplication.clipboard().setImage(image)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        QTest.keyClick(window, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    got = window.doc.image
    assert (got.width, got.height) == (64, 48)
    assert writers and threading.main_thread() not in writers
    # Its pixels exactly (a lossless copy), not a re-encoding's.
    assert (np.round(got.rgb[10, 20] * 255)).tolist() == [80, 50, 100]
    pasted = window.doc.path
    assert pasted.parent.name.startswith(gui.files.PASTED_DIR)
    # Like the sample: no folder of its own to step through, save beside or export into.
    assert not window.acts.next_photo.isEnabled()
    assert window.exports.export_start().parent != pasted.parent
    assert str(pasted.resolve()) not in window.files.recent_files()
    asked = []
    monkeypatch.setattr(
        gui.filedialogs.QFileDialog,
        "getSaveFileName",
        lambda *a, **k: (asked.append(a[2]), ("", ""))[1],
    )
    window.doc.add_point(0.5, 0.5, (10.0, 10.0))
    assert not window.files.save_session() and asked and not asked[0].startswith(str(pasted.parent))
    window.doc.undo_stack.undo()
    # A copied file is opened as itself; an image dragged out of a browser as its pixels.
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photo))])
    QApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        assert window.files.paste_photo()
    assert window.doc.path == photo
    data = QMimeData()
    data.setImageData(image)
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        window.dropEvent(event)
    assert window.doc.path.name == "Pasted photo 2.png" and window.doc.image.width == 64
    QApplication.clipboard().clear()
    assert not window.files.paste_photo()
    assert "no image" in window.statusBar().currentMessage()


def test_a_pasted_image_that_cannot_be_kept_is_explained(
    qtbot, window, photo, tmp_path, monkeypatch
) -> None:
    import shutil

    from PySide6.QtGui import QImage

    image = QImage(32, 24, QImage.Format.Format_RGB32)
    image.fill(0x806040)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        assert window.files.open_image_data(image)
    open_photo(qtbot, window, photo)
    shutil.rmtree(window.files._pasted.path())  # its folder gone (a temp cleaner, a full disk)
    told = []
    monkeypatch.setattr(window, "error", lambda title, text: told.append((title, text)))
    with qtbot.waitSignal(window.worker.openFailed, timeout=TIMEOUT_MS):
        assert window.files.open_image_data(image)
    qtbot.waitUntil(lambda: bool(told), timeout=TIMEOUT_MS)
    assert told[0][0] == "Cannot open the photo" and "could not keep a copy" in told[0][1]
    assert window.doc.path == photo and not window.files.is_sample  # the open photo stays as it was


def test_f11_toggles_full_screen_and_the_tick_follows_the_window(qtbot, window) -> None:
    from PySide6.QtTest import QTest

    QTest.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=TIMEOUT_MS)
    assert window.acts.full_screen.isChecked()
    window.showNormal()  # left some other way (the window manager)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=TIMEOUT_MS)
    assert not window.acts.full_screen.isChecked()


def test_the_window_starts_no_bigger_than_the_screen(qtbot, factory, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from gui.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    win = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    try:
        avail = win.screen().availableGeometry()
        assert avail.width() < 1400  # the default size would not fit this screen
        assert win.width() <= avail.width() and win.height() <= avail.height()
        assert win.windowState() & Qt.WindowState.WindowMaximized  # the WM fits the frame
    finally:
        win.close()


def test_the_window_fits_a_small_laptop_screen(qtbot, window, photo) -> None:
    # 1366x768 at 125 % is 1093x614 logical pixels, less a taskbar (~32) and a title bar
    # (~25); the window used to need 624, which pushed the status bar off the screen.
    open_photo(qtbot, window, photo)
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))  # the picker with its rows of chips
    qtbot.waitUntil(lambda: window.picker.lightness is not None, timeout=TIMEOUT_MS)
    need = window.minimumSizeHint()
    assert need.height() <= 614 - 32 - 25 and need.width() <= 1093, need


def test_a_saved_size_that_fits_only_without_the_frame_shrinks_too(
    qtbot, factory, tmp_path
) -> None:
    from PySide6.QtCore import QSettings

    from gui.mainwindow import FRAME_GUESS, MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    first = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    avail = first.screen().availableGeometry()
    first.setWindowState(Qt.WindowState.WindowNoState)
    first.resize(avail.width() - 100, avail.height() - 4)  # the title bar would not fit
    first.close()  # saves the geometry
    win = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    try:
        assert win.height() <= avail.height() - FRAME_GUESS.height()
        assert win.width() == avail.width() - 100  # only the side that needed it
        assert win.windowState() & Qt.WindowState.WindowMaximized
    finally:
        win.close()


def test_arrow_keys_on_the_plane_fine_tune_the_colour_one_step_per_stroke(
    qtbot, window, photo
) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    open_photo(qtbot, window, photo)
    window.doc.add_point(0.5, 0.5, (10.0, 10.0))
    plane = window.picker.plane
    plane.setFocus()
    count = window.doc.undo_stack.count()

    def key(k, press: bool, repeat: bool = False, shift: bool = False) -> None:
        kind = QEvent.Type.KeyPress if press else QEvent.Type.KeyRelease
        mods = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
        QApplication.sendEvent(plane, QKeyEvent(kind, k, mods, "", repeat))

    key(Qt.Key.Key_Right, True)
    key(Qt.Key.Key_Right, True, repeat=True)
    key(Qt.Key.Key_Right, False)
    assert window.doc.points[0].ab == pytest.approx((12.0, 10.0))
    key(Qt.Key.Key_Down, True, shift=True)
    key(Qt.Key.Key_Down, False, shift=True)
    assert window.doc.points[0].ab == pytest.approx((12.0, 5.0))  # down is bluer
    assert window.doc.undo_stack.count() == count + 2  # one undo step per stroke
    # Recent keeps the colour the point ended with, not every step on the way.
    recent = [tuple(round(v, 3) for v in c) for c in window.editor.recent_colours]
    assert recent[0] == (12.0, 5.0) and (12.0, 10.0) not in recent
    window.doc.add_point(0.2, 0.2, (0.0, 0.0))
    window.picker.colourPicked.emit(-20.0, 30.0, True)  # another point: an entry of its own
    assert window.editor.recent_colours[:2] == [(-20.0, 30.0), (12.0, 5.0)]
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    window.doc.undo_stack.undo()
    assert window.doc.points[0].ab == pytest.approx((12.0, 10.0))


def test_the_colour_square_stays_put_as_points_are_selected(qtbot, window, photo) -> None:
    from PySide6.QtWidgets import QApplication

    open_photo(qtbot, window, photo)
    plane = window.picker.plane
    tops = [plane.mapTo(window, plane.rect().topLeft()).y()]
    window.doc.add_point(0.2, 0.2, (10.0, 10.0))
    window.doc.add_point(0.7, 0.7, (10.0, 10.0))
    qtbot.waitUntil(lambda: window.picker.lightness is not None, timeout=TIMEOUT_MS)
    QApplication.processEvents()
    tops.append(plane.mapTo(window, plane.rect().topLeft()).y())
    window.doc.select_all()  # the longer "and 1 more" title
    QApplication.processEvents()
    tops.append(plane.mapTo(window, plane.rect().topLeft()).y())
    assert len(set(tops)) == 1, tops
