"""The window's commands: every QAction with its text, keys and tip, and where each one
stands in the menus and the toolbar.

Only what a command looks like lives here; the controllers that carry the commands out
connect to them (`connect_actions`), and the window says when each one is enabled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from gui.resources import icon

Keys = QKeySequence | QKeySequence.StandardKey | str
K = QKeySequence.StandardKey
ENHANCE_CHOICES = (
    ("none", "&No Enhancement", "The network sees the photo's own lightness"),
    (
        "stretch",
        "Contrast &Stretch",
        "Stretch the 1st..99th percentile of lightness to the full range before colouring "
        "(helps faded scans)",
    ),
    ("equalize", "Histogram &Equalisation", "Equalise the lightness histogram before colouring"),
)


def connect_actions(slots: Mapping[QAction, Callable[..., object]]) -> None:
    """Run each slot when its command is chosen; a checkable one passes its new state."""
    for act, slot in slots.items():
        (act.toggled if act.isCheckable() else act.triggered).connect(slot)


class Actions:
    """Every command of the main window, built once and added to it (so that its shortcuts
    work even while the toolbar is hidden)."""

    def __init__(self, window: QMainWindow, undo_stack: QUndoStack) -> None:
        self._window = window
        a = self._make
        self.open = a("&Open Photo…", K.Open, "Open a black-and-white photo", "open")
        self.open_folder = a(
            "Open &Folder…", (), "Open the first photo of a folder, to go through it with Page Down"
        )
        self.open_reference = a(
            "Open &Reference Photo…",
            (),
            "Show a colour photo beside the work to take point colours from",
        )
        self.paste_photo = a(
            "&Paste Photo",
            K.Paste,
            "Open the image on the clipboard (copied from a browser, a scanner program or a "
            "file manager)",
        )
        self.next_photo = a(
            "&Next Photo in Folder",
            "PgDown",
            "Open the next photo of this photo's folder (by name, 2 before 10)",
        )
        self.prev_photo = a(
            "Pre&vious Photo in Folder", "PgUp", "Open the previous photo of this photo's folder"
        )
        self.open_session = a(
            "Open &Session…", "Ctrl+Shift+O", "Load colour hints from a hint file"
        )
        self.save = a("&Save Session", K.Save, "Save the colour hints beside the photo", "save")
        self.save_as = a("Save Session &As…", K.SaveAs)
        self.export = a(
            "&Export Colour Photo…",
            "Ctrl+E",
            "Save the colourised photo at full resolution",
            "export",
        )
        self.export_folder = a(
            "Export &Folder…",
            "Ctrl+Shift+E",
            "Colour every photo of this photo's folder with its saved hints (automatically "
            "where it has none) and save them all at full resolution",
        )
        self.stop_folder = a("S&top Folder Export", (), "Export no more of the folder")
        self.stop_folder.setEnabled(False)
        # Ctrl+Q where the platform binds no standard Quit key (e.g. Windows).
        self.quit = a("&Quit", K.Quit, fallback="Ctrl+Q")

        self.undo = undo_stack.createUndoAction(window, "&Undo")
        self.undo.setShortcuts([QKeySequence(K.Undo)])
        self.undo.setIcon(icon("undo"))
        self.redo = undo_stack.createRedoAction(window, "&Redo")
        self.redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.redo.setIcon(icon("redo"))
        window.addActions([self.undo, self.redo])
        self.remove = a("Remove Point", ("Delete", "Backspace"), "Remove the selected points")
        self.bigger = a("Bigger Point", "]")
        self.smaller = a("Smaller Point", "[")
        self.sample = a(
            "Pick Colour from Photo",
            "I",
            "Click the photo to give the selected points the colour shown there (also Alt+click)",
            "eyedropper",
            checkable=True,
        )
        self.paint = a(
            "Paint Points",
            "P",
            "Drag on the photo to paint a stroke of points; they stay selected, so one pick in "
            "the picker colours the whole stroke. Right-drag erases points (Esc: back to "
            "clicking and panning)",
            "brush",
            checkable=True,
        )
        self.grey = a(
            "Make Points Grey",
            "G",
            "Give the selected points no colour: a grey point stops a colour running over an edge",
        )
        self.keep_rest = a(
            "Keep the Rest",
            "K",
            "Points colour only their own regions and the automatic colours stay elsewhere "
            "(off: one point may recolour the whole photo); saved with the hints",
            "keep-rest",
            checkable=True,
        )
        # F11 where the platform binds no full-screen key (X11 without a desktop's theme).
        full = tuple(QKeySequence.keyBindings(K.FullScreen)) or ("F11",)
        self.full_screen = a(
            "&Full Screen",
            full,
            "Give the whole screen to the photo and the panels",
            checkable=True,
        )
        self.select_all = a(
            "Select All Points",
            K.SelectAll,
            "Select every point, to move, recolour, resize or remove them together",
        )
        self.suggest = a(
            "New Points Keep the Shown Colour",
            "N",
            "New points start with the colour the photo shows there and change nothing until "
            "you choose their colour (off: they take the last colour you chose, and the "
            "picture follows at once)",
            "suggest",
            checkable=True,
        )
        self.copy_hints = a(
            "&Copy Hints",
            "Ctrl+Shift+C",
            "Copy this photo's points, palette and settings, to paste onto another photo",
        )
        self.paste_hints = a(
            "&Paste Hints",
            "Ctrl+Shift+V",
            "Replace the hints with copied ones (points keep their place in the frame)",
        )
        self.reset = a(
            "&Reset Hints",
            "Ctrl+Shift+Backspace",
            "Remove all points, the palette and the saturation",
            "reset",
        )
        self.prefs = a("&Preferences…", K.Preferences, fallback="Ctrl+,")

        self.zoom_in = a("Zoom &In", (K.ZoomIn, "+", "="), icon_name="zoom-in")
        self.zoom_out = a("Zoom &Out", (K.ZoomOut, "-"), icon_name="zoom-out")
        self.fit = a("&Fit to Window", ("Ctrl+0", "F"), icon_name="zoom-fit")
        self.actual = a("&100%", ("Ctrl+1", "1"), icon_name="zoom-100")
        self.side = a(
            "&Side by Side",
            "D",
            "Original and colour result next to each other",
            "side-by-side",
            checkable=True,
        )
        self.split = a(
            "Before/After &Split",
            "S",
            "A movable line: original on the left, colour on the right",
            "split",
            checkable=True,
        )
        self.view_group = QActionGroup(window)  # side-by-side and split exclude each other
        self.view_group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)
        self.view_group.addAction(self.side)
        self.view_group.addAction(self.split)
        self.before = a(
            "Show &Original",
            "B",
            "Show the original instead of the colour result (hold \\ for a quick look)",
            "before",
            checkable=True,
        )
        self.points = a(
            "Show &Points", "H", "Show or hide the colour points", "points", checkable=True
        )
        self.points.setChecked(True)
        # Input enhancement (off by default): only the network sees the enhanced lightness
        # unless the user also asks for it in the result.
        self.enhance_group = QActionGroup(window)
        self.enhance: dict[str, QAction] = {}
        for mode, text, tip in ENHANCE_CHOICES:
            self.enhance[mode] = a(text, (), tip, checkable=True)
            self.enhance_group.addAction(self.enhance[mode])
        self.enhance["none"].setChecked(True)
        self.enhance_output = a(
            "Show and Export Enhanced &Lightness",
            (),
            "Use the enhanced lightness in the result too (off: the photo's own tones are kept)",
            checkable=True,
        )
        self.enhance_output.setEnabled(False)
        self.help = a("Huebrush &Help", K.HelpContents)
        self.about = a("&About Huebrush")
        self.recent_menu = QMenu("Open &Recent", window)

    def _make(
        self,
        text: str,
        keys: Keys | Sequence[Keys] = (),
        tip: str = "",
        icon_name: str = "",
        checkable: bool = False,
        fallback: str = "",
    ) -> QAction:
        """A command; `fallback`: its key where the platform binds none to the standard one."""
        act = QAction(text, self._window)
        if icon_name:
            act.setIcon(icon(icon_name))
        keys = (keys,) if isinstance(keys, QKeySequence | QKeySequence.StandardKey | str) else keys
        act.setShortcuts([QKeySequence(k) for k in keys])
        if fallback and act.shortcut().isEmpty():
            act.setShortcut(QKeySequence(fallback))
        act.setCheckable(checkable)
        keys_text = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = tip or text.replace("…", "").replace("&", "")
        act.setToolTip(f"{tip} ({keys_text})" if keys_text else tip)
        act.setStatusTip(tip)
        self._window.addAction(act)
        return act

    def fill_menus(self, panels: Sequence[QAction]) -> None:
        """The menu bar; `panels`: the View menu's switches of the docked panels."""
        menus: tuple[tuple[str, Sequence[QAction | QMenu | None]], ...] = (
            (
                "&File",
                (
                    self.open, self.recent_menu, self.open_folder, self.paste_photo,
                    self.open_reference, self.next_photo, self.prev_photo, None,
                    self.open_session, self.save, self.save_as, None,
                    self.export, self.export_folder, self.stop_folder, None,
                    self.quit,
                ),
            ),
            (
                "&Edit",
                (
                    self.undo, self.redo, None,
                    self.select_all, self.remove, self.bigger, self.smaller,
                    self.paint, self.sample, self.grey, self.suggest, self.keep_rest, None,
                    self.copy_hints, self.paste_hints, self.reset, None,
                    self.prefs,
                ),
            ),
            (
                "&View",
                (
                    self.zoom_in, self.zoom_out, self.fit, self.actual, None,
                    self.side, self.split, self.before, self.points, None,
                    *panels, None,
                    self.full_screen,
                ),
            ),
            ("&Image", (self._enhance_menu(),)),
            ("&Help", (self.help, self.about)),
        )  # fmt: skip
        bar = self._window.menuBar()
        for title, entries in menus:
            _fill(bar.addMenu(title), entries)

    def _enhance_menu(self) -> QMenu:
        menu = QMenu("&Enhance Lightness for the Network", self._window)
        _fill(menu, [*self.enhance.values(), None, self.enhance_output])
        return menu

    def fill_toolbar(self) -> None:
        """The one toolbar, fixed at the top."""
        tb = self._window.addToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        _fill(
            tb,
            (
                self.open, self.save, self.export, None,
                self.undo, self.redo, None,
                self.zoom_out, self.zoom_in, self.fit, self.actual, None,
                self.side, self.split, self.before, self.points, None,
                self.paint, self.suggest, self.keep_rest, self.reset,
            ),
        )  # fmt: skip

    def enable(
        self, *, photo: bool, selected: int, points: int, folder: bool, batch: bool, stopping: bool
    ) -> None:
        """Enable what makes sense now. photo: one is open; selected: how many points are;
        points: how many there are; folder: the photo has a folder of its own to go through;
        batch: a folder export runs; stopping: it was asked to stop."""
        rules: tuple[tuple[bool, Sequence[QAction]], ...] = (
            (
                photo,
                (
                    self.save, self.save_as, self.export, self.open_session, self.reset,
                    self.zoom_in, self.zoom_out, self.fit, self.actual,
                    self.copy_hints, self.paste_hints,
                    self.bigger, self.smaller,  # with none selected: the brush
                ),
            ),
            (selected > 0, (self.remove, self.grey)),
            (points > 0, (self.select_all,)),
            (photo and folder, (self.next_photo, self.prev_photo)),
            (photo and folder and not batch, (self.export_folder,)),
            (batch and not stopping, (self.stop_folder,)),
        )  # fmt: skip
        for on, acts in rules:
            for act in acts:
                act.setEnabled(on)
        self.remove.setText(f"Remove {selected} Points" if selected > 1 else "Remove Point")


def _fill(target: QMenu | QToolBar, entries: Sequence[QAction | QMenu | None]) -> None:
    """Add actions, submenus (to a menu) and, for None, separators in order."""
    for entry in entries:
        if entry is None:
            target.addSeparator()
        elif isinstance(entry, QMenu):
            assert isinstance(target, QMenu)
            target.addMenu(entry)
        else:
            target.addAction(entry)
