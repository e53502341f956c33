"""The main window: menus, toolbar, docks, status bar, and all signal wiring in one place.

Widgets emit intents, the Document applies them as undoable edits, and the worker renders
the latest hints in the background. Nothing here runs the network.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QSettings,
    QSignalBlocker,
    QSize,
    QStandardPaths,
    Qt,
    QTemporaryDir,
    QTimer,
    QUrl,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QKeyEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QToolButton,
    QUndoView,
    QWidget,
)

from gui.batch import BatchItem, FolderExportDialog, FolderExporter
from gui.canvas import Canvas, PointMark
from gui.colours import AB, lab_qcolor, snapped, swatch_lightness
from gui.document import Document
from gui.help import HelpDialog, escape_html
from gui.loader import LatestLoader
from gui.palette import PalettePanel, PhotoPalette, photo_palette
from gui.picker import MAX_SUGGESTIONS, ColourPicker
from gui.preferences import Preferences, PreferencesDialog
from gui.qtfix import protect_none
from gui.recovery import RecoveryStore
from gui.reference import ReferencePanel, reference_from_path
from gui.resources import app_icon, icon, images_filter, model_card_excerpt, sample_photo
from gui.worker import (
    ColorizerFactory,
    ExportJob,
    InferenceWorker,
    OpenedPhoto,
    RenderResult,
    SuggestRequest,
)
from model import __version__
from model.colour.enhance import EnhanceSettings
from model.device import usable_cores
from model.finish import Finish
from model.hints.document import MAX_SIZE, MIN_SIZE, HintError, Hints, sidecar_path
from model.hints.stroke import stroke_positions
from model.inference import Colorizer, Prediction, shown_at, suggestions_at, working_shape
from model.io.folder import folder_photos, neighbour_photo, output_for
from model.io.load import SUPPORTED_SUFFIXES
from model.io.naming import default_output_suffix, output_path_for
from model.io.photometa import NO_META, PhotoMeta
from model.io.save import SAVE_SUFFIXES, SIXTEEN_BIT_SUFFIXES

MAX_RECENT_FILES = 10
PASTED_DIR = "huebrush-pasted-"  # the temporary folder of pasted images
MAX_RECENT_COLOURS = 10
AUTOSAVE_MS = 2000
# Title bar and borders assumed before the window manager has framed the window: a
# generous guess (openbox here adds 2 x 25).
FRAME_GUESS = QSize(16, 48)
PICKER_DRAG_MS = 100
# Restarts of a worker thread that died, between two delivered results; past this a restart
# loop is likelier than bad luck, and the user is asked to save and restart instead.
MAX_WORKER_RESTARTS = 3
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


def same_file(a: Path, b: Path) -> bool:
    """True when two paths name one file (also through links)."""
    if Path(os.path.abspath(a)) == Path(os.path.abspath(b)):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


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
        self.recovery = RecoveryStore(self.data_dir / "recovery")
        self.prefs = Preferences.load(self.settings)
        self._exporting: dict[str, PhotoMeta] = {}  # export path -> metadata it carries
        self._exported_to: dict[Path, Path] = {}  # photo -> where it was last exported
        self._sent_enhancement = EnhanceSettings()  # what the worker was last told
        self._help: HelpDialog | None = None
        self._suggest_key: object = None  # what the suggestions shown were asked for
        self._suggested: list[tuple[AB, float]] | None = None
        # A folder export under way: BatchItem.index -> photo, for those not reported yet.
        self._batch: dict[int, Path] = {}
        self._batch_total, self._batch_out = 0, Path()
        self._batch_failed: list[str] = []
        self._batch_stopped = 0  # items dropped by Stop Folder Export
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
        self.exporter = FolderExporter(factory, self)
        self.canvas = Canvas(self)
        self.canvas.set_brush_size(self.prefs.point_size)
        self.picker = ColourPicker(self)
        self.palette = PalettePanel(self)
        self.reference = ReferencePanel(self)
        self.reference_loader = LatestLoader(reference_from_path, self)
        self.palette_loader = LatestLoader(photo_palette, self)  # Palette > From photo…
        self._palette_token = -1  # the photo a palette from a photo is being read for
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        # During a drag the picker's gamut plane and suggestions are redrawn at most this
        # often: at every mouse move they took ~10 ms of the GUI thread, CPU the network
        # needs on a two-core machine.
        self.picker_timer = QTimer(self)
        self.picker_timer.setSingleShot(True)
        self.picker_timer.setInterval(PICKER_DRAG_MS)

        self._token = 0
        self._generation = 0
        self._photo: OpenedPhoto | None = None
        self._prediction: Prediction | None = None
        self._is_sample = False  # the photo has no folder of its own (the sample, pasted)
        self._opening_sample = False
        self._pasted: QTemporaryDir | None = None  # pasted images, for as long as the app runs
        self._pasted_count = 0
        self._reference_loaded = False  # the remembered reference is loaded on first show
        self._reference_quiet = False
        self._recent_owner: object = None  # the points Recent's first colour was chosen for
        self._after_open: tuple[Hints, bool, str] | None = None
        self._last_colour: AB | None = None
        self._stroke_colours: list[AB] = []  # of the stroke being painted, as given
        self._stroke_end: tuple[float, float] | None = None  # the last stroke's last point
        self.last_latency_ms = 0.0  # request to finished preview, for the status bar
        self.last_result_refined = False
        self.last_result_draft = False  # the result on screen is a quick smaller-size draft
        self._worker_deaths = 0
        self.recent_colours: list[AB] = self._load_recent_colours()

        self.setWindowIcon(app_icon())
        self.setCentralWidget(self.canvas)
        self.setAcceptDrops(True)
        self._build_docks()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status()
        self._connect()
        self._update_title()
        self._update_enabled()
        self.picker.set_recent(self.recent_colours)
        self.resize(1400, 860)
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        self._fit_to_screen()
        state = self.settings.value("window_state")  # docks and toolbar as the user left them
        if isinstance(state, QByteArray):
            self.restoreState(state)
        views = {"side": self.act_side, "split": self.act_split}
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

    def _action(
        self,
        text: str,
        slot: Callable[..., object] | None = None,
        shortcut: QKeySequence | str | list[QKeySequence | str] | None = None,
        tip: str = "",
        icon_name: str = "",
        checkable: bool = False,
    ) -> QAction:
        act = QAction(text, self)
        if icon_name:
            act.setIcon(icon(icon_name))
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            act.setShortcuts([QKeySequence(k) for k in keys])
        act.setCheckable(checkable)
        keys_text = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = tip or text.replace("…", "").replace("&", "")
        act.setToolTip(f"{tip} ({keys_text})" if keys_text else tip)
        act.setStatusTip(tip)
        if slot is not None:
            (act.toggled if checkable else act.triggered).connect(slot)
        self.addAction(act)  # shortcuts work even when the toolbar is hidden
        return act

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey
        a = self._action
        self.act_open = a(
            "&Open Photo…", self.open_dialog, K.Open, "Open a black-and-white photo", "open"
        )
        self.act_open_folder = a(
            "Open &Folder…",
            self.open_folder_dialog,
            None,
            "Open the first photo of a folder, to go through it with Page Down",
        )
        self.act_open_reference = a(
            "Open &Reference Photo…",
            self.open_reference_dialog,
            None,
            "Show a colour photo beside the work to take point colours from",
        )
        self.act_paste_photo = a(
            "&Paste Photo",
            self.paste_photo,
            QKeySequence.StandardKey.Paste,
            "Open the image on the clipboard (copied from a browser, a scanner program or a "
            "file manager)",
        )
        self.act_next_photo = a(
            "&Next Photo in Folder",
            lambda: self.step_photo(+1),
            "PgDown",
            "Open the next photo of this photo's folder (by name, 2 before 10)",
        )
        self.act_prev_photo = a(
            "Pre&vious Photo in Folder",
            lambda: self.step_photo(-1),
            "PgUp",
            "Open the previous photo of this photo's folder",
        )
        self.act_open_session = a(
            "Open &Session…",
            self.open_session_dialog,
            "Ctrl+Shift+O",
            "Load colour hints from a hint file",
        )
        self.act_save = a(
            "&Save Session",
            self.save_session,
            K.Save,
            "Save the colour hints beside the photo",
            "save",
        )
        self.act_save_as = a("Save Session &As…", self.save_session_as, K.SaveAs)
        self.act_export = a(
            "&Export Colour Photo…",
            self.export_dialog,
            "Ctrl+E",
            "Save the colourised photo at full resolution",
            "export",
        )
        self.act_export_folder = a(
            "Export &Folder…",
            self.export_folder_dialog,
            "Ctrl+Shift+E",
            "Colour every photo of this photo's folder with its saved hints (automatically "
            "where it has none) and save them all at full resolution",
        )
        self.act_stop_folder = a(
            "S&top Folder Export", self.stop_folder_export, None, "Export no more of the folder"
        )
        self.act_stop_folder.setEnabled(False)
        self.act_quit = a("&Quit", self.close, K.Quit)
        if self.act_quit.shortcut().isEmpty():  # e.g. Windows binds no standard Quit key
            self.act_quit.setShortcut(QKeySequence("Ctrl+Q"))

        self.act_undo = self.doc.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([QKeySequence(K.Undo)])
        self.act_undo.setIcon(icon("undo"))
        self.act_redo = self.doc.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.act_redo.setIcon(icon("redo"))
        for act in (self.act_undo, self.act_redo):
            self.addAction(act)
        self.act_remove = a(
            "Remove Point",
            self._remove_selected,
            ["Delete", "Backspace"],
            "Remove the selected points",
        )
        self.act_bigger = a("Bigger Point", lambda: self.grow_points(+1), "]")
        self.act_smaller = a("Smaller Point", lambda: self.grow_points(-1), "[")
        self.act_sample = a(
            "Pick Colour from Photo",
            self.canvas.set_sampling,
            "I",
            "Click the photo to give the selected points the colour shown there (also Alt+click)",
            "eyedropper",
            checkable=True,
        )
        self.act_paint = a(
            "Paint Points",
            self.canvas.set_painting,
            "P",
            "Drag on the photo to paint a stroke of points; they stay selected, so one pick in "
            "the picker colours the whole stroke. Right-drag erases points (Esc: back to "
            "clicking and panning)",
            "brush",
            checkable=True,
        )
        self.act_grey = a(
            "Make Points Grey",
            lambda: self._recolour_selected(0.0, 0.0, True),
            "G",
            "Give the selected points no colour: a grey point stops a colour running over an edge",
        )
        self.act_keep_rest = a(
            "Keep the Rest",
            self._keep_rest_chosen,
            "K",
            "Points colour only their own regions and the automatic colours stay elsewhere "
            "(off: one point may recolour the whole photo); saved with the hints",
            "keep-rest",
            checkable=True,
        )
        # F11 where the platform binds no full-screen key (X11 without a desktop's theme).
        full: list[QKeySequence | str] = [*QKeySequence.keyBindings(K.FullScreen)] or ["F11"]
        self.act_full_screen = a(
            "&Full Screen",
            lambda on: self.showFullScreen() if on else self.showNormal(),
            full,
            "Give the whole screen to the photo and the panels",
            checkable=True,
        )
        self.act_select_all = a(
            "Select All Points",
            self.doc.select_all,
            K.SelectAll,
            "Select every point, to move, recolour, resize or remove them together",
        )
        self.act_suggest = a(
            "New Points Keep the Shown Colour",
            None,
            "N",
            "New points start with the colour the photo shows there now, so a click "
            "changes nothing until you pick a colour (off: the last colour you chose)",
            "suggest",
            checkable=True,
        )
        self.act_suggest.setChecked(
            str(self.settings.value("suggest_new", "true")).lower() == "true"
        )
        self.act_copy_hints = a(
            "&Copy Hints",
            self.copy_hints,
            "Ctrl+Shift+C",
            "Copy this photo's points, palette and settings, to paste onto another photo",
        )
        self.act_paste_hints = a(
            "&Paste Hints",
            self.paste_hints,
            "Ctrl+Shift+V",
            "Replace the hints with copied ones (points keep their place in the frame)",
        )
        self.act_reset = a(
            "&Reset Hints",
            self.doc.reset_hints,
            "Ctrl+Shift+Backspace",
            "Remove all points, the palette and the saturation",
            "reset",
        )
        self.act_prefs = a("&Preferences…", self.preferences_dialog, K.Preferences)
        if self.act_prefs.shortcut().isEmpty():
            self.act_prefs.setShortcut(QKeySequence("Ctrl+,"))

        self.act_zoom_in = a(
            "Zoom &In", self.canvas.zoom_in, [K.ZoomIn, "+", "="], icon_name="zoom-in"
        )
        self.act_zoom_out = a(
            "Zoom &Out", self.canvas.zoom_out, [K.ZoomOut, "-"], icon_name="zoom-out"
        )
        self.act_fit = a(
            "&Fit to Window", self.canvas.zoom_fit, ["Ctrl+0", "F"], icon_name="zoom-fit"
        )
        self.act_actual = a("&100%", self.canvas.zoom_actual, ["Ctrl+1", "1"], icon_name="zoom-100")
        self.act_side = a(
            "&Side by Side",
            self.canvas.set_side_by_side,
            "D",
            "Original and colour result next to each other",
            "side-by-side",
            checkable=True,
        )
        self.act_split = a(
            "Before/After &Split",
            self._set_split,
            "S",
            "A movable line: original on the left, colour on the right",
            "split",
            checkable=True,
        )
        self.act_before = a(
            "Show &Original",
            self.canvas.set_before,
            "B",
            "Show the original instead of the colour result (hold \\ for a quick look)",
            "before",
            checkable=True,
        )
        self.act_points = a(
            "Show &Points",
            self.canvas.set_marks_visible,
            "H",
            "Show or hide the colour points",
            "points",
            checkable=True,
        )
        self.act_points.setChecked(True)
        # Input enhancement (off by default): only the network sees the enhanced lightness
        # unless the user also asks for it in the result.
        self.enhance_group = QActionGroup(self)
        self.act_enhance: dict[str, QAction] = {}
        for mode, text, tip in (
            ("none", "&No Enhancement", "The network sees the photo's own lightness"),
            (
                "stretch",
                "Contrast &Stretch",
                "Stretch the 1st..99th percentile of lightness to the full range before "
                "colouring (helps faded scans)",
            ),
            (
                "equalize",
                "Histogram &Equalisation",
                "Equalise the lightness histogram before colouring",
            ),
        ):
            act = a(text, None, None, tip, checkable=True)
            self.enhance_group.addAction(act)
            self.act_enhance[mode] = act
        self.act_enhance["none"].setChecked(True)
        self.enhance_group.triggered.connect(self._enhancement_chosen)  # once per choice
        self.act_enhance_output = a(
            "Show and Export Enhanced &Lightness",
            self._enhancement_chosen,
            None,
            "Use the enhanced lightness in the result too (off: the photo's own tones are kept)",
            checkable=True,
        )
        self.act_enhance_output.setEnabled(False)
        self.act_help = a("Huebrush &Help", self.show_help, K.HelpContents)
        self.act_about = a("&About Huebrush", self.show_about)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.act_open)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        m.addActions([self.act_open_folder, self.act_paste_photo, self.act_open_reference])
        m.addActions([self.act_next_photo, self.act_prev_photo])
        m.addSeparator()
        m.addActions([self.act_open_session, self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_export, self.act_export_folder, self.act_stop_folder])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = mb.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_select_all, self.act_remove, self.act_bigger, self.act_smaller])
        m.addActions([self.act_paint, self.act_sample, self.act_grey, self.act_suggest])
        m.addAction(self.act_keep_rest)
        m.addSeparator()
        m.addActions([self.act_copy_hints, self.act_paste_hints, self.act_reset])
        m.addSeparator()
        m.addAction(self.act_prefs)
        m = mb.addMenu("&View")
        m.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_actual])
        m.addSeparator()
        m.addActions([self.act_side, self.act_split, self.act_before, self.act_points])
        m.addSeparator()
        m.addAction(self.picker_dock.toggleViewAction())
        m.addAction(self.palette_dock.toggleViewAction())
        m.addAction(self.history_dock.toggleViewAction())
        m.addAction(self.reference_dock.toggleViewAction())
        m.addSeparator()
        m.addAction(self.act_full_screen)
        m = mb.addMenu("&Image")
        e = m.addMenu("&Enhance Lightness for the Network")
        e.addActions(list(self.act_enhance.values()))
        e.addSeparator()
        e.addAction(self.act_enhance_output)
        m = mb.addMenu("&Help")
        m.addActions([self.act_help, self.act_about])

    def _build_toolbar(self) -> None:
        tb = self.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addActions([self.act_open, self.act_save, self.act_export])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo])
        tb.addSeparator()
        tb.addActions([self.act_zoom_out, self.act_zoom_in, self.act_fit, self.act_actual])
        tb.addSeparator()
        tb.addActions([self.act_side, self.act_split, self.act_before, self.act_points])
        tb.addSeparator()
        tb.addActions([self.act_paint, self.act_suggest, self.act_keep_rest, self.act_reset])
        self._group = QActionGroup(self)  # side-by-side and split exclude each other
        self._group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self._group.addAction(self.act_side)
        self._group.addAction(self.act_split)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.setToolTip("The network is working")
        self.busy.hide()
        self.latency_label = QLabel("")
        self.latency_label.setToolTip("Time from your last edit to the updated colours")
        self.zoom_label = QLabel("")
        self.device_label = QLabel("Device: starting…")
        self.device_label.setToolTip("Where the network runs (Preferences to change)")
        # A folder export's progress, with its stop button beside it while one runs.
        self.batch_progress = QProgressBar()
        self.batch_progress.setMaximumWidth(140)
        self.batch_progress.setMaximumHeight(14)
        self.batch_progress.setFormat("%v of %m")
        self.batch_progress.setToolTip("Photos of the folder exported")
        self.batch_stop = QToolButton()
        self.batch_stop.setDefaultAction(self.act_stop_folder)
        self.batch_stop.setText("Stop")
        for w in (self.batch_progress, self.batch_stop):
            w.hide()
            sb.addPermanentWidget(w)
        for w in (self.busy, self.latency_label, self.zoom_label, self.device_label):
            sb.addPermanentWidget(w)

    def _connect(self) -> None:
        doc, canvas, w = self.doc, self.canvas, self.worker
        doc.imageChanged.connect(self._update_enabled)
        doc.hintsChanged.connect(self._on_hints_changed)
        doc.selectionChanged.connect(self._on_selection_changed)
        doc.dirtyChanged.connect(self._on_dirty_changed)
        doc.dragEnded.connect(lambda: w.settle(self._generation))

        canvas.pointAddRequested.connect(self._add_point)
        canvas.pointMoveRequested.connect(lambda i, x, y: doc.move_point(i, x, y, final=False))
        canvas.pointMoveFinished.connect(lambda i, x, y: doc.move_point(i, x, y, final=True))
        canvas.pointSelected.connect(doc.select)
        canvas.pointToggled.connect(doc.toggle_selected)
        canvas.pointsBoxed.connect(doc.select_more)
        canvas.colourSampled.connect(self.sample_colour)
        canvas.samplingCancelled.connect(lambda: self.act_sample.setChecked(False))
        canvas.strokePainted.connect(self.add_stroke)
        canvas.pointsErased.connect(doc.remove_points)
        canvas.strokeExtended.connect(self.extend_stroke)
        canvas.paintingCancelled.connect(lambda: self.act_paint.setChecked(False))
        canvas.pointRemoveRequested.connect(doc.remove_point)
        canvas.zoomChanged.connect(self._on_zoom)

        self.picker.colourPicked.connect(self._recolour_selected)
        self.picker.sample_button.setDefaultAction(self.act_sample)
        self.picker.sizeRequested.connect(lambda n: doc.resize_point(doc.selected, n))
        self.picker.removeRequested.connect(self._remove_selected)

        pal = self.palette
        pal.addRequested.connect(lambda a, b: doc.add_palette_colour((a, b)))
        pal.editRequested.connect(lambda i, a, b: doc.edit_palette_colour(i, (a, b)))
        pal.weightRequested.connect(doc.set_palette_weight)
        pal.removeRequested.connect(doc.remove_palette_colour)
        pal.clearRequested.connect(doc.clear_palette)
        pal.saturationRequested.connect(doc.set_saturation)
        pal.referenceRequested.connect(self.palette_from_reference)
        ref = self.reference
        ref.colourSampled.connect(lambda a, b: self.use_colour((a, b)))
        ref.openRequested.connect(self.open_reference_dialog)
        ref.referenceRequested.connect(self.open_reference)
        ref.clearRequested.connect(self.close_reference)
        self.reference_dock.visibilityChanged.connect(self._reference_shown)
        self.palette_loader.loaded.connect(self._on_palette_loaded)
        self.palette_loader.failed.connect(self._on_palette_failed)
        self.reference_loader.loaded.connect(self._on_reference_loaded)
        self.reference_loader.failed.connect(self._on_reference_failed)

        w.opened.connect(self._on_opened)
        w.openFailed.connect(self._on_open_failed)
        w.resultReady.connect(self._on_result)
        w.failed.connect(self._on_render_failed)
        w.exported.connect(self._on_exported)
        w.exportFailed.connect(self._on_export_failed)
        w.notice.connect(self._on_notice)
        w.busyChanged.connect(self.busy.setVisible)
        w.deviceChanged.connect(self._on_device)
        w.died.connect(self._on_worker_died)
        self.exporter.itemDone.connect(self._on_batch_item)
        w.suggestionsReady.connect(self._on_suggestions)

        self.autosave_timer.timeout.connect(self.autosave)
        self.picker_timer.timeout.connect(self._update_picker)

    # == opening photos and sessions ======================================================
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
                self._error("No photos there", f"{path} holds no photo Huebrush can open.")
                return False
            path = photos[0]
        if not self._maybe_save("opening another photo"):
            return False
        self._token += 1
        self._opening_sample = sample  # _is_sample tells of the photo on screen until then
        text = "Open session" if clean else "Restore unsaved hints"
        self._after_open = (hints, clean, text) if hints is not None else None
        self.worker.open_photo(path if pasted is None else pasted, path, self._token)
        self.statusBar().showMessage(f"Opening {path.name}…")
        return True

    def step_photo(self, step: int) -> bool:
        """Open the photo step places after (negative: before) this one in its folder, for
        colouring a series; unsaved hints are offered for saving first."""
        if self.doc.path is None or self._is_sample:
            return False
        target = neighbour_photo(self.doc.path, step)
        if target is None:
            where = "last" if step > 0 else "first"
            self.statusBar().showMessage(
                f"{self.doc.path.name} is the {where} photo in {self.doc.path.parent.name}", 5000
            )
            return False
        return self.open_photo(target)

    def open_sample(self) -> None:
        """Open the bundled black-and-white sample photo."""
        self.open_photo(sample_photo(), sample=True)

    def open_dialog(self) -> None:
        """Ask for a photo and open it."""
        start = str(self._photo_folder())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a photo", start, f"{images_filter()};;All files (*)"
        )
        if path:
            self.open_photo(path)

    def open_folder_dialog(self) -> None:
        """Ask for a folder and open its first photo."""
        path = QFileDialog.getExistingDirectory(
            self, "Open a folder of photos", str(self._photo_folder())
        )
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
            self.statusBar().showMessage("The clipboard holds no image", 5000)
            return False
        return self.open_image_data(image)

    def open_image_data(self, image: QImage) -> bool:
        """Open an image that has no file (pasted or dropped from a browser)."""
        if self._pasted is None:
            self._pasted = QTemporaryDir(str(Path(tempfile.gettempdir()) / f"{PASTED_DIR}XXXXXX"))
        self._pasted_count += 1
        path = Path(self._pasted.path()) / f"Pasted photo {self._pasted_count}.png"
        if not self._pasted.isValid():
            self._error("Cannot open the image", f"Could not keep a copy of it in {path.parent}.")
            return False
        return self.open_photo(path, sample=True, pasted=image)

    def _photo_folder(self) -> Path:
        """Where a file dialog starts: the open photo's folder, else the last opened photo's,
        else home (never the folder the app happened to be started from)."""
        if self.doc.path is not None and not self._is_sample:
            return self.doc.path.parent
        for f in self.recent_files():
            if Path(f).parent.is_dir():
                return Path(f).parent
        return Path.home()

    def _on_opened(self, photo: OpenedPhoto) -> None:
        if photo.token != self._token:
            return  # the user opened something else meanwhile
        self._is_sample = self._opening_sample
        self._photo = photo
        self._prediction = None
        img = photo.image
        self.doc.set_image(img, photo.path, Hints().with_keep_rest(self.prefs.keep_rest))
        self.canvas.set_photo(photo.gray, img.width, img.height, img.width / photo.work_shape[1])
        msg = f"Opened {photo.path.name if photo.path else 'photo'} ({img.width}×{img.height}"
        msg += f", {img.bit_depth}-bit)" + "".join(f"; {n}" for n in img.notes)
        if self._after_open is not None:
            hints, clean, text = self._after_open
            self.doc.load_hints(hints, text, clean=clean)
        elif photo.path is not None and not self._is_sample:
            side = sidecar_path(photo.path)
            if side.is_file():
                try:
                    self.doc.load_hints(Hints.from_json(side), "Open session")
                    self.doc.session_path = side
                    msg += f"; hints loaded from {side.name}"
                except HintError as err:
                    msg += f"; hint file ignored ({err})"
        self._after_open = None
        if photo.path is not None and not self._is_sample:
            self._remember_file(photo.path)
        self.statusBar().showMessage(msg, 8000)
        self._update_title()
        self._update_enabled()
        self._request_render()

    def _on_open_failed(self, token: int, message: str) -> None:
        if token != self._token:
            return
        self._after_open = None
        self.statusBar().clearMessage()
        self._error("Cannot open the photo", message)

    def open_session_dialog(self) -> None:
        """Ask for a hint file and load it onto the open photo."""
        if self.doc.image is None:
            return
        start = str(self._photo_folder())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a hint file", start, "Hint files (*.hints.json *.json)"
        )
        if path:
            self.open_session(Path(path))

    def open_session(self, path: Path) -> bool:
        """Replace the hints with a hint file's (undoable)."""
        try:
            hints = Hints.from_json(path)
        except HintError as err:
            self._error("Cannot open the hint file", str(err))
            return False
        self.doc.load_hints(hints, "Open session", clean=True)
        self.doc.session_path = Path(path)
        self.statusBar().showMessage(f"Hints loaded from {Path(path).name}", 5000)
        return True

    # == saving ===========================================================================
    def save_session(self, path: Path | None = None) -> bool:
        """Write the hint file (default: the photo's sidecar); False if not saved."""
        if self.doc.image is None:
            return False
        target = Path(path) if path else self.doc.session_path
        if target is None and self.doc.path is not None and not self._is_sample:
            target = sidecar_path(self.doc.path)
        if target is None:
            return self.save_session_as()
        try:
            self.doc.hints.to_json(target)
        except OSError as err:
            self._error("Cannot save the hint file", f"{target}: {err.strerror or err}")
            return False
        self.doc.mark_saved(target)
        self.recovery.clear()
        self.statusBar().showMessage(f"Hints saved to {target}", 5000)
        return True

    def save_session_as(self) -> bool:
        """Ask where to save the hint file, then save it."""
        if self.doc.image is None:
            return False
        if self.doc.path is not None and not self._is_sample:
            start = str(sidecar_path(self.doc.path))
        else:
            start = str(Path.home() / "untitled.hints.json")
        path, _ = QFileDialog.getSaveFileName(
            self, "Save the colour hints", start, "Hint files (*.hints.json)"
        )
        return self.save_session(Path(path)) if path else False

    def export_dialog(self) -> None:
        """Ask for an output file, then export. The dialog offers this photo's last export, else
        <photo>_color in the folder exported to last, in the photo's own format if that is
        TIFF or PNG (lossless, 16-bit, its metadata) and PNG otherwise."""
        if self.doc.image is None:
            return
        start = self._export_start()
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export the colour photo",
            str(start),
            EXPORT_FILTERS,
            export_filter_for(start.suffix),
        )
        if path:
            self.export(Path(path), export_suffix_for(chosen))

    def _export_start(self) -> Path:
        src = self.doc.path if not self._is_sample else None
        if src is not None and src in self._exported_to:
            return self._exported_to[src]
        folder = Path(str(self.settings.value("export_dir", "") or ""))
        if not str(folder) or str(folder) == "." or not folder.is_dir():
            folder = src.parent if src is not None else Path.home()
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
            self._error(
                "Will not overwrite the original",
                f"{path.name} is the photo you are colouring. Choose another file name.",
            )
            return False
        depth = image.bit_depth if path.suffix.lower() in SIXTEEN_BIT_SUFFIXES else 8
        meta = image.meta if self.prefs.keep_metadata else NO_META
        job = ExportJob(self._token, path, self.doc.hints, depth, image.output_icc_profile, meta)
        self._exporting[str(path)] = meta
        if self.doc.path is not None and not self._is_sample:
            self._exported_to[self.doc.path] = path
        self.worker.export(job)
        self.statusBar().showMessage(f"Exporting {path.name}…")
        return True

    # == folder export ==================================================================
    def export_folder_dialog(self) -> None:
        """Ask for an output folder and format, say what will happen, then export."""
        if self.doc.path is None or self._is_sample or self._batch:
            return
        folder = self.doc.path.parent
        chosen = QFileDialog.getExistingDirectory(
            self, f"Export the photos of {folder.name} to", str(self._export_start().parent)
        )
        if not chosen:
            return
        out = Path(chosen)
        dialog = FolderExportDialog(lambda fmt: self.folder_export_summary(out, fmt), self)
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
        photos = folder_photos(self.doc.path.parent)
        taken = {p.resolve() for p in photos}
        items: list[BatchItem] = []
        skipped: list[str] = []
        for src in photos:
            if same_file(src, self.doc.path):
                hints = self.doc.hints
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
            items.append(
                BatchItem(len(items), src, dest, hints, self.prefs.keep_metadata, self.prefs.finish)
            )
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
        self.exporter.add(items, self.device, self.prefs.working_size)
        self._update_enabled()
        self.statusBar().showMessage(f"Exporting the folder: 0 of {len(items)} done…")

    @property
    def exporting_folder(self) -> bool:
        """True from Export Folder until the last photo has been reported."""
        return bool(self._batch)

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
        self.statusBar().showMessage(f"Stopping the folder export after {under_way}…")
        self._update_enabled()

    def _on_batch_item(self, index: int, path: str, error: str) -> None:
        src = self._batch.pop(index, None)
        if src is None:
            return
        if error:
            self._batch_failed.append(f"{src.name}: {error}")
        if self._batch:
            done = self._batch_total - len(self._batch)
            self.batch_progress.setValue(done)
            self.statusBar().showMessage(
                f"Exporting the folder: {done} of {self._batch_total} done ({src.name})…"
            )
        else:
            self._finish_folder_export()

    def _finish_folder_export(self) -> None:
        self.settings.setValue("export_dir", str(self._batch_out))
        ok = self._batch_total - len(self._batch_failed) - self._batch_stopped
        stopped = f"; stopped, {self._batch_stopped} not exported" if self._batch_stopped else ""
        self.statusBar().showMessage(
            f"Exported {ok} of {self._batch_total} photos to {self._batch_out}{stopped}", 15000
        )
        self._update_enabled()
        if self._batch_failed:
            more = len(self._batch_failed) - 20
            text = "\n".join(self._batch_failed[:20]) + (f"\n… and {more} more" if more > 0 else "")
            self._error("Some photos were not exported", text)

    def _on_exported(self, path: str) -> None:
        self.settings.setValue("export_dir", str(Path(path).parent))
        kept = self._exporting.pop(path, NO_META).summary()
        extra = f"; kept the photo's {', '.join(kept)}" if kept else ""
        self.statusBar().showMessage(f"Exported {path} (hints saved beside it{extra})", 8000)

    def _on_export_failed(self, message: str) -> None:
        self.statusBar().clearMessage()
        self._error("Export failed", message)

    # == edits ============================================================================
    def _add_point(self, x: float, y: float) -> None:
        if self.doc.image is None:
            return
        self.doc.add_point(x, y, self._colour_for_new_point(x, y), self.prefs.point_size)

    def add_stroke(
        self, path: list[tuple[float, float]], final: bool = True, continued: bool = False
    ) -> None:
        """A stroke painted along `path` (photo fractions): points every two point widths in
        the network's pixels, each with the colour a new point would get there, all selected.
        While it is drawn (not `final`) its points come in as they are passed, so the colour
        follows the brush. A `continued` stroke starts at an existing point, so it leaves
        that one out."""
        img = self.doc.image
        if img is None:
            return
        size = self.prefs.point_size
        h, w = working_shape(img.height, img.width, self.prefs.working_size)
        where = stroke_positions(path, w, h, spacing=2.0 * size, end=final)[int(continued) :]
        if not where:
            return
        if not final and len(where) == len(self._stroke_colours):
            return  # no new point passed yet
        # A point keeps the colour it was given when the brush passed it, not what the
        # renders its own stroke caused since then show there.
        colours = self._stroke_colours[: len(where)]
        colours += [self._colour_for_new_point(x, y) for x, y in where[len(colours) :]]
        self._stroke_colours = [] if final else colours
        self._stroke_end = where[-1] if final else None
        self.doc.add_points(
            [(x, y, ab) for (x, y), ab in zip(where, colours, strict=True)], size, final
        )
        if final and len(where) > 1:
            self.statusBar().showMessage(
                f"Painted {len(where)} points; pick a colour to give it to all of them", 5000
            )

    def extend_stroke(self, x: float, y: float) -> None:
        """Shift+click with the brush: a straight stroke from the last stroke's last point to
        (x, y), as paint programs draw a line; with no such point (none painted yet, or it
        was undone, erased or belongs to another photo), a point at (x, y)."""
        start = self._stroke_end
        if start is None or all((p.x, p.y) != start for p in self.doc.points):
            self.add_stroke([(x, y)])
        else:
            self.add_stroke([start, (x, y)], continued=True)

    def grow_points(self, step: int) -> None:
        """[ and ]: resize the selected points; with none selected, the size new points
        and painted strokes get (as a paint program's brush)."""
        if self.doc.selection:
            self.doc.grow_selected(step)
            return
        size = min(max(self.prefs.point_size + step, MIN_SIZE), MAX_SIZE)
        self.prefs = dataclasses.replace(self.prefs, point_size=size)
        self.prefs.save(self.settings)
        self.canvas.set_brush_size(size)
        self._update_picker()
        self.statusBar().showMessage(f"New points and strokes: {size} px", 3000)

    def _colour_for_new_point(self, x: float, y: float) -> AB:
        L = self.lightness_at(x, y)
        if (self.act_suggest.isChecked() or self._last_colour is None) and self._prediction:
            return snapped(L, shown_at(self._prediction, x, y))
        return snapped(L, self._last_colour or (0.0, 0.0))

    def _recolour_selected(self, a: float, b: float, final: bool) -> None:
        i = self.doc.selected
        if i < 0:
            return
        self.doc.recolour_point(i, (a, b), final)
        if final:
            self._last_colour = (a, b)
            self._remember_colour((a, b), (self._token, self.doc.selection))

    def sample_colour(self, x: float, y: float) -> None:
        """The eyedropper: the colour shown at photo point (x, y) goes to the selected points."""
        self.act_sample.setChecked(False)  # one click, as in paint programs
        if self._prediction is not None:
            self.use_colour(shown_at(self._prediction, x, y))

    def use_colour(self, ab: AB) -> None:
        """A colour taken from the photo or the reference: the selected points get it
        (snapped into the current one's gamut); with none selected it goes to Recent."""
        p = self.doc.selected_point
        if p is None:
            self._remember_colour(ab)
            self.statusBar().showMessage(
                f"Colour a {ab[0]:+.0f}, b {ab[1]:+.0f} added to Recent; select a point to "
                "give it that colour",
                6000,
            )
            return
        ab = snapped(self.lightness_at(p.x, p.y), ab)
        self._recolour_selected(*ab, True)
        n = len(self.doc.selection)
        what = "the selected point" if n == 1 else f"the {n} selected points"
        self.statusBar().showMessage(f"Gave {what} the colour a {ab[0]:+.0f}, b {ab[1]:+.0f}", 4000)

    def copy_hints(self) -> None:
        """Put the hints on the clipboard as a hint-file document (also plain JSON text)."""
        if self.doc.image is None:
            return
        doc = dataclasses.replace(self.doc.hints, extra={}).to_dict()
        QApplication.clipboard().setText(json.dumps(doc, indent=1))
        h, n = self.doc.hints, len(self.doc.points)
        parts = [f"{n} point{'s' * (n != 1)}"]
        parts += ["the palette"] * bool(h.palette) + ["the saturation"] * (h.saturation is not None)
        parts += ["the enhancement"] * (h.enhance != "none") + ["Keep the Rest"] * h.keep_rest
        what = ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
        self.statusBar().showMessage(f"Copied {what}; Paste Hints on another photo", 5000)

    def paste_hints(self) -> bool:
        """Replace the hints with the clipboard's hint document (one undo step)."""
        if self.doc.image is None:
            return False
        text = QApplication.clipboard().text()
        try:
            hints = Hints.from_dict(json.loads(text), "clipboard")
        except (ValueError, RecursionError) as err:  # HintError and JSON errors alike
            reason = str(err) if isinstance(err, HintError) else "it holds no hint document"
            self.statusBar().showMessage(f"Nothing pasted: {reason}", 8000)
            return False
        self.doc.load_hints(dataclasses.replace(hints, extra={}), "Paste hints", clean=False)
        n = len(hints.points)
        self.statusBar().showMessage(f"Pasted {n} point{'s' * (n != 1)}", 5000)
        return True

    def _remove_selected(self) -> None:
        self.doc.remove_selected()

    def _set_split(self, on: bool) -> None:
        self.canvas.set_split_enabled(on)

    def palette_from_reference(self, path: str) -> None:
        """The main colours of a photo become the palette (one undo step); the photo is read
        in the background, as a big scan takes seconds."""
        self._palette_token = self._token
        self.palette_loader.load(path)
        self.statusBar().showMessage(f"Taking the palette from {Path(path).name}…")

    def _on_palette_loaded(self, path: str, found: PhotoPalette) -> None:
        if self._palette_token != self._token:
            return  # asked for the photo that was open before this one
        name = Path(path).name
        if found.chroma < 2.0:
            self.statusBar().showMessage(f"{name} has almost no colour; palette unchanged", 8000)
            return
        self.doc.set_palette(found.colours, "Palette from reference")
        self.statusBar().showMessage(f"Palette taken from {name}", 5000)

    def _on_palette_failed(self, path: str, message: str) -> None:
        self.statusBar().clearMessage()
        self._error("Cannot open the reference photo", message)

    # == reference photo ==================================================================
    def open_reference_dialog(self) -> None:
        """Ask for a colour photo to show in the reference panel."""
        last = Path(str(self.settings.value("reference_photo", "") or ""))
        start = last.parent if str(last) not in ("", ".") and last.parent.is_dir() else None
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open a reference photo",
            str(start or self._photo_folder()),
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
        self.reference.set_loading(Path(path).name)
        if not quiet:  # asked for now; a quiet load restores the panel as it was left
            self.reference_dock.show()
            self.reference_dock.raise_()

    def _on_reference_loaded(self, path: str, shown: tuple[QImage, np.ndarray]) -> None:
        image, ab = shown
        name = Path(path).name
        self.reference.set_reference(name, image, ab)
        self.settings.setValue("reference_photo", path)
        if float(np.hypot(ab[..., 0], ab[..., 1]).mean()) < 2.0:
            self.statusBar().showMessage(f"{name} has almost no colour to take from", 8000)

    def _on_reference_failed(self, path: str, message: str) -> None:
        self.reference.set_reference(None, None, None)
        if not self._reference_quiet:
            self._error("Cannot open the reference photo", message)

    def close_reference(self) -> None:
        """Empty the reference panel (and forget the photo for the next start)."""
        self.reference.set_reference(None, None, None)
        self.settings.remove("reference_photo")

    def _reference_shown(self, visible: bool) -> None:
        # The last reference is loaded when the panel is first shown, not at every start.
        if visible and not self._reference_loaded:
            self._reference_loaded = True
            last = str(self.settings.value("reference_photo", "") or "")
            if last and Path(last).is_file():
                self.open_reference(last, quiet=True)

    # == document -> views ================================================================
    def lightness_at(self, x: float, y: float) -> float:
        """Mean lightness of a 3×3 preview neighbourhood around the fractional point."""
        if self._photo is None:
            return 50.0
        L = self._photo.preview_L
        h, w = L.shape
        r, c = min(int(y * h), h - 1), min(int(x * w), w - 1)
        return float(L[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].mean())

    def _on_hints_changed(self) -> None:
        hints = self.doc.hints
        self._sync_enhancement()  # before the render request, which must see it
        with QSignalBlocker(self.act_keep_rest):
            self.act_keep_rest.setChecked(hints.keep_rest)
        self.canvas.set_keep_rest(hints.keep_rest)
        marks = [
            PointMark(
                p.x, p.y, lab_qcolor(swatch_lightness(self.lightness_at(p.x, p.y)), p.ab), p.size
            )
            for p in hints.points
        ]
        self.canvas.set_marks(marks, self.doc.selected, self.doc.group)
        self.palette.set_hints(hints.palette, hints.saturation)
        interim = self.doc.interim
        self._request_render(interim)
        if interim:  # a drag: the picker follows at its own pace, the network comes first
            if not self.picker_timer.isActive():
                self.picker_timer.start()
        else:
            self.picker_timer.stop()
            self._update_picker()
            self._update_enabled()  # Select All follows the number of points
        if self.doc.dirty:
            self.autosave_timer.start()

    def _on_selection_changed(self, index: int) -> None:
        for view in self.canvas.views:
            view.selected, view.group = index, self.doc.group
        self.canvas.update_views()
        self._update_picker()
        self._update_enabled()

    def _update_picker(self) -> None:
        p = self.doc.selected_point
        if p is None:
            self.picker.set_point(None, None, None, self.prefs.point_size)
            self.picker.set_suggestions([])
            return
        self.picker.set_point(
            self.doc.selected, self.lightness_at(p.x, p.y), p.ab, p.size, len(self.doc.group)
        )
        self._update_suggestions()

    def _update_suggestions(self) -> None:
        """Suggestions for the selected point come from a prediction without that point (in
        the worker's idle time); until they arrive, from the prediction on screen."""
        p, i = self.doc.selected_point, self.doc.selected
        if p is None or self._prediction is None:
            return
        others = self.doc.hints.with_points(q for j, q in enumerate(self.doc.points) if j != i)
        key = (self._token, others, p.x, p.y)
        if key == self._suggest_key:
            if self._suggested is not None:
                self.picker.set_suggestions(self._suggested)
            return
        self._suggest_key, self._suggested = key, None
        self.picker.set_suggestions(suggestions_at(self._prediction, p.x, p.y, MAX_SUGGESTIONS))
        self.worker.request_suggestions(
            SuggestRequest(self._token, key, others, p.x, p.y, MAX_SUGGESTIONS)
        )

    def _on_suggestions(self, key: object, suggestions: list[tuple[AB, float]]) -> None:
        if key != self._suggest_key:
            return  # asked for another point, place or set of hints meanwhile
        self._suggested = suggestions
        if self.doc.selected_point is not None:
            self.picker.set_suggestions(suggestions)

    def _on_dirty_changed(self, dirty: bool) -> None:
        self._update_title()
        if not dirty:
            self.autosave_timer.stop()
            self.recovery.clear()

    def _update_title(self) -> None:
        name = self.doc.path.name if self.doc.path else "No photo"
        self.setWindowTitle(f"{name}[*] — Huebrush")
        self.setWindowModified(self.doc.dirty)

    def _update_enabled(self) -> None:
        has = self.doc.image is not None
        for act in (
            self.act_save, self.act_save_as, self.act_export, self.act_open_session,
            self.act_reset, self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_actual,
            self.act_copy_hints, self.act_paste_hints,
        ):  # fmt: skip
            act.setEnabled(has)
        for act in (self.act_remove, self.act_grey):
            act.setEnabled(self.doc.selected >= 0)
        for act in (self.act_bigger, self.act_smaller):  # with none selected: the brush
            act.setEnabled(has)
        n = len(self.doc.selection)
        self.act_remove.setText(f"Remove {n} Points" if n > 1 else "Remove Point")
        self.act_select_all.setEnabled(bool(self.doc.points))
        for act in (self.act_next_photo, self.act_prev_photo):
            act.setEnabled(has and not self._is_sample and self.doc.path is not None)
        self.act_export_folder.setEnabled(
            has and not self._is_sample and self.doc.path is not None and not self._batch
        )
        self.act_stop_folder.setEnabled(bool(self._batch) and not self._batch_stopped)
        self.batch_progress.setVisible(bool(self._batch))
        self.batch_stop.setVisible(bool(self._batch))

    def _on_zoom(self, scale: float) -> None:
        self.zoom_label.setText(f"{scale * 100:.0f}%")

    # == rendering ========================================================================
    def _request_render(self, interim: bool = False) -> None:
        if self.doc.image is None or self._photo is None:
            return
        self._generation += 1
        self.worker.request(self._generation, self._token, self.doc.hints, interim)

    def enhancement(self) -> EnhanceSettings:
        """The input enhancement of this session (Image menu; saved with the hints)."""
        return EnhanceSettings.of(self.doc.hints)

    def _keep_rest_chosen(self, on: bool) -> None:
        self.doc.set_keep_rest(on)
        self.statusBar().showMessage(
            "Keep the Rest: points colour their own regions, the rest keeps its automatic colours"
            if on
            else "Points may recolour the whole photo (Keep the Rest off)",
            5000,
        )

    def _enhancement_chosen(self, *_: object) -> None:
        mode = next(m for m, act in self.act_enhance.items() if act.isChecked())
        self.doc.set_enhancement(mode, self.act_enhance_output.isChecked())

    def _sync_enhancement(self) -> None:
        """Menu and worker follow the session's enhancement (a choice, undo, a loaded file)."""
        settings = self.enhancement()
        for mode, act in self.act_enhance.items():
            act.setChecked(mode == settings.mode)
        with QSignalBlocker(self.act_enhance_output):
            self.act_enhance_output.setChecked(settings.enhance_output)
        self.act_enhance_output.setEnabled(settings.active)
        if settings != self._sent_enhancement:
            self._sent_enhancement = settings
            self.worker.set_enhancement(settings)
            if settings.active:
                self.statusBar().showMessage(f"Enhancing {settings.describe()}", 4000)

    @property
    def generation(self) -> int:
        """The newest render request's number."""
        return self._generation

    def _on_result(self, res: RenderResult) -> None:
        if res.token != self._token or res.generation < self.canvas.shown_generation:
            return  # another photo's, or older than what is shown: never step backwards
        first = res.generation != self.canvas.shown_generation
        self._worker_deaths = 0
        self._prediction = res.prediction
        self.canvas.set_result(res.image, res.generation)
        self.last_result_refined = res.refined
        if first:  # the edit's first visible answer is the latency that matters
            self.last_latency_ms = res.latency_ms
            self._update_suggestions()
            if res.draft:
                self.latency_label.setText(f"Draft in {res.latency_ms:.0f} ms")
            else:
                self.latency_label.setText(f"Updated in {res.latency_ms:.0f} ms")
        elif res.finished is not None:  # a pause's follow-up: says what changed, and what it took
            refined = res.finished is Finish.REFINE
            what = "Refined to the points" if refined else "Six views averaged"
            self.latency_label.setText(f"{what} in {res.latency_ms / 1000:.1f} s")
        elif self.last_result_draft and not res.draft:  # the full-size answer to a draft
            self.latency_label.setText(
                f"Updated in {res.latency_ms:.0f} ms (draft {self.last_latency_ms:.0f} ms)"
            )
            self._update_suggestions()
        self.last_result_draft = res.draft is not None

    def _on_notice(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def _on_device(self, name: str) -> None:
        self.device_label.setText(f"Device: {name}")

    def _on_render_failed(self, message: str) -> None:
        self.statusBar().showMessage(f"Update failed: {message}", 15000)

    def _on_worker_died(self, message: str) -> None:
        """The network thread was killed mid-job: start it again, unless it keeps dying."""
        self._worker_deaths += 1
        self.worker.wait()  # died is its last signal; let run() return before starting again
        if self._worker_deaths > MAX_WORKER_RESTARTS:
            self.busy.hide()
            self._error(
                "The colouring engine keeps failing",
                f"{message}\n\nYour colour hints are kept and autosaved, but nothing will be "
                "coloured any more in this session. Save the hints and restart Huebrush.",
            )
            return
        self.worker.start()
        self.statusBar().showMessage(
            f"The colouring engine stopped unexpectedly ({message}) and was restarted; "
            "your hints are unchanged.",
            15000,
        )
        self._request_render()

    # == autosave and recovery ============================================================
    def autosave(self) -> None:
        """Mirror unsaved hints into the recovery file (or remove it when all is saved)."""
        if self.doc.dirty and self.doc.path is not None:
            try:
                self.recovery.write(self.doc.path, self.doc.hints)
            except OSError as err:
                self.statusBar().showMessage(f"Autosave failed: {err}", 8000)
        else:
            self.recovery.clear()

    def offer_recovery(self) -> bool:
        """After a crash: offer to restore the unsaved hints. True if a photo is being restored."""
        found = self.recovery.read()
        if found is None:
            self.recovery.clear()
            return False
        if not found.image_path.is_file():
            self.recovery.clear()
            return False
        answer = QMessageBox.question(
            self,
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

    # == settings, recent files and colours ===============================================
    def _remember_file(self, path: Path) -> None:
        files = [str(Path(path).resolve())]
        files += [f for f in self.recent_files() if f != files[0]]
        self.settings.setValue("recent_files", files[:MAX_RECENT_FILES])

    def recent_files(self) -> list[str]:
        """Recently opened photos, newest first."""
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in value or []]

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            act = self.recent_menu.addAction(Path(f).name, lambda f=f: self.open_photo(f))
            act.setToolTip(f)
            act.setEnabled(Path(f).is_file())
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)

    def _load_recent_colours(self) -> list[AB]:
        out: list[AB] = []
        value = self.settings.value("recent_colours", [])
        for item in [value] if isinstance(value, str) else value or []:
            try:
                a, b = (float(v) for v in str(item).split(","))
            except ValueError:
                continue
            out.append((a, b))
        return out[:MAX_RECENT_COLOURS]

    def _remember_colour(self, ab: AB, owner: object = None) -> None:
        """Put a chosen colour first in Recent. Colours chosen one after another for the
        same points (`owner`: fine-tuning with the arrow keys, clicks on the square) keep
        one entry, the last, instead of filling the row with near-copies."""
        recent = self.recent_colours
        if owner is not None and owner == self._recent_owner and recent:
            recent = recent[1:]
        self._recent_owner = owner
        near = [c for c in recent if np.hypot(c[0] - ab[0], c[1] - ab[1]) > 2.0]
        self.recent_colours = [ab, *near][:MAX_RECENT_COLOURS]
        self.settings.setValue(
            "recent_colours", [f"{a:.2f},{b:.2f}" for a, b in self.recent_colours]
        )
        self.picker.set_recent(self.recent_colours)

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
        self.worker.drafts = prefs.drafts
        finish_changed = prefs.finish != self.worker.finish
        self.worker.finish = prefs.finish
        if changed:
            self.worker.reconfigure(prefs.device, prefs.working_size)
            if self._photo is not None and self.doc.image is not None:
                img = self.doc.image
                _, ww = working_shape(img.height, img.width, prefs.working_size)
                for view in self.canvas.views:
                    view.patch_scale = img.width / ww
            self._request_render()
        elif finish_changed and self.doc.image is not None:
            self._request_render()  # finish the colours the new way now, or show one pass

    # == dialogs ==========================================================================
    def _error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def _maybe_save(self, doing: str) -> bool:
        """Ask about unsaved hints; False when the user cancels."""
        if not self.doc.dirty:
            return True
        if self.prefs.save_without_asking and self.doc.path is not None and not self._is_sample:
            return self.save_session()  # beside the photo, or the session file it came from
        name = self.doc.path.name if self.doc.path else "this photo"
        answer = QMessageBox.question(
            self,
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

    def show_about(self) -> None:
        """Version, device and the first lines of the model card."""
        card = model_card_excerpt()
        text = (
            f"<h3>Huebrush {__version__}</h3>"
            "<p>Colour black-and-white photos: place colour points, pick a palette, and a "
            "neural network fills in the rest.</p>"
            f"<p>{self.device_label.text()}</p>"
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
        data = event.mimeData()
        if self._dropped_file(data.urls()) is not None or data.hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        path = self._dropped_file(data.urls())
        if path is not None:
            event.acceptProposedAction()
            if path.name.endswith(".json"):
                self.open_session(path)
            else:
                self.open_photo(path)
        elif data.hasImage():  # an image dragged out of a browser: its pixels, no file
            image = data.imageData()
            if isinstance(image, QImage) and not image.isNull():
                event.acceptProposedAction()
                self.open_image_data(image)

    def _dropped_file(self, urls: list[QUrl]) -> Path | None:
        for url in urls:
            if url.isLocalFile():
                p = Path(url.toLocalFile())
                if p.suffix.lower() in SUPPORTED_SUFFIXES or p.is_dir():
                    return p
                if p.name.endswith(".json") and self.doc.image is not None:
                    return p
        return None

    def changeEvent(self, event: QEvent) -> None:
        # The window manager can leave full screen too; the menu's tick follows.
        act = getattr(self, "act_full_screen", None)  # not yet, while the window is built
        if event.type() == QEvent.Type.WindowStateChange and act is not None:
            with QSignalBlocker(act):
                act.setChecked(self.isFullScreen())
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
        if self._batch:
            answer = QMessageBox.question(
                self,
                "Folder export under way",
                f"{len(self._batch)} photos of the folder are not exported yet. Quit anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        if not self._maybe_save("quitting"):
            event.ignore()
            return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the worker and remove the recovery file: this is a clean exit."""
        self.autosave_timer.stop()
        self.exporter.cancel()  # the photo under way is finished: no half-written file
        self.exporter.wait()
        if self.worker.isRunning():
            self.worker.stop()
        self.recovery.clear()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        mode = (
            "side" if self.act_side.isChecked() else "split" if self.act_split.isChecked() else ""
        )
        self.settings.setValue("view_mode", mode)
        self.settings.setValue("suggest_new", self.act_suggest.isChecked())
