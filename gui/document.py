"""The editing session: one photo, its hints, the selection and the undo history.

Widgets never change hints themselves; they report intents, and the main window's
controllers (gui.editing, gui.files) call the methods here. Every hint edit is a
QUndoCommand that swaps whole (frozen) Hints values, so undo and redo are exact and the
network always sees a consistent snapshot; Keep the Rest, a setting, is the one change
outside the history.

A point placed with the colour shown there (a click, a painted stroke) is *unchosen* until
the user gives it a colour: it is drawn, selected, moved and removed like any other, but the
network does not get it (`network_hints`), so a click alone changes nothing on screen. Which
points are unchosen is part of each undo step, so undoing a colour choice makes its points
unchosen again. A hint file knows nothing of it: saved, such a point is an ordinary point in
the colour that was shown there, and it comes back as one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from model.hints.document import DEFAULT_SIZE, Hints, PaletteColor, Point
from model.io.pixels import LoadedImage

AB = tuple[float, float]
# (the current point, the others selected with it): the current one is the picker's.
Selection = tuple[int, frozenset[int]]
_NONE: Selection = (-1, frozenset())
_MERGE_ID = 0x4855  # one id for all mergeable edits; the merge key decides what merges
# Given a point's new place, the colour shown there (None: nothing shown yet).
ShownColour = Callable[[float, float], AB | None]


def _ab(ab: AB) -> AB:
    """ab at the precision of the hint file, so saving and reopening gives equal hints."""
    return round(float(ab[0]), 3), round(float(ab[1]), 3)


class HintsEdit(QUndoCommand):
    """Replace the document's hints (and selection, and which points are unchosen) by
    `after`; undo restores `before`.

    Edits with the same non-None `merge_key` fold into one undo step while the earlier one
    is still open (a drag in progress); an edit with `final=True` closes the step.
    """

    def __init__(
        self,
        doc: Document,
        text: str,
        after: Hints,
        select_after: int | Selection | None = None,
        merge_key: tuple[object, ...] | None = None,
        final: bool = True,
        unchosen_after: frozenset[int] | None = None,
    ) -> None:
        super().__init__(text)
        self._doc = doc
        self.before = doc.hints
        self.after = after
        self.unchosen_before = doc.unchosen
        self.unchosen_after = doc.unchosen if unchosen_after is None else unchosen_after
        self.select_before = doc.selection_state
        if select_after is None:
            select_after = doc.selection_state
        elif isinstance(select_after, int):
            select_after = (select_after, frozenset())
        self.select_after: Selection = select_after
        self.merge_key = merge_key
        self.closed = final

    def redo(self) -> None:
        self._doc._apply(self.after, self.select_after, self.unchosen_after)

    def undo(self) -> None:
        self._doc._apply(self.before, self.select_before, self.unchosen_before)

    def id(self) -> int:
        return _MERGE_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, HintsEdit) or self.closed or other.merge_key != self.merge_key:
            return False
        self.after = other.after
        self.select_after = other.select_after
        self.unchosen_after = other.unchosen_after
        self.closed = other.closed
        self.setText(other.text())  # a stroke's step names its final count of points
        return True


class Document(QObject):
    """Owns the photo, the hints, the selected points and the undo stack; emits changes.

    One selected point is the current one (the picker shows it); others may be selected with
    it, and then moves, colours, sizes and removals apply to all of them.
    """

    imageChanged = Signal()
    hintsChanged = Signal()
    selectionChanged = Signal(int)  # index of the current point, -1 for none
    dragEnded = Signal()  # the last step of a drag, whether or not it changed the hints
    dirtyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.image: LoadedImage | None = None
        self.path: Path | None = None
        self.session_path: Path | None = None
        self._hints = Hints()
        self._selected = -1
        self._group: frozenset[int] = frozenset()  # selected with the current point
        self._unchosen: frozenset[int] = frozenset()  # points whose colour was not chosen yet
        self._interim = False
        self._stroke_base: tuple[Point, ...] | None = None  # the points before a stroke being drawn
        self.undo_stack = QUndoStack(self)
        # A bound slot (not a lambda) is disconnected before the stack dies with us.
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)

    def _on_clean_changed(self, clean: bool) -> None:
        self.dirtyChanged.emit(not clean)

    # -- state ---------------------------------------------------------------------------
    @property
    def hints(self) -> Hints:
        """The current hints (an immutable snapshot)."""
        return self._hints

    @property
    def points(self) -> tuple[Point, ...]:
        """The local colour points."""
        return self._hints.points

    @property
    def unchosen(self) -> frozenset[int]:
        """Indices of the points placed with the colour shown there whose colour the user
        has not chosen yet; the network does not get them."""
        return self._unchosen

    def network_hints(self, leave_out: int = -1) -> Hints:
        """The hints the network gets: all but the unchosen points (and point `leave_out`,
        for suggestions made without the point's own colour)."""
        if not self._unchosen and not 0 <= leave_out < len(self.points):
            return self._hints
        gone = self._unchosen | {leave_out}
        return self._hints.with_points(p for i, p in enumerate(self.points) if i not in gone)

    @property
    def selected(self) -> int:
        """Index of the current point (the picker's), -1 for none."""
        return self._selected

    @property
    def selection(self) -> tuple[int, ...]:
        """Indices of all selected points, in order (the current one among them)."""
        return tuple(sorted(self._group | {self._selected})) if self._selected >= 0 else ()

    @property
    def group(self) -> frozenset[int]:
        """The points selected besides the current one."""
        return self._group

    @property
    def selection_state(self) -> Selection:
        """(current point, the others selected), as undo restores it."""
        return self._selected, self._group

    @property
    def selected_point(self) -> Point | None:
        """The selected point, or None."""
        return self.points[self._selected] if 0 <= self._selected < len(self.points) else None

    @property
    def dirty(self) -> bool:
        """True when the hints differ from the last saved (or opened) state."""
        return not self.undo_stack.isClean()

    def _apply(self, hints: Hints, state: Selection, unchosen: frozenset[int]) -> None:
        n = len(hints.points)
        unchosen = frozenset(i for i in unchosen if 0 <= i < n)
        changed = hints != self._hints or unchosen != self._unchosen
        old = self.selection_state
        # Selection first, so hintsChanged listeners never see an index into the old points.
        self._hints, self._unchosen = hints, unchosen
        self._set_selection(state, n)
        if changed:
            self.hintsChanged.emit()
        if self.selection_state != old:
            self.selectionChanged.emit(self._selected)

    def _set_selection(self, state: Selection, n: int) -> None:
        current, group = state
        self._selected = current if 0 <= current < n else -1
        self._group = (
            frozenset(i for i in group if 0 <= i < n and i != self._selected)
            if self._selected >= 0
            else frozenset()
        )

    def _select(self, state: Selection) -> None:
        old = self.selection_state
        self._set_selection(state, len(self.points))
        if self.selection_state != old:
            self.selectionChanged.emit(self._selected)

    def select(self, index: int) -> None:
        """Select point `index` alone (-1 or out of range clears the selection)."""
        self._select((index, frozenset()))

    def toggle_selected(self, index: int) -> None:
        """Add point `index` to the selection as the current point, or take it out."""
        if not 0 <= index < len(self.points):
            return
        sel = set(self.selection)
        if index in sel:
            sel.discard(index)
            current = self._selected if self._selected != index else max(sel, default=-1)
        else:
            sel.add(index)
            current = index
        self._select((current, frozenset(sel)))

    def select_more(self, indices: list[int] | tuple[int, ...]) -> None:
        """Add points to the selection (a box drawn round them); with none selected before,
        the last of them becomes the current point."""
        new = [i for i in indices if 0 <= i < len(self.points)]
        if new:
            current = self._selected if self._selected >= 0 else new[-1]
            self._select((current, frozenset(self.selection) | frozenset(new)))

    def select_all(self) -> None:
        """Select every point (the current one stays current, else the last)."""
        if self.points:
            current = self._selected if self._selected >= 0 else len(self.points) - 1
            self._select((current, frozenset(range(len(self.points)))))

    # -- photo and session ---------------------------------------------------------------
    def set_image(self, image: LoadedImage, path: Path | None, start: Hints | None = None) -> None:
        """Start a new session on a photo: `start` (no hints; settings such as Keep the Rest
        may be on), empty history, clean."""
        self.image = image
        self.path = Path(path) if path else None
        self.session_path = None
        self.undo_stack.clear()
        self._hints = start or Hints()
        self._selected, self._group = _NONE
        self._unchosen = frozenset()
        self.imageChanged.emit()
        self.hintsChanged.emit()
        self.selectionChanged.emit(-1)
        self.undo_stack.setClean()

    def load_hints(self, hints: Hints, text: str = "Open session", clean: bool = True) -> None:
        """Replace all hints (undoable); `clean` marks the result as saved. Every point of
        them is an ordinary one, whatever colour it has."""
        if hints != self._hints or self._unchosen:
            self._push(text, hints, -1, unchosen_after=frozenset())
        if clean:
            self.undo_stack.setClean()

    def mark_saved(self, path: Path) -> None:
        """The hints were written to `path`; this state is now clean."""
        self.session_path = Path(path)
        self.undo_stack.setClean()

    def mark_kept(self) -> None:
        """The hints as they are were written elsewhere (beside an export): closing loses
        nothing, though Save still writes the session's own file."""
        self.undo_stack.setClean()

    def _push(
        self,
        text: str,
        after: Hints,
        select_after: int | Selection | None = None,
        merge_key: tuple[object, ...] | None = None,
        final: bool = True,
        unchosen_after: frozenset[int] | None = None,
    ) -> None:
        self._interim = not final
        try:
            self.undo_stack.push(
                HintsEdit(self, text, after, select_after, merge_key, final, unchosen_after)
            )
        finally:
            self._interim = False
        if final and merge_key is not None:
            self.dragEnded.emit()

    @property
    def interim(self) -> bool:
        """True while hintsChanged reports one step of a drag (more steps will follow)."""
        return self._interim

    # -- points --------------------------------------------------------------------------
    def add_point(
        self, x: float, y: float, ab: AB, size: int = DEFAULT_SIZE, chosen: bool = True
    ) -> int:
        """Add a point and select it; returns its index. Not `chosen`: `ab` is only the
        colour shown there, and the point stays out of the network's hints until it gets
        a colour."""
        p = Point(0.0, 0.0, _ab(ab), size).moved(x, y).resized(size)
        pts = (*self.points, p)
        i = len(pts) - 1
        unchosen = self._unchosen if chosen else self._unchosen | {i}
        self._push("Add point", self._hints.with_points(pts), i, unchosen_after=unchosen)
        return i

    def add_points(
        self,
        placed: list[tuple[float, float, AB]],
        size: int = DEFAULT_SIZE,
        final: bool = True,
        chosen: bool = True,
    ) -> tuple[int, ...]:
        """Add points (x, y, ab) as one undo step, all selected (a painted stroke: one pick
        in the picker then colours the whole stroke); returns their indices. A stroke still
        being drawn comes with `final=False` and more points each time: they replace the
        previous call's, and the call with `final=True` closes the undo step. Not `chosen`:
        as for add_point."""
        if not placed:
            return ()
        base = self._stroke_base
        if base is None or self.points[: len(base)] != base:
            base = self.points  # a new stroke (or the old one's base was edited away)
        new = [Point(0.0, 0.0, _ab(ab), size).moved(x, y).resized(size) for x, y, ab in placed]
        pts = (*base, *new)
        added = tuple(range(len(base), len(pts)))
        text = "Add point" if len(new) == 1 else f"Paint {len(new)} points"
        self._stroke_base = None if final else base
        select = (added[-1], frozenset(added))
        unchosen = frozenset(i for i in self._unchosen if i < len(base))
        if not chosen:
            unchosen |= frozenset(added)
        key = ("stroke", len(base))
        self._push(text, self._hints.with_points(pts), select, key, final, unchosen)
        return added

    def _replace_points(
        self,
        changed: dict[int, Point],
        text: str,
        merge_key: tuple[object, ...] | None = None,
        final: bool = True,
        chosen: Iterable[int] = (),
    ) -> None:
        pts = list(self.points)
        unchosen = self._unchosen - frozenset(chosen)
        same = all(pts[i] == p for i, p in changed.items()) and unchosen == self._unchosen
        if same and merge_key is None:
            return
        for i, p in changed.items():
            pts[i] = p
        self._push(text, self._hints.with_points(pts), None, merge_key, final, unchosen)

    def _targets(self, index: int) -> tuple[int, ...]:
        """The points an edit of point `index` applies to: the selection if it is in it."""
        sel = self.selection
        return sel if index in sel else (index,)

    @staticmethod
    def _plural(text: str, n: int) -> str:
        return f"{text} point" if n == 1 else f"{text} {n} points"

    def move_point(
        self, index: int, x: float, y: float, final: bool = True, shown: ShownColour | None = None
    ) -> None:
        """Move a point to (x, y), and the others selected with it by as much, as far as
        the photo's edges let all of them go; the moves of one drag (until `final`) are one
        undo step. Unchosen points take the colour `shown` at their new place, so what they
        carry (and a saved file keeps) is still the colour shown where they are."""
        if not 0 <= index < len(self.points):
            return
        targets = self._targets(index)
        pts = self.points
        if len(targets) == 1:
            moved = {index: pts[index].moved(x, y)}
        else:  # the group keeps its shape at the photo's edges
            xs, ys = [pts[i].x for i in targets], [pts[i].y for i in targets]
            dx = min(max(x - pts[index].x, -min(xs)), 1.0 - max(xs))
            dy = min(max(y - pts[index].y, -min(ys)), 1.0 - max(ys))
            moved = {i: pts[i].moved(pts[i].x + dx, pts[i].y + dy) for i in targets}
        if shown is not None:
            for i in moved.keys() & self._unchosen:
                ab = shown(moved[i].x, moved[i].y)
                if ab is not None:
                    moved[i] = moved[i].recoloured(_ab(ab))
        key = ("move", targets)
        self._replace_points(moved, self._plural("Move", len(targets)), key, final)

    def recolour_point(self, index: int, ab: AB, final: bool = True) -> None:
        """Give a point (and the others selected with it) a new colour, chosen: unchosen
        points become ordinary ones, even in the colour they had; a drag on the colour
        plane is one undo step."""
        if 0 <= index < len(self.points):
            targets = self._targets(index)
            new = {i: self.points[i].recoloured(_ab(ab)) for i in targets}
            text = self._plural("Recolour", len(targets))
            self._replace_points(new, text, ("recolour", targets), final, targets)

    def resize_point(self, index: int, size: int) -> None:
        """Change the patch width of a point (and of the others selected with it), clamped
        to the format's range."""
        if 0 <= index < len(self.points):
            targets = self._targets(index)
            new = {i: self.points[i].resized(size) for i in targets}
            self._replace_points(new, self._plural("Resize", len(targets)))

    def grow_selected(self, step: int) -> None:
        """Make every selected point `step` wider (narrower if negative)."""
        sel = self.selection
        new = {i: self.points[i].resized(self.points[i].size + step) for i in sel}
        if new:
            self._replace_points(new, self._plural("Resize", len(sel)))

    def remove_point(self, index: int) -> None:
        """Remove one point; nothing is selected afterwards."""
        self.remove_points((index,), select_after=False)

    def remove_selected(self) -> None:
        """Remove every selected point (one undo step); nothing is selected afterwards."""
        self.remove_points(self.selection)

    def remove_points(
        self, indices: list[int] | tuple[int, ...], select_after: bool = True
    ) -> None:
        """Remove these points (one undo step); selected points that stay, stay selected
        (what is left of a stroke the eraser cut through can still be coloured at once),
        unless not `select_after`."""
        gone = {i for i in indices if 0 <= i < len(self.points)}
        if not gone:
            return
        pts = tuple(p for i, p in enumerate(self.points) if i not in gone)

        def renumbered(kept: Iterable[int]) -> dict[int, int]:
            return {old: old - sum(g < old for g in gone) for old in kept if old not in gone}

        new = renumbered(self.selection) if select_after else {}
        current = new.get(self._selected, max(new.values(), default=-1))
        after = (current, frozenset(new.values()))
        unchosen = frozenset(renumbered(self._unchosen).values())
        text = self._plural("Remove", len(gone))
        self._push(text, self._hints.with_points(pts), after, unchosen_after=unchosen)

    # -- palette and saturation ----------------------------------------------------------
    @property
    def palette(self) -> tuple[PaletteColor, ...]:
        """The global palette colours."""
        return self._hints.palette

    def add_palette_colour(self, ab: AB, weight: float = 1.0) -> None:
        """Append a colour to the palette."""
        pal = (*self.palette, PaletteColor(_ab(ab), float(weight)))
        self._push("Add palette colour", self._hints.with_palette(pal))

    def edit_palette_colour(self, index: int, ab: AB) -> None:
        """Give a palette entry a new colour, keeping its weight."""
        if 0 <= index < len(self.palette):
            pal = list(self.palette)
            pal[index] = PaletteColor(_ab(ab), pal[index].weight)
            self._push("Edit palette colour", self._hints.with_palette(pal))

    def set_palette_weight(self, index: int, weight: float, final: bool = True) -> None:
        """Change a colour's weight; a slider drag is one undo step."""
        if 0 <= index < len(self.palette):
            pal = list(self.palette)
            weight = max(0.0, float(weight))
            if weight == pal[index].weight:
                if final:
                    self.close_open_edit()
                return
            pal[index] = PaletteColor(pal[index].ab, weight)
            self._push(
                "Change palette weight",
                self._hints.with_palette(pal),
                None,
                ("weight", index),
                final,
            )

    def remove_palette_colour(self, index: int) -> None:
        """Remove one palette entry."""
        if 0 <= index < len(self.palette):
            pal = self.palette[:index] + self.palette[index + 1 :]
            self._push("Remove palette colour", self._hints.with_palette(pal))

    def set_palette(
        self, colours: list[PaletteColor] | tuple[PaletteColor, ...], text: str
    ) -> None:
        """Replace the whole palette (e.g. from a reference photo) in one undo step."""
        self._push(
            text, self._hints.with_palette(PaletteColor(_ab(c.ab), c.weight) for c in colours)
        )

    def clear_palette(self) -> None:
        """Remove all palette colours."""
        if self.palette:
            self._push("Clear palette", self._hints.with_palette(()))

    def set_saturation(self, value: float | None, final: bool = True) -> None:
        """Set the global saturation (0..1) or switch it off (None)."""
        value = None if value is None else min(max(float(value), 0.0), 1.0)
        if value != self._hints.saturation:
            self._push(
                "Change saturation", self._hints.with_saturation(value), None, ("sat",), final
            )
        elif final:
            self.close_open_edit()

    def set_enhancement(self, mode: str, output: bool = False) -> None:
        """Show the network an enhanced lightness (one of model.hints.ENHANCE_MODES); part of
        the session, so it is undoable and saved with the hints."""
        after = self._hints.with_enhance(mode, output)
        if after != self._hints:
            self._push("Enhance lightness", after)

    def set_keep_rest(self, on: bool) -> None:
        """Points colour only their own regions (model.hints.anchors). A setting of the
        session, saved with the hints but not an undo step: switched on and off to compare,
        it leaves the redo history alone, and undo and redo keep it as it is."""
        if bool(on) == self._hints.keep_rest:
            return
        for i in range(self.undo_stack.count()):
            edit = self.undo_stack.command(i)
            if isinstance(edit, HintsEdit):
                edit.before = edit.before.with_keep_rest(on)
                edit.after = edit.after.with_keep_rest(on)
        self.undo_stack.resetClean()  # what was saved has it the other way
        self._apply(self._hints.with_keep_rest(on), self.selection_state, self._unchosen)

    def close_open_edit(self) -> None:
        """End a drag whose last step changed nothing, so the next drag is its own undo step."""
        top = self.undo_stack.command(self.undo_stack.index() - 1)
        if isinstance(top, HintsEdit):
            top.closed = True
        self.dragEnded.emit()

    def reset_hints(self) -> None:
        """Remove all points, the palette and the saturation (one undo step)."""
        if not self._hints.empty:  # the enhancement and keep-the-rest are settings, and stay
            kept = Hints().with_enhance(self._hints.enhance, self._hints.enhance_output)
            kept = kept.with_keep_rest(self._hints.keep_rest)
            self._push("Reset hints", kept, -1, unchosen_after=frozenset())
