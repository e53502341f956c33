"""The main window: the photo views, the panels, and the controllers that give the commands
their behaviour, composed and wired together.

Widgets emit intents, the Document applies them as undoable edits, and the worker renders
the latest hints in the background; each of those links is a controller of its own
(gui.actions, gui.files, gui.exports, gui.editing, gui.renderlink). Nothing here runs the
network.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QSettings, QSignalBlocker, QSize, QStandardPaths, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QUndoView, QWidget

from gui.actions import Actions, connect_actions
from gui.canvas import Canvas
from gui.document import Document
from gui.editing import HintEditor
from gui.exports import ExportController
from gui.files import FilesController
from gui.help import HelpDialog, escape_html
from gui.palette import PalettePanel
from gui.picker import ColourPicker
from gui.preferences import Preferences, PreferencesDialog
from gui.qtfix import protect_none
from gui.reference import ReferencePanel
from gui.renderlink import RenderLink
from gui.resources import app_icon, model_card_excerpt
from gui.worker import InferenceWorker
from gui.workitems import ColorizerFactory
from model import __version__
from model.device import usable_cores
from model.inference import Colorizer

# Title bar and borders assumed before the window manager has framed the window: a
# generous guess (openbox here adds 2 x 25).
FRAME_GUESS = QSize(16, 48)


def default_threads() -> int:
    """Network threads: one per physical core, leaving the GUI a core or an SMT sibling.

    On 2 cores a single network thread made each edit ~45 ms slower (click-to-paint p50 126
    vs 85 ms) while the GUI thread's share of an edit is now a few ms, so it keeps up. With
    SMT, threads beyond the physical cores compete for the same units (PyTorch's own default
    is the physical core count), and the GUI runs on a sibling.
    """
    logical, physical = usable_cores()
    if logical > physical:
        return physical
    return physical if physical <= 2 else physical - 1


def default_data_dir() -> Path:
    """The user's data folder for Huebrush (recovery file, error log)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))


