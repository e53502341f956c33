"""Export: the colour photo at full resolution, and every photo of its folder.

A single export runs on the inference worker, which already holds the photo prepared; a
folder export runs on a thread of its own (gui.batch), so the photo on screen stays live.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths
from PySide6.QtWidgets import QDialog, QMessageBox, QProgressBar, QToolButton, QWidget

from gui import filedialogs
from gui.actions import connect_actions
from gui.batch import BatchItem, FolderExportDialog, FolderExporter
from gui.workitems import ColorizerFactory, ExportJob
from model.hints.document import HintError, Hints, sidecar_path
from model.io.folder import folder_photos, output_for
from model.io.naming import default_output_suffix, output_path_for, same_file
from model.io.photometa import NO_META
from model.io.save import SAVE_SUFFIXES, SIXTEEN_BIT_SUFFIXES

if TYPE_CHECKING:
    from gui.mainwindow import MainWindow

EXPORT_FORMATS = (
    ("PNG image", (".png",)),
    ("TIFF image", (".tif", ".tiff")),
    ("JPEG image", (".jpg", ".jpeg")),
    ("WebP image", (".webp",)),
    ("BMP image", (".bmp",)),
)
EXPORT_FILTER_LIST = [
    f"{label} ({' '.join('*' + s for s in suffixes)})" for label, suffixes in EXPORT_FORMATS
]
EXPORT_FILTERS = ";;".join(EXPORT_FILTER_LIST)


def export_filter_for(suffix: str) -> str:
    """The export dialog's file-type filter that writes suffix (PNG's for anything else)."""
    for (_, suffixes), name in zip(EXPORT_FORMATS, EXPORT_FILTER_LIST, strict=True):
        if suffix.lower() in suffixes:
            return name
    return EXPORT_FILTER_LIST[0]


def export_suffix_for(name_filter: str) -> str:
    """The suffix a file name typed without one gets under the chosen file-type filter."""
    for (_, suffixes), name in zip(EXPORT_FORMATS, EXPORT_FILTER_LIST, strict=True):
        if name == name_filter:
            return suffixes[0]
    return ".png"


def pictures_folder() -> Path:
    """The user's Pictures folder (home where the system names none, or it is missing)."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(found) if found and Path(found).is_dir() else Path.home()


