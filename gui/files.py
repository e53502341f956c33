"""Files and sessions: opening photos (a file, a folder, the clipboard, a drop), the hint
files saved beside them, the recovery file of unsaved hints, recent files, and the
reference photo.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QMimeData, QObject, QTemporaryDir, QTimer, QUrl
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

from gui import filedialogs
from gui.actions import connect_actions
from gui.loader import LatestLoader
from gui.recovery import RecoveryStore
from gui.reference import reference_from_path
from gui.resources import images_filter, sample_photo
from gui.workitems import OpenedPhoto
from model.hints.document import HintError, Hints, sidecar_path
from model.io.folder import folder_photos, neighbour_photo
from model.io.load import SUPPORTED_SUFFIXES
from model.io.naming import same_file

if TYPE_CHECKING:
    from gui.mainwindow import MainWindow

MAX_RECENT_FILES = 10
PASTED_DIR = "huebrush-pasted-"  # the temporary folder of pasted images
AUTOSAVE_MS = 2000


class FilesController(QObject):
    """What is open, and where its hints are kept."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.doc = win.doc
        self.link = win.render_link
        self.recovery = RecoveryStore(win.data_dir / "recovery")
        self.is_sample = False  # the photo has no folder of its own (the sample, pasted)
        self._opening_sample = False
        self._pasted: QTemporaryDir | None = None  # pasted images, for as long as the app runs
        self._pasted_count = 0
        self._after_open: tuple[Hints, bool, str] | None = None
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.reference_loader = LatestLoader(reference_from_path, self)
        self._reference_loaded = False  # the remembered reference is loaded on first show
        self._reference_quiet = False

        self.link.opened.connect(self._on_opened)
        self.link.openFailed.connect(self._on_open_failed)
        self.doc.dirtyChanged.connect(self._on_dirty_changed)
        self.autosave_timer.timeout.connect(self.autosave)
        ref = win.reference
        ref.openRequested.connect(self.open_reference_dialog)
        ref.referenceRequested.connect(self.open_reference)
        ref.clearRequested.connect(self.close_reference)
        win.reference_dock.visibilityChanged.connect(self._reference_shown)
        self.reference_loader.loaded.connect(self._on_reference_loaded)
        self.reference_loader.failed.connect(self._on_reference_failed)
        acts = win.acts
        acts.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        connect_actions(
            {
                acts.open: self.open_dialog,
                acts.open_folder: self.open_folder_dialog,
                acts.open_reference: self.open_reference_dialog,
                acts.paste_photo: self.paste_photo,
                acts.next_photo: lambda: self.step_photo(+1),
                acts.prev_photo: lambda: self.step_photo(-1),
                acts.open_session: self.open_session_dialog,
                acts.save: self.save_session,
                acts.save_as: self.save_session_as,
            }
        )

    @property
    def has_folder(self) -> bool:
        """The open photo lies in a folder of the user's (not the sample, nor pasted)."""
        return self.doc.path is not None and not self.is_sample

    # -- opening photos --------------------------------------------------------------------
    def open_photo(
        self,
        path: str | Path,
        hints: Hints | None = None,
        clean: bool = True,
        sample: bool = False,
        pasted: QImage | None = None,
    ) -> bool:
        """Start loading a photo in the background; `hints` replace its sidecar's.
        `pasted`: image data the worker writes to `path` first (a big PNG takes seconds).

        Returns False when the user cancelled (unsaved changes).
        """
        path = Path(path)
        if path.is_dir():  # a folder (dropped, given on the command line): its first photo
            photos = folder_photos(path)
            if not photos:
                self.win.error("No photos there", f"{path} holds no photo Huebrush can open.")
                return False
            path = photos[0]
        if not self.maybe_save("opening another photo"):
            return False
        self._opening_sample = sample  # is_sample tells of the photo on screen until then
        text = "Open session" if clean else "Restore unsaved hints"
        self._after_open = (hints, clean, text) if hints is not None else None
        self.link.open(path if pasted is None else pasted, path)
        self.win.statusBar().showMessage(f"Opening {path.name}…")
        return True

    def step_photo(self, step: int) -> bool:
        """Open the photo step places after (negative: before) this one in its folder, for
        colouring a series; unsaved hints are offered for saving first."""
        if self.doc.path is None or self.is_sample:
            return False
        target = neighbour_photo(self.doc.path, step)
        if target is None:
            where = "last" if step > 0 else "first"
            self.win.statusBar().showMessage(
                f"{self.doc.path.name} is the {where} photo in {self.doc.path.parent.name}", 5000
            )
            return False
        return self.open_photo(target)

    def open_sample(self) -> None:
        """Open the bundled black-and-white sample photo."""
        self.open_photo(sample_photo(), sample=True)

    def open_dialog(self) -> None:
        """Ask for a photo and open it."""
        start = str(self.photo_folder())
        path = filedialogs.open_file(
            self.win, "Open a photo", start, f"{images_filter()};;All files (*)"
        )
        if path:
            self.open_photo(path)

    def open_folder_dialog(self) -> None:
        """Ask for a folder and open its first photo."""
        path = filedialogs.folder(self.win, "Open a folder of photos", str(self.photo_folder()))
        if path:
            self.open_photo(path)

    def paste_photo(self) -> bool:
        """Open the clipboard's photo: a copied file as itself, image data as a new photo
        (saved and exported wherever the user chooses, like the sample)."""
        data = QApplication.clipboard().mimeData()
        path = self._dropped_file(data.urls()) if data is not None else None
        if path is not None and not path.name.endswith(".json"):
            return self.open_photo(path)
        image = QApplication.clipboard().image()
        if image.isNull():
            self.win.statusBar().showMessage("The clipboard holds no image", 5000)
            return False
        return self.open_image_data(image)

    def open_image_data(self, image: QImage) -> bool:
        """Open an image that has no file (pasted or dropped from a browser)."""
        if self._pasted is None:
            self._pasted = QTemporaryDir(str(Path(tempfile.gettempdir()) / f"{PASTED_DIR}XXXXXX"))
        self._pasted_count += 1
        path = Path(self._pasted.path()) / f"Pasted photo {self._pasted_count}.png"
        if not self._pasted.isValid():
            self.win.error(
                "Cannot open the image", f"Could not keep a copy of it in {path.parent}."
            )
            return False
        return self.open_photo(path, sample=True, pasted=image)

    def photo_folder(self) -> Path:
        """Where a file dialog starts: the open photo's folder, else the last opened photo's,
        else home (never the folder the app happened to be started from)."""
        if self.doc.path is not None and not self.is_sample:
            return self.doc.path.parent
        for f in self.recent_files():
            if Path(f).parent.is_dir():
                return Path(f).parent
        return Path.home()

    def _on_opened(self, photo: OpenedPhoto) -> None:
        self.is_sample = self._opening_sample
        win = self.win
        img = photo.image
        self.doc.set_image(img, photo.path, Hints().with_keep_rest(win.prefs.keep_rest))
        win.canvas.set_photo(photo.gray, img.width, img.height, img.width / photo.work_shape[1])
        msg = f"Opened {photo.path.name if photo.path else 'photo'} ({img.width}×{img.height}"
        msg += f", {img.bit_depth}-bit)" + "".join(f"; {n}" for n in img.notes)
        if self._after_open is not None:
            hints, clean, text = self._after_open
            self.doc.load_hints(hints, text, clean=clean)
        elif photo.path is not None and not self.is_sample:
            side = sidecar_path(photo.path)
            if side.is_file():
                try:
                    self.doc.load_hints(Hints.from_json(side), "Open session")
                    self.doc.session_path = side
                    msg += f"; hints loaded from {side.name}"
                except HintError as err:
                    msg += f"; hint file ignored ({err})"
        self._after_open = None
        if photo.path is not None and not self.is_sample:
            self._remember_file(photo.path)
        win.statusBar().showMessage(msg, 8000)
        win.update_title()
        win.update_enabled()
        self.link.request()

    def _on_open_failed(self, message: str) -> None:
        self._after_open = None
        self.win.statusBar().clearMessage()
        self.win.error("Cannot open the photo", message)

    # -- drops -----------------------------------------------------------------------------
    def can_drop(self, data: QMimeData) -> bool:
        """A photo, a folder, a hint file (onto an open photo) or image data."""
        return self._dropped_file(data.urls()) is not None or data.hasImage()

    def drop(self, data: QMimeData) -> bool:
        """Open what was dropped; False if there was nothing to open."""
        path = self._dropped_file(data.urls())
        if path is not None:
            if path.name.endswith(".json"):
                self.open_session(path)
            else:
                self.open_photo(path)
            return True
        if data.hasImage():  # an image dragged out of a browser: its pixels, no file
            image = data.imageData()
            if isinstance(image, QImage) and not image.isNull():
                self.open_image_data(image)
                return True
        return False

    def _dropped_file(self, urls: list[QUrl]) -> Path | None:
        for url in urls:
            if url.isLocalFile():
                p = Path(url.toLocalFile())
                if p.suffix.lower() in SUPPORTED_SUFFIXES or p.is_dir():
                    return p
                if p.name.endswith(".json") and self.doc.image is not None:
                    return p
        return None

    # -- sessions --------------------------------------------------------------------------
    def open_session_dialog(self) -> None:
        """Ask for a hint file and load it onto the open photo."""
        if self.doc.image is None:
            return
        start = str(self.photo_folder())
        path = filedialogs.open_file(
            self.win, "Open a hint file", start, "Hint files (*.hints.json *.json)"
        )
        if path:
            self.open_session(Path(path))

    def open_session(self, path: Path) -> bool:
        """Replace the hints with a hint file's (undoable)."""
        try:
            hints = Hints.from_json(path)
        except HintError as err:
            self.win.error("Cannot open the hint file", str(err))
            return False
        self.doc.load_hints(hints, "Open session", clean=True)
        self.doc.session_path = Path(path)
        self.win.statusBar().showMessage(f"Hints loaded from {Path(path).name}", 5000)
        return True

    def save_session(self, path: Path | None = None) -> bool:
        """Write the hint file (default: the photo's sidecar); False if not saved."""
        if self.doc.image is None:
            return False
        target = Path(path) if path else self.doc.session_path
        if target is None and self.doc.path is not None and not self.is_sample:
            target = sidecar_path(self.doc.path)
        if target is None:
            return self.save_session_as()
        try:
            self.doc.hints.to_json(target)
        except OSError as err:
            self.win.error("Cannot save the hint file", f"{target}: {err.strerror or err}")
            return False
        self.doc.mark_saved(target)
        self.recovery.clear()
        self.win.statusBar().showMessage(f"Hints saved to {target}", 5000)
        return True

    def save_session_as(self) -> bool:
        """Ask where to save the hint file, then save it."""
        if self.doc.image is None:
            return False
        if self.doc.path is not None and not self.is_sample:
            start = str(sidecar_path(self.doc.path))
        else:
            start = str(Path.home() / "untitled.hints.json")
        path, _ = filedialogs.save_file(
            self.win, "Save the colour hints", start, "Hint files (*.hints.json)"
        )
        return self.save_session(Path(path)) if path else False

    def maybe_save(self, doing: str) -> bool:
        """Ask about unsaved hints; False when the user cancels."""
        if not self.doc.dirty:
            return True
        if self.win.prefs.save_without_asking and self.doc.path is not None and not self.is_sample:
            return self.save_session()  # beside the photo, or the session file it came from
        name = self.doc.path.name if self.doc.path else "this photo"
        answer = QMessageBox.question(
            self.win,
            "Unsaved changes",
            f"The colour hints for {name} have changed.\nSave them before {doing}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save_session()
        return answer == QMessageBox.StandardButton.Discard

    # -- autosave and recovery -------------------------------------------------------------
    def autosave_soon(self) -> None:
        """Unsaved hints go to the recovery file after a moment without edits."""
        if self.doc.dirty:
            self.autosave_timer.start()

    def autosave(self) -> None:
        """Mirror unsaved hints into the recovery file (or remove it when all is saved)."""
        if self.doc.dirty and self.doc.path is not None:
            try:
                self.recovery.write(self.doc.path, self.doc.hints)
            except OSError as err:
                self.win.statusBar().showMessage(f"Autosave failed: {err}", 8000)
        else:
            self.recovery.clear()

    def _on_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.autosave_timer.stop()
            self.recovery.clear()

    def offer_recovery(self) -> bool:
        """After a crash: offer to restore the unsaved hints. True if a photo is being restored."""
        found = self.recovery.read()  # never raises: a file it cannot use is moved aside
        aside = self.recovery.set_aside
        if aside is not None:
            QMessageBox.warning(self.win, "Unsaved work not restored", aside.message())
        if found is None:
            return False
        answer = QMessageBox.question(
            self.win,
            "Restore unsaved work?",
            "Huebrush did not close normally last time.\n\n"
            f"Unsaved work on {found.image_path.name}: {found.summary()}.\n"
            "Restore it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            self.recovery.clear()
            return False
        # Neither the sample nor a pasted image (kept in a temporary folder, which a crash
        # leaves behind) has a folder of its own to save hints beside.
        sample = same_file(found.image_path, sample_photo())
        sample = sample or found.image_path.parent.name.startswith(PASTED_DIR)
        return self.open_photo(found.image_path, found.hints, clean=False, sample=sample)

    # -- recent files ----------------------------------------------------------------------
    def _remember_file(self, path: Path) -> None:
        files = [str(Path(path).resolve())]
        files += [f for f in self.recent_files() if f != files[0]]
        self.win.settings.setValue("recent_files", files[:MAX_RECENT_FILES])

    def recent_files(self) -> list[str]:
        """Recently opened photos, newest first."""
        value = self.win.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _fill_recent_menu(self) -> None:
        menu = self.win.acts.recent_menu
        menu.clear()
        files = self.recent_files()
        for f in files:
            act = menu.addAction(Path(f).name, lambda f=f: self.open_photo(f))
            act.setToolTip(f)
            act.setEnabled(Path(f).is_file())
        if not files:
            menu.addAction("(none)").setEnabled(False)

    # -- reference photo -------------------------------------------------------------------
    def open_reference_dialog(self) -> None:
        """Ask for a colour photo to show in the reference panel."""
        last = Path(str(self.win.settings.value("reference_photo", "") or ""))
        start = last.parent if str(last) not in ("", ".") and last.parent.is_dir() else None
        path = filedialogs.open_file(
            self.win,
            "Open a reference photo",
            str(start or self.photo_folder()),
            images_filter(),
        )
        if path:
            self.open_reference(path)

    def open_reference(self, path: str | Path, quiet: bool = False) -> None:
        """Load a colour photo into the reference panel, in the background; it is shown (and
        remembered for the next start) once loaded. `quiet`: a failure is not reported."""
        self._reference_loaded = True
        self._reference_quiet = quiet
        self.reference_loader.load(str(path))
        self.win.reference.set_loading(Path(path).name)
        if not quiet:  # asked for now; a quiet load restores the panel as it was left
            self.win.reference_dock.show()
            self.win.reference_dock.raise_()

    def _on_reference_loaded(self, path: str, shown: tuple[QImage, np.ndarray]) -> None:
        image, ab = shown
        name = Path(path).name
        self.win.reference.set_reference(name, image, ab)
        self.win.settings.setValue("reference_photo", path)
        if float(np.hypot(ab[..., 0], ab[..., 1]).mean()) < 2.0:
            self.win.statusBar().showMessage(f"{name} has almost no colour to take from", 8000)

    def _on_reference_failed(self, path: str, message: str) -> None:
        self.win.reference.set_reference(None, None, None)
        if not self._reference_quiet:
            self.win.error("Cannot open the reference photo", message)

    def close_reference(self) -> None:
        """Empty the reference panel (and forget the photo for the next start)."""
        self.win.reference.set_reference(None, None, None)
        self.win.settings.remove("reference_photo")

    def _reference_shown(self, visible: bool) -> None:
        # The last reference is loaded when the panel is first shown, not at every start.
        if visible and not self._reference_loaded:
            self._reference_loaded = True
            last = str(self.win.settings.value("reference_photo", "") or "")
            if last and Path(last).is_file():
                self.open_reference(last, quiet=True)