class MainWindow(QMainWindow):
    """Huebrush's window. Pass `factory` to choose the network (tests inject a tiny one)."""

    def __init__(
        self,
        factory: ColorizerFactory | None = None,
        *,
        weights: Path | None = None,
        device: str | None = None,
        settings: QSettings | None = None,
        data_dir: Path | None = None,
        threads: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        protect_none()  # before the thousands of Qt calls an editing session makes
        super().__init__(parent)
        self.settings = settings or QSettings("Huebrush", "Huebrush")
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.prefs = Preferences.load(self.settings)
        self._help: HelpDialog | None = None
        self.device = device or self.prefs.device
        if factory is None:

            def factory(dev: str, size: int) -> Colorizer:
                return Colorizer.load(weights, dev, size)

        self.doc = Document(self)
        self.worker = InferenceWorker(
            factory,
            self.device,
            self.prefs.working_size,
            threads or default_threads(),
            self,
            drafts=self.prefs.drafts,
        )
        self.worker.finish = self.prefs.finish
        self.canvas = Canvas(self)
        self.canvas.set_brush_size(self.prefs.point_size)
        self.picker = ColourPicker(self)
        self.palette = PalettePanel(self)
        self.reference = ReferencePanel(self)
        self.zoom_label = QLabel("")

        self.setWindowIcon(app_icon())
        self.setCentralWidget(self.canvas)
        self.setAcceptDrops(True)
        self._build_docks()
        self.acts = Actions(self, self.doc.undo_stack)
        docks = (self.picker_dock, self.palette_dock, self.history_dock, self.reference_dock)
        self.acts.fill_menus([dock.toggleViewAction() for dock in docks])
        self.acts.fill_toolbar()
        self.acts.suggest.setChecked(
            str(self.settings.value("suggest_new", "true")).lower() == "true"
        )
        # Each controller connects the commands and the requests it carries out.
        self.render_link = RenderLink(self, self.worker)
        self.files = FilesController(self)
        self.editor = HintEditor(self)
        self.exports = ExportController(self, factory)
        self._build_status()
        self._connect()
        self.update_title()
        self.update_enabled()
        self.resize(1400, 860)
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._fit_to_screen()
        state = self.settings.value("window_state")  # docks and toolbar as the user left them
        if isinstance(state, QByteArray):
            self.restoreState(state)
        views = {"side": self.acts.side, "split": self.acts.split}
        if (act := views.get(str(self.settings.value("view_mode", "")))) is not None:
            act.setChecked(True)  # the comparison view the user worked in last
        self.worker.start()

    def _fit_to_screen(self) -> None:
        """No bigger than the screen's free area: the default size, or a size saved on a
        bigger monitor, would otherwise put the panels' buttons out of reach on a laptop.

        Before it is shown the window has no frame yet (the window manager adds title bar
        and borders when it maps it), so a typical frame is assumed: counting none left the
        status bar below the bottom of a 1366x768 screen. A window that had to shrink starts
        maximised, which the window manager fits exactly whatever its frame; the shrunk size
        is what it returns to when un-maximised.
        """
        if self.isMaximized() or self.isFullScreen():
            return
        avail = self.screen().availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # title bar, borders
        frame = frame.expandedTo(FRAME_GUESS)
        w = min(self.width(), avail.width() - frame.width())
        h = min(self.height(), avail.height() - frame.height())
        if (w, h) != (self.width(), self.height()):
            self.resize(w, h)
            self.move(avail.topLeft())
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    # == construction =====================================================================
    def _build_docks(self) -> None:
        self.picker_dock = self._dock("Colour of point", "picker", self.picker)
        self.palette_dock = self._dock("Palette", "palette", self.palette)
        # Every edit of this photo's hints, newest last; a click goes back to that state.
        self.history = QUndoView(self.doc.undo_stack)
        self.history.setEmptyLabel("Photo opened")
        self.history_dock = self._dock("History", "history", self.history)
        self.reference_dock = self._dock("Reference Photo", "reference", self.reference)
        self.resizeDocks([self.picker_dock], [330], Qt.Orientation.Horizontal)
        self.resizeDocks([self.picker_dock, self.palette_dock], [560, 260], Qt.Orientation.Vertical)
        for dock in (self.history_dock, self.reference_dock):
            self.tabifyDockWidget(self.palette_dock, dock)
            dock.hide()  # until asked for (View menu); the window state keeps it
            # Shown from the menu, a tabbed dock comes to the front rather than behind a tab.
            dock.toggleViewAction().triggered.connect(lambda on, d=dock: on and d.raise_())
        self.palette_dock.raise_()

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        """A movable, floatable, closable panel on the right; `name` keys its saved state."""
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    def _build_status(self) -> None:
        link = self.render_link
        widgets = (*self.exports.status_widgets(), link.busy, link.latency_label)
        for w in (*widgets, self.zoom_label, link.device_label):
            self.statusBar().addPermanentWidget(w)

    def _connect(self) -> None:
        doc, canvas, acts = self.doc, self.canvas, self.acts
        doc.imageChanged.connect(self.update_enabled)
        doc.hintsChanged.connect(self._on_hints_changed)
        doc.selectionChanged.connect(self.editor.show_selection)
        doc.selectionChanged.connect(self.update_enabled)
        doc.dirtyChanged.connect(self.update_title)
        doc.dragEnded.connect(lambda: self.worker.settle(self.render_link.generation))
        canvas.zoomChanged.connect(self._on_zoom)
        connect_actions(
            {
                acts.quit: self.close,
                acts.full_screen: lambda on: self.showFullScreen() if on else self.showNormal(),
                acts.prefs: self.preferences_dialog,
                acts.zoom_in: canvas.zoom_in,
                acts.zoom_out: canvas.zoom_out,
                acts.fit: canvas.zoom_fit,
                acts.actual: canvas.zoom_actual,
                acts.side: canvas.set_side_by_side,
                acts.split: canvas.set_split_enabled,
                acts.before: canvas.set_before,
                acts.points: canvas.set_marks_visible,
                acts.help: self.show_help,
                acts.about: self.show_about,
            }
        )

    # == document -> views ================================================================
    def _on_hints_changed(self) -> None:
        interim = self.doc.interim
        self.editor.sync_enhancement()  # before the render request, which must see it
        self.editor.show_hints()
        self.render_link.follow(interim)
        self.editor.follow_picker(interim)  # during a drag the network comes first
        if not interim:
            self.update_enabled()  # Select All follows the number of points
        self.files.autosave_soon()

    def update_title(self) -> None:
        """The photo's name, marked while its hints are unsaved."""
        name = self.doc.path.name if self.doc.path else "No photo"
        self.setWindowTitle(f"{name}[*] — Huebrush")
        self.setWindowModified(self.doc.dirty)

    def update_enabled(self) -> None:
        """Enable the commands that make sense for what is open and selected."""
        doc, exports = self.doc, self.exports
        self.acts.enable(
            photo=doc.image is not None,
            selected=len(doc.selection),
            points=len(doc.points),
            folder=self.files.has_folder,
            batch=exports.exporting_folder,
            stopping=exports.stopping,
        )

    def _on_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    # == preferences and dialogs ==========================================================
    def preferences_dialog(self) -> None:
        """Show the preferences and apply what the user chose."""
        dlg = PreferencesDialog(dataclasses.replace(self.prefs, device=self.device), self)
        if dlg.exec():
            self.apply_preferences(dlg.preferences())

    def apply_preferences(self, prefs: Preferences) -> None:
        """Store the preferences; a new device or resolution re-prepares the photo."""
        changed = (prefs.device, prefs.working_size) != (self.device, self.prefs.working_size)
        self.prefs, self.device = prefs, prefs.device
        self.canvas.set_brush_size(prefs.point_size)
        prefs.save(self.settings)
        self.render_link.apply_preferences(prefs, changed)

    def error(self, title: str, message: str) -> None:
        """Tell the user what went wrong, and wait until they have read it."""
        QMessageBox.warning(self, title, message)

    def show_about(self) -> None:
        """Version, device and the first lines of the model card."""
        card = model_card_excerpt()
        text = (
            f"<h3>Huebrush {__version__}</h3>"
            "<p>Colour black-and-white photos: place colour points, pick a palette, and a "
            "neural network fills in the rest.</p>"
            f"<p>{self.render_link.device_label.text()}</p>"
        )
        if card:
            text += (
                f"<p><b>Model</b></p><pre style='white-space: pre-wrap'>{escape_html(card)}</pre>"
            )
        QMessageBox.about(self, "About Huebrush", text)

    def show_help(self) -> None:
        """The guide and the shortcuts, in a window that can stay open beside the photo."""
        if self._help is None:
            self._help = HelpDialog(self)
        self._help.show()
        self._help.raise_()
        self._help.activateWindow()

    # == window events ====================================================================
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.files.can_drop(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.files.drop(event.mimeData()):
            event.acceptProposedAction()

    def changeEvent(self, event: QEvent) -> None:
        # The window manager can leave full screen too; the menu's tick follows.
        acts: Actions | None = getattr(self, "acts", None)  # not yet, while the window is built
        if event.type() == QEvent.Type.WindowStateChange and acts is not None:
            with QSignalBlocker(acts.full_screen):
                acts.full_screen.setChecked(self.isFullScreen())
        super().changeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # The quick "before" look works wherever the focus is.
        if event.key() == Qt.Key.Key_Backslash and not event.isAutoRepeat():
            self.canvas.hold_before(True)
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Backslash and not event.isAutoRepeat():
            self.canvas.hold_before(False)
        else:
            super().keyReleaseEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.exports.may_quit() or not self.files.maybe_save("quitting"):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the worker and remove the recovery file: this is a clean exit."""
        self.files.autosave_timer.stop()
        self.exports.shutdown()
        self.render_link.shutdown()
        self.files.recovery.clear()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        acts = self.acts
        mode = "side" if acts.side.isChecked() else "split" if acts.split.isChecked() else ""
        self.settings.setValue("view_mode", mode)
        self.settings.setValue("suggest_new", acts.suggest.isChecked())