class ExportController(QObject):
    """Exports the photo on screen, or its whole folder, and reports how it went."""

    def __init__(self, win: MainWindow, factory: ColorizerFactory) -> None:
        super().__init__(win)
        self.win = win
        self.doc = win.doc
        self.link = win.render_link
        self.files = win.files
        self.exporter = FolderExporter(factory, self)
        self._exporting: dict[str, ExportJob] = {}  # by the path it writes
        self._exported_to: dict[Path, Path] = {}  # photo -> where it was last exported
        # A folder export under way: BatchItem.index -> photo, for those not reported yet.
        self._batch: dict[int, Path] = {}
        self._batch_total, self._batch_out = 0, Path()
        self._batch_failed: list[str] = []
        self._batch_stopped = 0  # items dropped by Stop Folder Export
        # A folder export's progress, with its stop button beside it while one runs.
        self.batch_progress = QProgressBar()
        self.batch_progress.setMaximumWidth(140)
        self.batch_progress.setMaximumHeight(14)
        self.batch_progress.setFormat("%v of %m")
        self.batch_progress.setToolTip("Photos of the folder exported")
        self.batch_stop = QToolButton()
        self.batch_stop.setDefaultAction(win.acts.stop_folder)
        self.batch_stop.setText("Stop")
        for w in (self.batch_progress, self.batch_stop):
            w.hide()

        win.worker.exported.connect(self._on_exported)
        win.worker.exportFailed.connect(self._on_export_failed)
        self.exporter.itemDone.connect(self._on_batch_item)
        acts = win.acts
        connect_actions(
            {
                acts.export: self.export_dialog,
                acts.export_folder: self.export_folder_dialog,
                acts.stop_folder: self.stop_folder_export,
            }
        )

    def status_widgets(self) -> list[QWidget]:
        """A folder export's progress and stop button (shown while one runs)."""
        return [self.batch_progress, self.batch_stop]

    # -- the photo on screen ---------------------------------------------------------------
    def export_dialog(self) -> None:
        """Ask for an output file, then export. The dialog offers this photo's last export, else
        <photo>_color in the folder exported to last (the Pictures folder at first), in the
        photo's own format if that is TIFF or PNG (lossless, 16-bit, its metadata) and PNG
        otherwise."""
        if self.doc.image is None:
            return
        start = self.export_start()
        path, chosen = filedialogs.save_file(
            self.win,
            "Export the colour photo",
            str(start),
            EXPORT_FILTERS,
            export_filter_for(start.suffix),
        )
        if path:
            self.export(Path(path), export_suffix_for(chosen))

    def export_start(self) -> Path:
        """The file the export dialog offers."""
        src = self.doc.path if not self.files.is_sample else None
        if src is not None and src in self._exported_to:
            return self._exported_to[src]
        # Never the photo's own folder unasked: scans often come from an archive folder the
        # user would not write into, and would not look for the export in.
        folder = Path(str(self.win.settings.value("export_dir", "") or ""))
        if str(folder) in ("", ".") or not folder.is_dir():
            folder = pictures_folder()
        if src is None:
            return folder / "colourised.png"
        return output_path_for(src, folder, default_output_suffix(src))

    def export(self, path: Path, default_suffix: str = ".png") -> bool:
        """Render at full resolution in the background and save; never over the original.
        A name without a suffix the app can write gets default_suffix added."""
        image = self.doc.image
        if image is None:
            return False
        path = Path(path)
        if path.suffix.lower() not in SAVE_SUFFIXES:
            path = path.with_name(path.name + default_suffix)
        if self.doc.path is not None and same_file(path, self.doc.path):
            self.win.error(
                "Will not overwrite the original",
                f"{path.name} is the photo you are colouring. Choose another file name.",
            )
            return False
        depth = image.bit_depth if path.suffix.lower() in SIXTEEN_BIT_SUFFIXES else 8
        meta = image.meta if self.win.prefs.keep_metadata else NO_META
        # What is on screen: points whose colour is not chosen yet are not in it.
        hints = self.doc.network_hints()
        job = ExportJob(self.link.token, path, hints, depth, image.output_icc_profile, meta)
        self._exporting[str(path)] = job
        if self.doc.path is not None and not self.files.is_sample:
            self._exported_to[self.doc.path] = path
        self.win.worker.export(job)
        self.win.statusBar().showMessage(f"Exporting {path.name}…")
        return True

    def _on_exported(self, path: str) -> None:
        self.win.settings.setValue("export_dir", str(Path(path).parent))
        job = self._exporting.pop(path, None)
        kept = (job.photo_meta if job is not None else NO_META).summary()
        extra = f"; kept the photo's {', '.join(kept)}" if kept else ""
        self.win.statusBar().showMessage(f"Exported {path} (hints saved beside it{extra})", 8000)
        if job is not None and job.token == self.link.token and job.hints == self.doc.hints:
            self.doc.mark_kept()  # the hints are in the export's hint file: nothing to lose

    def _on_export_failed(self, message: str) -> None:
        self.win.statusBar().clearMessage()
        self.win.error("Export failed", message)

    # -- the folder ------------------------------------------------------------------------
    def export_folder_dialog(self) -> None:
        """Ask for an output folder and format, say what will happen, then export."""
        if self.doc.path is None or self.files.is_sample or self._batch:
            return
        folder = self.doc.path.parent
        chosen = filedialogs.folder(
            self.win, f"Export the photos of {folder.name} to", str(self.export_start().parent)
        )
        if not chosen:
            return
        out = Path(chosen)
        dialog = FolderExportDialog(lambda fmt: self.folder_export_summary(out, fmt), self.win)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.export_folder(self.plan_folder_export(out, dialog.format())[0], out)

    def folder_export_summary(self, out: Path, fmt: str = "auto") -> str:
        """What exporting this photo's folder to out in fmt would do, in words."""
        assert self.doc.path is not None
        items, skipped = self.plan_folder_export(out, fmt)
        hinted = sum(not it.hints.empty for it in items)
        replaced = sum(it.dest.exists() for it in items)
        plain = len(items) - hinted
        how = (
            "all automatically (none has hints)"
            if not hinted
            else "all with their hints"
            if not plain
            else f"{hinted} with their hints, {plain} automatically (no hints)"
        )
        text = (
            f"Colour {len(items)} photos of {self.doc.path.parent} and save them in {out}: {how}."
        )
        if replaced:
            text += f"\n\n{replaced} file{'s' * (replaced != 1)} there will be replaced."
        if skipped:
            text += f"\n\nLeft out, their hint files are unreadable: {', '.join(skipped)}."
        return text

    def plan_folder_export(
        self, out_dir: Path, fmt: str = "auto"
    ) -> tuple[list[BatchItem], list[str]]:
        """One item per photo of this photo's folder, with the hints on screen for this photo
        and each other's hint file (none: automatic colour); and the photos left out. fmt:
        the output format, as model.io.folder.output_for takes it."""
        assert self.doc.path is not None
        prefs = self.win.prefs
        photos = folder_photos(self.doc.path.parent)
        taken = {p.resolve() for p in photos}
        items: list[BatchItem] = []
        skipped: list[str] = []
        for src in photos:
            if same_file(src, self.doc.path):
                hints = self.doc.network_hints()
            elif sidecar_path(src).is_file():
                try:
                    hints = Hints.from_json(sidecar_path(src))
                except HintError:
                    skipped.append(src.name)
                    continue
            else:
                hints = Hints()
            dest = output_for(src, out_dir, taken, fmt)
            taken.add(dest.resolve())
            items.append(BatchItem(len(items), src, dest, hints, prefs.keep_metadata, prefs.finish))
        return items, skipped

    def export_folder(self, items: list[BatchItem], out_dir: Path) -> None:
        """Queue the items for the folder exporter's thread; the photo on screen stays live."""
        if not items or self._batch:
            return
        self._batch = {it.index: it.src for it in items}
        self._batch_total, self._batch_out, self._batch_failed = len(items), out_dir, []
        self._batch_stopped = 0
        self.batch_progress.setRange(0, len(items))
        self.batch_progress.setValue(0)
        self.exporter.add(items, self.win.device, self.win.prefs.working_size)
        self._show_batch()
        self.win.statusBar().showMessage(f"Exporting the folder: 0 of {len(items)} done…")

    @property
    def exporting_folder(self) -> bool:
        """True from Export Folder until the last photo has been reported."""
        return bool(self._batch)

    @property
    def stopping(self) -> bool:
        """Stop Folder Export was chosen and the photo under way is being finished."""
        return bool(self._batch_stopped)

    def _show_batch(self) -> None:
        for w in self.status_widgets():
            w.setVisible(bool(self._batch))
        self.win.update_enabled()

    def stop_folder_export(self) -> None:
        """Export no more photos of the folder (one being saved now is finished)."""
        dropped = self.exporter.cancel()
        for index in sorted(self._batch)[len(self._batch) - dropped :]:
            del self._batch[index]  # queued last, so the highest indices
        self._batch_stopped += dropped
        if not self._batch:
            self._finish_folder_export()
            return
        under_way = ", ".join(p.name for p in self._batch.values())
        self.win.statusBar().showMessage(f"Stopping the folder export after {under_way}…")
        self._show_batch()

    def _on_batch_item(self, index: int, path: str, error: str) -> None:
        src = self._batch.pop(index, None)
        if src is None:
            return
        if error:
            self._batch_failed.append(f"{src.name}: {error}")
        if self._batch:
            done = self._batch_total - len(self._batch)
            self.batch_progress.setValue(done)
            self.win.statusBar().showMessage(
                f"Exporting the folder: {done} of {self._batch_total} done ({src.name})…"
            )
        else:
            self._finish_folder_export()

    def _finish_folder_export(self) -> None:
        self.win.settings.setValue("export_dir", str(self._batch_out))
        ok = self._batch_total - len(self._batch_failed) - self._batch_stopped
        stopped = f"; stopped, {self._batch_stopped} not exported" if self._batch_stopped else ""
        self.win.statusBar().showMessage(
            f"Exported {ok} of {self._batch_total} photos to {self._batch_out}{stopped}", 15000
        )
        self._show_batch()
        if self._batch_failed:
            more = len(self._batch_failed) - 20
            text = "\n".join(self._batch_failed[:20]) + (f"\n… and {more} more" if more > 0 else "")
            self.win.error("Some photos were not exported", text)

    def may_quit(self) -> bool:
        """True unless a folder export runs and the user chooses to let it finish."""
        if not self._batch:
            return True
        answer = QMessageBox.question(
            self.win,
            "Folder export under way",
            f"{len(self._batch)} photos of the folder are not exported yet. Quit anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Let the photo under way be finished (no half-written file), queue no more."""
        self.exporter.cancel()
        self.exporter.wait()
