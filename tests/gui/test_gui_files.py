"""Sessions, export and crash recovery."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, click, gradient, open_photo, wait_rendered
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from gui.mainwindow import MainWindow
from gui.preferences import Preferences, PreferencesDialog
from model.hints.anchors import KEEP_OUT, point_reach
from model.hints.document import Hints, Point, sidecar_path
from model.io.load import load_image
from model.io.save import save_image
from model.io.text import read_metadata


@pytest.fixture
def warnings(monkeypatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda parent, title, text, *a: seen.append(f"{title}: {text}")
    )
    return seen


def add_points(window: MainWindow) -> None:
    view = window.canvas.result
    for fx, fy, a, b in ((0.2, 0.3, 20, 10), (0.6, 0.5, -10, 30), (0.8, 0.8, 30, -20)):
        click(view, fx, fy)
        window.editor.use_colour((a, b))  # a click's point counts once it has a chosen colour
    window.doc.resize_point(1, 8)
    window.doc.set_saturation(0.4)


def test_save_session_and_reopen(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    add_points(window)
    points = window.doc.points
    assert window.doc.dirty and window.isWindowModified()
    assert window.files.save_session()
    side = sidecar_path(photo)
    assert side.is_file() and not window.doc.dirty
    assert Hints.from_json(side).points == points

    window.doc.reset_hints()
    window.doc.undo_stack.setClean()
    open_photo(qtbot, window, photo)  # the sidecar comes back with the photo
    assert window.doc.points == points
    assert window.doc.hints.saturation == pytest.approx(0.4)
    assert not window.doc.dirty

    window.doc.reset_hints()
    assert window.files.open_session(side)
    assert window.doc.points == points


def test_bad_session_file_is_reported(qtbot, window, photo, warnings, tmp_path) -> None:
    open_photo(qtbot, window, photo)
    bad = tmp_path / "bad.hints.json"
    bad.write_text('{"format": "huebrush-hints", "version": 1, "points": [{"x": 2, "y": 0}]}')
    assert not window.files.open_session(bad)
    assert warnings and "points[0]" in warnings[0]


def test_export_full_resolution_keeps_lightness(qtbot, window, photo, tmp_path) -> None:
    open_photo(qtbot, window, photo)
    add_points(window)
    out = tmp_path / "out" / "photo_color.png"
    out.parent.mkdir()
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out)
    src, res = load_image(photo), load_image(out)
    assert res.rgb.shape == src.rgb.shape and res.bit_depth == 8
    assert not res.is_grayscale
    diff = np.abs(res.L - src.L)
    assert diff.max() < 0.5  # 8-bit quantisation of the colour pixels, nothing more
    meta = read_metadata(out)
    assert meta["Software"].startswith("Huebrush ")
    assert "weights in-memory" in meta["Description"]
    assert Hints.from_json(sidecar_path(out)).points == window.doc.points


def test_export_keeps_the_photos_metadata_unless_switched_off(qtbot, window, tmp_path) -> None:
    from PIL import Image

    src = tmp_path / "scan.jpg"
    exif = Image.Exif()
    exif[270], exif[33432] = "Harvest, 1931", "Leigh Archive"
    exif.get_ifd(0x8769)[0x9003] = "1931:08:14 10:00:00"
    Image.fromarray(gradient(), "L").save(src, exif=exif.tobytes(), dpi=(600, 600))
    open_photo(qtbot, window, src)
    add_points(window)
    kept, stripped = tmp_path / "kept.tif", tmp_path / "stripped.tif"
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(kept)
    assert "kept the photo's EXIF, 600 dpi" in window.statusBar().currentMessage()
    window.apply_preferences(dataclasses.replace(window.prefs, keep_metadata=False))
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(stripped)
    assert "kept" not in window.statusBar().currentMessage()

    text = read_metadata(kept)
    assert text["Description"] == "Harvest, 1931" and text["Copyright"] == "Leigh Archive"
    assert text["Software"].startswith("Huebrush ")
    meta = load_image(kept).meta
    assert meta.dpi == (600.0, 600.0) and meta.exif is not None
    assert "weights in-memory" in read_metadata(stripped)["Description"]
    assert "Copyright" not in read_metadata(stripped)
    assert load_image(stripped).meta.dpi is None
    assert Preferences.load(window.settings).keep_metadata is False  # remembered
    dialog = PreferencesDialog(window.prefs)
    assert not dialog.keep_metadata.isChecked()
    dialog.keep_metadata.setChecked(True)
    assert dialog.preferences().keep_metadata is True


def test_export_refuses_to_overwrite_the_photo(qtbot, window, photo, warnings) -> None:
    open_photo(qtbot, window, photo)
    add_points(window)
    before = photo.read_bytes()
    assert not window.exports.export(photo)
    assert warnings and "overwrite" in warnings[0]
    assert photo.read_bytes() == before


def test_sixteen_bit_stays_sixteen_bit(qtbot, window, tmp_path) -> None:
    src = tmp_path / "deep.png"
    g16 = (gradient().astype(np.uint16) * 257 + np.arange(128, dtype=np.uint16)[None]).astype(
        np.uint16
    )
    save_image(src, g16, bit_depth=16)
    assert load_image(src).bit_depth == 16
    open_photo(qtbot, window, src)
    click(window.canvas.result, 0.5, 0.5)
    for name, depth in (("deep_color.tif", 16), ("deep_color.jpg", 8)):
        out = tmp_path / name
        with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
            window.exports.export(out)
        assert load_image(out).bit_depth == depth


def test_export_dialog_offers_the_photos_format_and_the_last_folder(
    qtbot, window, factory, tmp_path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    import gui.exports
    from gui.exports import EXPORT_FILTER_LIST

    pictures = tmp_path / "Pictures"
    pictures.mkdir()
    monkeypatch.setattr(gui.exports, "pictures_folder", lambda: pictures)
    scan = tmp_path / "scan.tif"
    save_image(scan, gradient())
    open_photo(qtbot, window, scan)
    asked: list[tuple[str, str]] = []
    answer: list[tuple[str, str]] = []

    def fake_dialog(parent, title, start, filters, selected):
        asked.append((start, selected))
        return answer.pop()

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    elsewhere = tmp_path / "exports"
    elsewhere.mkdir()
    # At first a TIFF scan is offered as TIFF in the Pictures folder, never beside itself
    # unasked (scans come from archive folders); a name typed without a suffix takes the
    # chosen file type's.
    answer.append((str(elsewhere / "final"), EXPORT_FILTER_LIST[1]))
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        window.exports.export_dialog()
    assert asked[-1] == (str(pictures / "scan_color.tif"), EXPORT_FILTER_LIST[1])
    assert load_image(elsewhere / "final.tif").width == load_image(scan).width
    # The same photo again: its last export is offered.
    answer.append(("", ""))
    window.exports.export_dialog()
    assert asked[-1][0] == str(elsewhere / "final.tif")
    # Another photo (a JPEG): PNG, in the folder exported to last.
    shot = tmp_path / "shot.jpg"
    save_image(shot, gradient())
    open_photo(qtbot, window, shot)
    answer.append(("", ""))
    window.exports.export_dialog()
    assert asked[-1] == (str(elsewhere / "shot_color.png"), EXPORT_FILTER_LIST[0])
    # The next session remembers the folder.
    again = MainWindow(factory, settings=window.settings, data_dir=tmp_path / "data", threads=1)
    try:
        again.show()
        qtbot.waitExposed(again)
        open_photo(qtbot, again, shot)
        assert again.exports.export_start() == elsewhere / "shot_color.png"
    finally:
        again.close()
        again.deleteLater()


def test_open_dialog_starts_in_the_last_photos_folder(
    qtbot, window, photo, tmp_path, monkeypatch
) -> None:
    from PySide6.QtWidgets import QFileDialog

    starts: list[str] = []

    def fake_dialog(parent, title, start, filters):
        starts.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_dialog)
    window.files.open_dialog()
    assert starts[-1] == str(Path.home())  # nothing opened yet
    open_photo(qtbot, window, photo)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        window.files.open_sample()
    window.files.open_dialog()
    assert starts[-1] == str(photo.parent)  # the sample is not where the user works


def test_page_down_steps_through_the_folder(qtbot, window, tmp_path, monkeypatch) -> None:
    from PySide6.QtTest import QTest

    names = ("shot_2.png", "shot_10.png", "shot_2_color.png")
    for name in names:
        save_image(tmp_path / name, gradient())
    open_photo(qtbot, window, tmp_path / "shot_2.png")
    assert window.acts.next_photo.isEnabled()
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        QTest.keyClick(window.canvas.result, Qt.Key.Key_PageDown)
    assert window.doc.path == tmp_path / "shot_10.png"  # not the export shot_2_color.png
    wait_rendered(qtbot, window)
    assert not window.files.step_photo(+1)
    assert "last photo" in window.statusBar().currentMessage()
    # Unsaved hints are offered for saving first; cancelling stays put.
    click(window.canvas.result, 0.5, 0.5)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not window.files.step_photo(-1)
    assert window.doc.path == tmp_path / "shot_10.png"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        QTest.keyClick(window.canvas.result, Qt.Key.Key_PageUp)
    assert window.doc.path == tmp_path / "shot_2.png"
    assert len(Hints.from_json(sidecar_path(tmp_path / "shot_10.png")).points) == 1


def test_hints_copied_from_one_photo_paste_onto_the_next(qtbot, window, tmp_path) -> None:
    from PySide6.QtWidgets import QApplication

    first, second = tmp_path / "frame_1.png", tmp_path / "frame_2.png"
    for path in (first, second):
        save_image(path, gradient())
    open_photo(qtbot, window, first)
    add_points(window)
    window.doc.add_palette_colour((20.0, 40.0), 0.5)
    window.acts.enhance["stretch"].trigger()
    copied = window.doc.hints
    window.editor.copy_hints()
    assert "3 points, the palette, the saturation and the enhancement" in (
        window.statusBar().currentMessage()
    )
    window.doc.undo_stack.setClean()
    open_photo(qtbot, window, second)
    assert window.doc.hints.empty
    assert window.editor.paste_hints()
    assert window.doc.hints == copied and window.editor.enhancement().mode == "stretch"
    assert window.doc.dirty
    window.doc.undo_stack.undo()
    assert window.doc.hints.empty and window.editor.enhancement().mode == "none"
    # Anything else on the clipboard is refused with a reason, and nothing changes.
    for text in ("some words", '{"format": "huebrush-hints", "version": 7}'):
        QApplication.clipboard().setText(text)
        assert not window.editor.paste_hints()
        assert "Nothing pasted" in window.statusBar().currentMessage()
        assert window.doc.hints.empty


def test_hints_can_be_saved_without_asking(qtbot, window, tmp_path, monkeypatch) -> None:
    def no_questions(*args, **kwargs):
        raise AssertionError("asked although the preference says not to")

    window.apply_preferences(dataclasses.replace(window.prefs, save_without_asking=True))
    assert Preferences.load(window.settings).save_without_asking
    for name in ("a_1.png", "a_2.png"):
        save_image(tmp_path / name, gradient())
    open_photo(qtbot, window, tmp_path / "a_1.png")
    add_points(window)
    monkeypatch.setattr(QMessageBox, "question", no_questions)
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        assert window.files.step_photo(+1)
    assert len(Hints.from_json(sidecar_path(tmp_path / "a_1.png")).points) == 3
    dialog = PreferencesDialog(window.prefs)
    assert dialog.save_without_asking.isChecked()
    dialog.save_without_asking.setChecked(False)
    assert not dialog.preferences().save_without_asking


def test_export_folder_colours_every_photo_with_its_own_hints(
    qtbot, window, tmp_path, warnings
) -> None:
    src, out = tmp_path / "album", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    g16 = gradient().astype(np.uint16) * 257
    save_image(src / "p1.png", gradient())
    save_image(src / "p2.tif", g16, bit_depth=16)
    save_image(src / "p3.jpg", gradient())
    save_image(src / "p1_color.png", gradient())  # an earlier export: not a photo of the album
    (src / "p4.png").write_bytes(b"not an image")
    saved = Hints((Point(0.5, 0.5, (0.0, 60.0), 5),)).with_enhance("stretch")
    saved.to_json(sidecar_path(src / "p2.tif"))
    open_photo(qtbot, window, src / "p1.png")
    click(window.canvas.result, 0.5, 0.5)  # unsaved: the export takes what is on screen
    window.editor.use_colour((0.0, 40.0))
    on_screen = window.doc.hints
    items, skipped = window.exports.plan_folder_export(out)
    assert [it.src.name for it in items] == ["p1.png", "p2.tif", "p3.jpg", "p4.png"]
    assert [it.dest.name for it in items] == [
        "p1_color.png",
        "p2_color.tif",
        "p3_color.png",
        "p4_color.png",
    ]
    assert items[0].hints == on_screen and items[1].hints == saved and items[2].hints.empty
    assert not skipped
    window.exports.export_folder(items, out)
    assert not window.acts.export_folder.isEnabled() and window.acts.stop_folder.isEnabled()
    qtbot.waitUntil(lambda: not window.exports.exporting_folder, timeout=4 * TIMEOUT_MS)
    assert "Exported 3 of 4 photos" in window.statusBar().currentMessage()
    assert warnings and "p4.png" in warnings[0]  # the broken one is named, the rest went on
    deep = load_image(out / "p2_color.tif")
    assert deep.bit_depth == 16 and deep.width == 128
    assert Hints.from_json(sidecar_path(out / "p2_color.tif")) == saved
    assert Hints.from_json(sidecar_path(out / "p1_color.png")).points == on_screen.points
    assert "stretch" in read_metadata(out / "p2_color.tif")["Description"]
    L = load_image(src / "p1.png").L
    assert np.abs(load_image(out / "p1_color.png").L - L).max() < 0.5
    assert window.acts.export_folder.isEnabled()


def test_export_folder_says_what_it_will_do_first(qtbot, window, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QDialog, QFileDialog

    from gui.batch import FolderExportDialog

    for name in ("a.png", "b.png", "b_color.png"):
        save_image(tmp_path / name, gradient())
    Hints((Point(0.5, 0.5, (0.0, 60.0), 5),)).to_json(sidecar_path(tmp_path / "b.png"))
    out = tmp_path / "out"
    out.mkdir()
    save_image(out / "a_color.png", gradient())
    open_photo(qtbot, window, tmp_path / "a.png")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(out))
    shown: list[str] = []
    answers = [QDialog.DialogCode.Rejected, QDialog.DialogCode.Accepted]

    def run(dialog: FolderExportDialog) -> QDialog.DialogCode:
        shown.append(dialog.text.text())
        dialog.set_format("jpg")  # the summary follows the format: nothing to replace then
        shown.append(dialog.text.text())
        return answers.pop(0)

    monkeypatch.setattr(FolderExportDialog, "exec", run)
    window.exports.export_folder_dialog()
    assert "Colour 2 photos" in shown[0] and "1 with their hints, 1 automatically" in shown[0]
    assert "1 file there will be replaced" in shown[0] and "replaced" not in shown[1]
    assert not window.exports.exporting_folder  # cancelled: nothing queued
    assert sorted(p.name for p in out.iterdir()) == ["a_color.png"]
    window.exports.export_folder_dialog()  # this time OK, as JPEG
    qtbot.waitUntil(lambda: not window.exports.exporting_folder, timeout=TIMEOUT_MS)
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".json")) == [
        "a_color.jpg",
        "a_color.png",
        "b_color.jpg",
    ]


def test_edits_are_coloured_while_the_folder_is_exported(qtbot, window, tmp_path, tiny_net):
    import threading

    from model.inference import Colorizer

    entered, release = threading.Event(), threading.Event()

    class Held(Colorizer):
        def predict(self, prep, hints):
            entered.set()
            release.wait(TIMEOUT_MS / 1000)  # a big scan, as far as the edits can tell
            return super().predict(prep, hints)

    for i in range(2):
        save_image(tmp_path / f"h{i}.png", gradient())
    open_photo(qtbot, window, tmp_path / "h0.png")
    exports = window.exports
    exports.exporter._factory = lambda _device, size: Held(tiny_net, "cpu", working_size=size)
    out = tmp_path / "out"
    out.mkdir()
    try:
        window.exports.export_folder(window.exports.plan_folder_export(out)[0], out)
        qtbot.waitUntil(entered.is_set, timeout=TIMEOUT_MS)
        click(window.canvas.result, 0.4, 0.4)  # answered while the export is held
        wait_rendered(qtbot, window)
        assert window.acts.stop_folder.isEnabled() and not list(out.glob("*.png"))
        assert exports.batch_progress.isVisibleTo(window) and exports.batch_stop.isVisibleTo(window)
        assert (exports.batch_progress.value(), exports.batch_progress.maximum()) == (0, 2)
        window.exports.stop_folder_export()  # h1 is dropped; h0, under way, is finished
        assert "after h0.png" in window.statusBar().currentMessage()
        assert not window.acts.stop_folder.isEnabled() and exports.batch_stop.isVisibleTo(window)
    finally:
        release.set()
    qtbot.waitUntil(lambda: not window.exports.exporting_folder, timeout=TIMEOUT_MS)
    assert not window.exports.batch_progress.isVisibleTo(window)
    assert sorted(p.name for p in out.glob("*.png")) == ["h0_color.png"]
    assert "Exported 1 of 2 photos" in window.statusBar().currentMessage()
    assert "stopped, 1 not exported" in window.statusBar().currentMessage()


def test_folder_export_can_be_stopped(qtbot, window, tmp_path) -> None:
    for i in range(6):
        save_image(tmp_path / f"s{i}.png", gradient())
    open_photo(qtbot, window, tmp_path / "s0.png")
    out = tmp_path / "out"
    out.mkdir()
    items, _ = window.exports.plan_folder_export(out)
    window.exports.export_folder(items, out)
    window.exports.stop_folder_export()
    qtbot.waitUntil(lambda: not window.exports.exporting_folder, timeout=TIMEOUT_MS)
    written = list(out.glob("*_color.png"))
    assert len(written) <= 1  # at most the one under way when stopped
    assert f"{len(written)} of 6" in window.statusBar().currentMessage()
    assert "stopped" in window.statusBar().currentMessage()


def test_open_failure_is_reported_and_app_keeps_working(
    qtbot, window, photo, warnings, tmp_path
) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not a photo at all")
    with qtbot.waitSignal(window.worker.openFailed, timeout=TIMEOUT_MS):
        window.files.open_photo(junk)
    assert warnings and "junk.jpg" in warnings[0]
    open_photo(qtbot, window, photo)
    assert window.doc.path == photo


def test_recovery_written_after_edit_and_restored(
    qtbot, window, photo, factory, tmp_path, monkeypatch
) -> None:
    window.files.autosave_timer.setInterval(20)
    open_photo(qtbot, window, photo)
    add_points(window)
    recovery = window.files.recovery.path
    qtbot.waitUntil(recovery.is_file, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: Hints.from_json(recovery).points == window.doc.points, timeout=TIMEOUT_MS
    )
    points = window.doc.points

    # A second start while the file is still there (the first "crashed").
    asked: list[str] = []

    def yes(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", yes)
    settings = QSettings(str(tmp_path / "settings2.ini"), QSettings.Format.IniFormat)
    again = MainWindow(factory, settings=settings, data_dir=tmp_path / "data", threads=1)
    again.show()
    try:
        with qtbot.waitSignal(again.doc.imageChanged, timeout=TIMEOUT_MS):
            assert again.files.offer_recovery()
        wait_rendered(qtbot, again)
        assert asked and photo.name in asked[0]
        assert f"{len(points)} colour points and saturation 0.40." in asked[0]  # what returns
        assert again.doc.points == points
        assert again.doc.dirty  # restored work is still unsaved
        assert Path(again.doc.path) == photo
    finally:
        again.doc.undo_stack.setClean()
        again.close()
    assert not recovery.exists()  # a clean exit removes it


def test_recovery_declined_is_removed(qtbot, window, photo, monkeypatch) -> None:
    window.files.recovery.write(photo, Hints())
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    assert not window.files.offer_recovery()
    assert not window.files.recovery.path.exists()


def test_enhancement_changes_the_network_input_not_the_tones(qtbot, window, tmp_path) -> None:
    from model.colour.enhance import stretch

    # A faded photo: lightness squeezed into 40..60.
    faded = (100 + 0.4 * gradient().astype(np.float64)).astype(np.uint8)
    src = tmp_path / "faded.png"
    save_image(src, faded)
    open_photo(qtbot, window, src)
    add_points(window)
    window.acts.enhance["stretch"].trigger()
    chosen = window.editor.enhancement()
    assert chosen.mode == "stretch" and not chosen.enhance_output
    wait_rendered(qtbot, window)
    out = tmp_path / "kept.png"
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out)
    L_in = load_image(src).L
    assert np.abs(load_image(out).L - L_in).max() < 0.5  # the photo's own tones are kept
    assert "stretch" in read_metadata(out)["Description"]

    window.acts.enhance_output.setChecked(True)  # now the result takes the stretched L
    wait_rendered(qtbot, window)
    out2 = tmp_path / "stretched.png"
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out2)
    L_out = load_image(out2).L
    assert np.abs(L_out - stretch(L_in)).mean() < 1.0
    assert L_out.max() - L_out.min() > 2 * (L_in.max() - L_in.min())

    window.acts.enhance["none"].trigger()
    assert not window.acts.enhance_output.isEnabled() and not window.editor.enhancement().active


def test_enhancement_is_part_of_the_session(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    window.acts.enhance["equalize"].trigger()
    window.acts.enhance_output.setChecked(True)
    assert window.doc.dirty and window.worker.enhancement == window.editor.enhancement()
    chosen = window.editor.enhancement()
    assert chosen.mode == "equalize" and chosen.enhance_output
    # Undo steps back through the choices, menu and worker alike.
    window.doc.undo_stack.undo()
    acts = window.acts
    assert not acts.enhance_output.isChecked() and acts.enhance["equalize"].isChecked()
    window.doc.undo_stack.redo()
    assert window.files.save_session()
    saved = Hints.from_json(sidecar_path(photo))
    assert (saved.enhance, saved.enhance_output) == ("equalize", True)
    # Reset hints keeps it; a new photo starts without it; reopening restores it.
    window.doc.reset_hints()
    assert window.editor.enhancement().mode == "equalize"
    other = photo.with_name("other.png")
    save_image(other, gradient())
    window.doc.undo_stack.setClean()
    open_photo(qtbot, window, other)
    assert window.acts.enhance["none"].isChecked() and not window.editor.enhancement().active
    assert window.worker.enhancement == window.editor.enhancement()
    open_photo(qtbot, window, photo)
    assert window.acts.enhance["equalize"].isChecked() and window.acts.enhance_output.isChecked()
    assert window.worker.enhancement == window.editor.enhancement()
    assert not window.doc.dirty


def test_recovery_keeps_user_meta_but_not_its_own_path(tmp_path: Path, photo: Path) -> None:
    from gui.recovery import RecoveryStore

    rec = RecoveryStore(tmp_path / "data")
    doc = {"format": "huebrush-hints", "version": 1, "meta": {"k": 1}}
    hints = Hints.from_dict({**doc, "points": [{"x": 0.5, "y": 0.5, "ab": [10, 20]}]})
    rec.write(photo, hints)
    assert json.loads(rec.path.read_text())["meta"] == {"k": 1, "image": str(photo.resolve())}
    found = rec.read()
    assert found is not None and found.image_path == photo.resolve()
    assert found.hints == hints and found.hints.extra == {"k": 1}


@pytest.mark.parametrize(
    ("points", "palette", "saturation", "text"),
    [
        (1, 0, None, "1 colour point"),
        (3, 4, None, "3 colour points and a palette of 4 colours"),
        (2, 1, 0.5, "2 colour points, a palette of 1 colour and saturation 0.50"),
        (0, 0, None, "no colour hints (all were removed)"),
    ],
)
def test_recovery_summary_says_what_would_come_back(
    points: int, palette: int, saturation: float | None, text: str
) -> None:
    from gui.recovery import Recovered
    from model.hints.document import PaletteColor, Point

    hints = Hints(
        points=tuple(Point(0.1 * i, 0.5, (10.0, 20.0)) for i in range(points)),
        palette=tuple(PaletteColor((5.0, 5.0)) for _ in range(palette)),
        saturation=saturation,
    )
    assert Recovered(Path("photo.jpg"), hints).summary() == text


def test_folder_exporter_runs_again_for_a_second_folder(qtbot, tmp_path, factory) -> None:
    from gui.batch import BatchItem, FolderExporter

    exporter = FolderExporter(factory)
    done: list[tuple[int, str, str]] = []
    exporter.itemDone.connect(lambda i, path, err: done.append((i, path, err)))
    for round_ in range(2):  # the thread ends when its queue is empty; a new add restarts it
        src = tmp_path / f"r{round_}.png"
        save_image(src, gradient())
        item = BatchItem(round_, src, tmp_path / f"r{round_}_color.png", Hints())
        exporter.add([item], "cpu", 128)
        qtbot.waitUntil(lambda n=round_: len(done) == n + 1, timeout=TIMEOUT_MS)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"no image")
    exporter.add([BatchItem(2, broken, tmp_path / "b_color.png", Hints())], "cpu", 128)
    qtbot.waitUntil(lambda: len(done) == 3, timeout=TIMEOUT_MS)
    exporter.wait()
    assert [(i, bool(path), bool(err)) for i, path, err in done] == [
        (0, True, False),
        (1, True, False),
        (2, False, True),
    ]
    assert "broken.png" in done[2][2]  # the error names the photo
    assert exporter._colorizer is None  # let go once the queue was done


def test_keep_the_rest_is_part_of_the_session(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    window.doc.add_point(0.5, 0.5, (50.0, 30.0))
    wait_rendered(qtbot, window)
    free = window.render_link.prediction.ab.copy()
    window.acts.keep_rest.trigger()
    assert window.doc.hints.keep_rest and window.acts.keep_rest.isChecked()
    assert "Keep the Rest" in window.statusBar().currentMessage()
    # The current point is ringed where its colour stops, and that ring is repainted with it.
    view = window.canvas.result
    assert view.keep_rest and view.selected == 0
    ring = view.mark_rect(view.marks[0], True).width()
    assert ring > 2 * view.mark_rect(view.marks[0]).width()
    window.doc.resize_point(0, 9)  # a bigger point reaches further, and its ring grows
    assert view.mark_rect(view.marks[0], True).width() > ring * point_reach(9) / KEEP_OUT * 0.95
    window.doc.undo_stack.undo()
    wait_rendered(qtbot, window)
    # The worker colours with the anchors now: the same point gives another picture.
    assert not np.array_equal(window.render_link.prediction.ab, free)
    window.doc.undo_stack.undo()  # the point goes, the setting stays: it is no undo step
    assert not window.doc.points and window.doc.hints.keep_rest and view.keep_rest
    window.acts.keep_rest.trigger()
    assert not window.doc.hints.keep_rest and not window.acts.keep_rest.isChecked()
    assert not view.keep_rest
    window.doc.undo_stack.redo()
    assert window.doc.points and not window.doc.hints.keep_rest
    window.acts.keep_rest.trigger()
    assert window.acts.keep_rest.isChecked()
    window.doc.reset_hints()  # a setting, like the enhancement: it stays
    assert window.doc.hints.keep_rest and not window.doc.points
    assert window.files.save_session()
    assert Hints.from_json(sidecar_path(photo)).keep_rest


def test_keep_the_rest_leaves_the_redo_history_alone(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    stack = window.doc.undo_stack
    window.doc.add_point(0.3, 0.3, (40.0, 10.0))
    window.doc.add_point(0.7, 0.6, (-20.0, 30.0))
    assert window.files.save_session()
    stack.undo()
    window.acts.keep_rest.trigger()  # K, to compare with the second point undone
    assert window.doc.hints.keep_rest and stack.count() == 2 and stack.canRedo()
    stack.redo()
    assert len(window.doc.points) == 2 and window.doc.hints.keep_rest
    assert window.doc.dirty  # the saved hints have it off
    stack.undo()
    stack.undo()
    assert not window.doc.points and window.doc.hints.keep_rest
    window.acts.keep_rest.trigger()
    stack.redo()
    stack.redo()
    assert len(window.doc.points) == 2 and not window.doc.hints.keep_rest


def test_no_save_question_after_an_export_that_saved_the_hints(qtbot, window, tmp_path) -> None:
    for name in ("a.png", "b.png", "c.png"):
        save_image(tmp_path / name, gradient())
    out = tmp_path / "out"
    out.mkdir()
    open_photo(qtbot, window, tmp_path / "a.png")
    window.doc.add_point(0.5, 0.5, (30.0, 20.0))
    assert window.doc.dirty
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out / "a_color.png")
    assert Hints.from_json(sidecar_path(out / "a_color.png")) == window.doc.hints
    assert not window.doc.dirty and not window.isWindowModified()
    # The next photo opens at once (any question would fail the test: conftest).
    with qtbot.waitSignal(window.doc.imageChanged, timeout=TIMEOUT_MS):
        assert window.files.step_photo(+1)
    assert window.doc.path == tmp_path / "b.png"
    # An edit made while the export ran is not in its hint file: still unsaved.
    wait_rendered(qtbot, window)
    window.doc.add_point(0.5, 0.5, (30.0, 20.0))
    with qtbot.waitSignal(window.worker.exported, timeout=TIMEOUT_MS):
        assert window.exports.export(out / "b_color.png")
        window.doc.add_point(0.2, 0.2, (-10.0, 20.0))
    assert window.doc.dirty


def test_new_photos_can_start_with_keep_the_rest(qtbot, window, photo) -> None:
    window.apply_preferences(dataclasses.replace(window.prefs, keep_rest=True))
    assert Preferences.load(window.settings).keep_rest
    dialog = PreferencesDialog(window.prefs)
    assert dialog.keep_rest.isChecked() and dialog.preferences() == window.prefs
    open_photo(qtbot, window, photo)
    assert window.doc.hints.keep_rest and window.acts.keep_rest.isChecked()
    assert not window.doc.dirty  # a starting setting, not an edit
    # Saved hints bring their own setting.
    other = photo.with_name("other.png")
    save_image(other, gradient())
    Hints((Point(0.5, 0.5, (10.0, 10.0)),)).to_json(sidecar_path(other))
    open_photo(qtbot, window, other)
    assert not window.doc.hints.keep_rest and not window.acts.keep_rest.isChecked()
