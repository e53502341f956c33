"""Hint editing: what the canvas, the picker, the palette and the reference panel ask for
becomes an edit of the document, and the document's hints are shown back on them.

The widgets only report intents; every change of the hints goes through gui.document, so
each one is an undo step (or a setting, such as Keep the Rest).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QSignalBlocker, QTimer
from PySide6.QtWidgets import QApplication

from gui.actions import connect_actions
from gui.colours import AB, lab_qcolor, snapped, swatch_lightness
from gui.imageview import PointMark
from gui.loader import LatestLoader
from gui.palette import PhotoPalette, photo_palette
from gui.picker import MAX_SUGGESTIONS
from gui.workitems import SuggestRequest
from model.colour.enhance import EnhanceSettings
from model.hints.document import MAX_SIZE, MIN_SIZE, HintError, Hints
from model.hints.stroke import stroke_positions
from model.inference import shown_at, suggestions_at, working_shape

if TYPE_CHECKING:
    from gui.mainwindow import MainWindow

MAX_RECENT_COLOURS = 10
# During a drag the picker's gamut plane and suggestions are redrawn at most this often: at
# every mouse move they took ~10 ms of the GUI thread, CPU the network needs on a two-core
# machine.
PICKER_DRAG_MS = 100


class HintEditor(QObject):
    """Turns the panels' intents into document edits and shows the hints on them."""

    def __init__(self, win: MainWindow) -> None:
        super().__init__(win)
        self.win = win
        self.doc = win.doc
        self.link = win.render_link
        self.canvas = win.canvas
        self.picker = win.picker
        self.palette_loader = LatestLoader(photo_palette, self)  # Palette > From photo…
        self._palette_token = -1  # the photo a palette from a photo is being read for
        self.picker_timer = QTimer(self)
        self.picker_timer.setSingleShot(True)
        self.picker_timer.setInterval(PICKER_DRAG_MS)
        self.last_colour: AB | None = None
        self._stroke_colours: list[AB] = []  # of the stroke being painted, as given
        self._stroke_end: tuple[float, float] | None = None  # the last stroke's last point
        self._suggest_key: object = None  # what the suggestions shown were asked for
        self._suggested: list[tuple[AB, float]] | None = None
        self._recent_owner: object = None  # the points Recent's first colour was chosen for
        self.recent_colours: list[AB] = self._load_recent_colours()
        self.picker.set_recent(self.recent_colours)
        self._connect()

    def _connect(self) -> None:
        doc, canvas, acts = self.doc, self.canvas, self.win.acts
        canvas.pointAddRequested.connect(self.add_point)
        canvas.pointMoveRequested.connect(
            lambda i, x, y: doc.move_point(i, x, y, False, self.shown_colour)
        )
        canvas.pointMoveFinished.connect(
            lambda i, x, y: doc.move_point(i, x, y, True, self.shown_colour)
        )
        canvas.pointSelected.connect(doc.select)
        canvas.pointToggled.connect(doc.toggle_selected)
        canvas.pointsBoxed.connect(doc.select_more)
        canvas.colourSampled.connect(self.sample_colour)
        canvas.samplingCancelled.connect(lambda: acts.sample.setChecked(False))
        canvas.strokePainted.connect(self.add_stroke)
        canvas.pointsErased.connect(doc.remove_points)
        canvas.strokeExtended.connect(self.extend_stroke)
        canvas.paintingCancelled.connect(lambda: acts.paint.setChecked(False))
        canvas.pointRemoveRequested.connect(doc.remove_point)

        self.picker.colourPicked.connect(self.recolour_selected)
        self.picker.sample_button.setDefaultAction(acts.sample)
        self.picker.sizeRequested.connect(lambda n: doc.resize_point(doc.selected, n))
        self.picker.removeRequested.connect(doc.remove_selected)
        pal = self.win.palette
        pal.addRequested.connect(lambda a, b: doc.add_palette_colour((a, b)))
        pal.editRequested.connect(lambda i, a, b: doc.edit_palette_colour(i, (a, b)))
        pal.weightRequested.connect(doc.set_palette_weight)
        pal.removeRequested.connect(doc.remove_palette_colour)
        pal.clearRequested.connect(doc.clear_palette)
        pal.saturationRequested.connect(doc.set_saturation)
        pal.referenceRequested.connect(self.palette_from_reference)
        self.palette_loader.loaded.connect(self._on_palette_loaded)
        self.palette_loader.failed.connect(self._on_palette_failed)
        self.win.reference.colourSampled.connect(lambda a, b: self.use_colour((a, b)))
        self.link.worker.suggestionsReady.connect(self._on_suggestions)
        self.link.answered.connect(self._update_suggestions)
        self.picker_timer.timeout.connect(self.update_picker)

        connect_actions(
            {
                acts.remove: doc.remove_selected,
                acts.bigger: lambda: self.grow_points(+1),
                acts.smaller: lambda: self.grow_points(-1),
                acts.sample: canvas.set_sampling,
                acts.paint: canvas.set_painting,
                acts.grey: lambda: self.recolour_selected(0.0, 0.0, True),
                acts.keep_rest: self._keep_rest_chosen,
                acts.select_all: doc.select_all,
                acts.copy_hints: self.copy_hints,
                acts.paste_hints: self.paste_hints,
                acts.reset: doc.reset_hints,
                acts.enhance_output: self._enhancement_chosen,
            }
        )
        acts.enhance_group.triggered.connect(self._enhancement_chosen)  # once per choice

    # -- points ----------------------------------------------------------------------------
    def add_point(self, x: float, y: float) -> None:
        """A click on the photo: a point there, in the colour a new point gets; in the
        colour shown there it is unchosen, and the picture stays as it is."""
        if self.doc.image is None:
            return
        size = self.win.prefs.point_size
        chosen = self._new_colour_chosen()
        self.doc.add_point(x, y, self._colour_for_new_point(x, y), size, chosen)

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
        prefs = self.win.prefs
        size = prefs.point_size
        h, w = working_shape(img.height, img.width, prefs.working_size)
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
            [(x, y, ab) for (x, y), ab in zip(where, colours, strict=True)],
            size,
            final,
            self._new_colour_chosen(),
        )
        if final and len(where) > 1:
            self.win.statusBar().showMessage(
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
        win = self.win
        size = min(max(win.prefs.point_size + step, MIN_SIZE), MAX_SIZE)
        win.prefs = dataclasses.replace(win.prefs, point_size=size)
        win.prefs.save(win.settings)
        self.canvas.set_brush_size(size)
        self.update_picker()
        win.statusBar().showMessage(f"New points and strokes: {size} px", 3000)

    def _new_colour_chosen(self) -> bool:
        """New points get a colour the user chose (N off, once a colour was chosen) rather
        than the one shown where they are."""
        return not self.win.acts.suggest.isChecked() and self.last_colour is not None

    def _colour_for_new_point(self, x: float, y: float) -> AB:
        if not self._new_colour_chosen():
            shown = self.shown_colour(x, y)
            if shown is not None:
                return shown
        return snapped(self.lightness_at(x, y), self.last_colour or (0.0, 0.0))

    def shown_colour(self, x: float, y: float) -> AB | None:
        """The colour the result on screen shows at (x, y), in the gamut at its lightness;
        None before the first result."""
        pred = self.link.prediction
        return None if pred is None else snapped(self.lightness_at(x, y), shown_at(pred, x, y))

    def lightness_at(self, x: float, y: float) -> float:
        """Mean lightness of a 3×3 preview neighbourhood around the fractional point."""
        photo = self.link.photo
        if photo is None:
            return 50.0
        L = photo.preview_L
        h, w = L.shape
        r, c = min(int(y * h), h - 1), min(int(x * w), w - 1)
        return float(L[max(r - 1, 0) : r + 2, max(c - 1, 0) : c + 2].mean())

    # -- colours ---------------------------------------------------------------------------
    def recolour_selected(self, a: float, b: float, final: bool) -> None:
        """The selected points get colour (a, b); a final choice goes to Recent."""
        i = self.doc.selected
        if i < 0:
            return
        self.doc.recolour_point(i, (a, b), final)
        if final:
            self.last_colour = (a, b)
            self._remember_colour((a, b), (self.link.token, self.doc.selection))

    def sample_colour(self, x: float, y: float) -> None:
        """The eyedropper: the colour shown at photo point (x, y) goes to the selected points."""
        self.win.acts.sample.setChecked(False)  # one click, as in paint programs
        if self.link.prediction is not None:
            self.use_colour(shown_at(self.link.prediction, x, y))

    def use_colour(self, ab: AB) -> None:
        """A colour taken from the photo or the reference: the selected points get it
        (snapped into the current one's gamut); with none selected it goes to Recent."""
        p = self.doc.selected_point
        status = self.win.statusBar()
        if p is None:
            self._remember_colour(ab)
            status.showMessage(
                f"Colour a {ab[0]:+.0f}, b {ab[1]:+.0f} added to Recent; select a point to "
                "give it that colour",
                6000,
            )
            return
        ab = snapped(self.lightness_at(p.x, p.y), ab)
        self.recolour_selected(*ab, True)
        n = len(self.doc.selection)
        what = "the selected point" if n == 1 else f"the {n} selected points"
        status.showMessage(f"Gave {what} the colour a {ab[0]:+.0f}, b {ab[1]:+.0f}", 4000)

    def _load_recent_colours(self) -> list[AB]:
        out: list[AB] = []
        value = self.win.settings.value("recent_colours", [])
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
        self.win.settings.setValue(
            "recent_colours", [f"{a:.2f},{b:.2f}" for a, b in self.recent_colours]
        )
        self.picker.set_recent(self.recent_colours)

    # -- whole hints -----------------------------------------------------------------------
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
        self.win.statusBar().showMessage(f"Copied {what}; Paste Hints on another photo", 5000)

    def paste_hints(self) -> bool:
        """Replace the hints with the clipboard's hint document (one undo step)."""
        if self.doc.image is None:
            return False
        text = QApplication.clipboard().text()
        try:
            hints = Hints.from_dict(json.loads(text), "clipboard")
        except (ValueError, RecursionError) as err:  # HintError and JSON errors alike
            reason = str(err) if isinstance(err, HintError) else "it holds no hint document"
            self.win.statusBar().showMessage(f"Nothing pasted: {reason}", 8000)
            return False
        self.doc.load_hints(dataclasses.replace(hints, extra={}), "Paste hints", clean=False)
        n = len(hints.points)
        self.win.statusBar().showMessage(f"Pasted {n} point{'s' * (n != 1)}", 5000)
        return True

    def palette_from_reference(self, path: str) -> None:
        """The main colours of a photo become the palette (one undo step); the photo is read
        in the background, as a big scan takes seconds."""
        self._palette_token = self.link.token
        self.palette_loader.load(path)
        self.win.statusBar().showMessage(f"Taking the palette from {Path(path).name}…")

    def _on_palette_loaded(self, path: str, found: PhotoPalette) -> None:
        if self._palette_token != self.link.token:
            return  # asked for the photo that was open before this one
        name = Path(path).name
        if found.chroma < 2.0:
            msg = f"{name} has almost no colour; palette unchanged"
            self.win.statusBar().showMessage(msg, 8000)
            return
        self.doc.set_palette(found.colours, "Palette from reference")
        self.win.statusBar().showMessage(f"Palette taken from {name}", 5000)

    def _on_palette_failed(self, path: str, message: str) -> None:
        self.win.statusBar().clearMessage()
        self.win.error("Cannot open the reference photo", message)

    # -- settings of the session -----------------------------------------------------------
    def enhancement(self) -> EnhanceSettings:
        """The input enhancement of this session (Image menu; saved with the hints)."""
        return EnhanceSettings.of(self.doc.hints)

    def _keep_rest_chosen(self, on: bool) -> None:
        self.doc.set_keep_rest(on)
        self.win.statusBar().showMessage(
            "Keep the Rest: points colour their own regions, the rest keeps its automatic colours"
            if on
            else "Points may recolour the whole photo (Keep the Rest off)",
            5000,
        )

    def _enhancement_chosen(self, *_: object) -> None:
        acts = self.win.acts
        mode = next(m for m, act in acts.enhance.items() if act.isChecked())
        self.doc.set_enhancement(mode, acts.enhance_output.isChecked())

    def sync_enhancement(self) -> None:
        """Menu and worker follow the session's enhancement (a choice, undo, a loaded file)."""
        settings = self.enhancement()
        acts = self.win.acts
        for mode, act in acts.enhance.items():
            act.setChecked(mode == settings.mode)
        with QSignalBlocker(acts.enhance_output):
            acts.enhance_output.setChecked(settings.enhance_output)
        acts.enhance_output.setEnabled(settings.active)
        self.link.send_enhancement(settings)

    # -- document -> panels ----------------------------------------------------------------
    def show_hints(self) -> None:
        """The points, their reach and the palette as the document has them now."""
        hints = self.doc.hints
        with QSignalBlocker(self.win.acts.keep_rest):
            self.win.acts.keep_rest.setChecked(hints.keep_rest)
        self.canvas.set_keep_rest(hints.keep_rest)
        unchosen = self.doc.unchosen
        marks = [
            PointMark(
                p.x,
                p.y,
                lab_qcolor(swatch_lightness(self.lightness_at(p.x, p.y)), p.ab),
                p.size,
                i in unchosen,
            )
            for i, p in enumerate(hints.points)
        ]
        self.canvas.set_marks(marks, self.doc.selected, self.doc.group)
        self.win.palette.set_hints(hints.palette, hints.saturation)

    def follow_picker(self, interim: bool) -> None:
        """The picker shows the edited point: at once, or during a drag at its own pace (the
        network comes first)."""
        if interim:
            if not self.picker_timer.isActive():
                self.picker_timer.start()
        else:
            self.picker_timer.stop()
            self.update_picker()

    def show_selection(self) -> None:
        """The views and the picker follow the selected points."""
        for view in self.canvas.views:
            view.selected, view.group = self.doc.selected, self.doc.group
        self.canvas.update_views()
        self.update_picker()

    def update_picker(self) -> None:
        """The picker shows the current point (or the size new points get)."""
        p = self.doc.selected_point
        if p is None:
            self.picker.set_point(None, None, None, self.win.prefs.point_size)
            self.picker.set_suggestions([])
            return
        doc = self.doc
        self.picker.set_point(
            doc.selected,
            self.lightness_at(p.x, p.y),
            p.ab,
            p.size,
            len(doc.group),
            unchosen=bool(doc.unchosen & set(doc.selection)),
        )
        self._update_suggestions()

    def _update_suggestions(self) -> None:
        """Suggestions for the selected point come from a prediction without that point (in
        the worker's idle time); until they arrive, from the prediction on screen."""
        p, i, link = self.doc.selected_point, self.doc.selected, self.link
        pred = link.prediction
        if p is None or pred is None:
            return
        others = self.doc.network_hints(leave_out=i)
        key = (link.token, others, p.x, p.y)
        if key == self._suggest_key:
            if self._suggested is not None:
                self.picker.set_suggestions(self._suggested)
            return
        self._suggest_key, self._suggested = key, None
        shown = suggestions_at(pred, p.x, p.y, MAX_SUGGESTIONS)
        if others == link.shown_hints and not link.last_result_draft:
            # The network never got this point (unchosen): what is shown is already the
            # prediction without it, so a click costs no pass of the network at all.
            self._suggested = shown
            self.picker.set_suggestions(shown)
            return
        self.picker.set_suggestions(shown)
        self.link.worker.request_suggestions(
            SuggestRequest(self.link.token, key, others, p.x, p.y, MAX_SUGGESTIONS)
        )

    def _on_suggestions(self, key: object, suggestions: list[tuple[AB, float]]) -> None:
        if key != self._suggest_key:
            return  # asked for another point, place or set of hints meanwhile
        self._suggested = suggestions
        if self.doc.selected_point is not None:
            self.picker.set_suggestions(suggestions)
