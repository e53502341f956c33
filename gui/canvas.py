"""The canvas: the grey original and the colour result side by side, or the result alone
with a before/after split, sharing one zoom.

The canvas only draws and reports what the user wants (signals with fractional image
coordinates); the main window's controllers turn those intents into document edits.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QCursor, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QWidget

from gui.imageview import ZOOM_STEP, ImageView, PointMark, ViewTransform


class Canvas(QWidget):
    """The grey original and the colour result side by side, or the result alone."""

    pointAddRequested = Signal(float, float)
    pointMoveRequested = Signal(int, float, float)
    pointMoveFinished = Signal(int, float, float)
    pointSelected = Signal(int)
    pointToggled = Signal(int)
    pointsBoxed = Signal(list)
    pointRemoveRequested = Signal(int)
    colourSampled = Signal(float, float)
    samplingCancelled = Signal()
    strokePainted = Signal(list, bool)
    pointsErased = Signal(list)
    strokeExtended = Signal(float, float)
    paintingCancelled = Signal()
    zoomChanged = Signal(float)  # screen pixels per photo pixel
    resultShown = Signal(int)  # generation of the colour result that was just painted

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transform = ViewTransform(self)
        self.original = ImageView(self.transform, "Original", self)
        self.result = ImageView(self.transform, "Colourised", self)
        self.result.show_inset = True  # one overview is enough, in the view always shown
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.original)
        layout.addWidget(self.result)
        self._pending_generation: int | None = None
        self.shown_generation = 0
        self._split = 0.5
        self._split_on = False
        self._before_toggled = False
        self._before_held = False
        for view in (self.original, self.result):
            view.pointAddRequested.connect(self.pointAddRequested)
            view.pointMoveRequested.connect(self.pointMoveRequested)
            view.pointMoveFinished.connect(self.pointMoveFinished)
            view.pointSelected.connect(self.pointSelected)
            view.pointToggled.connect(self.pointToggled)
            view.pointsBoxed.connect(self.pointsBoxed)
            view.pointRemoveRequested.connect(self.pointRemoveRequested)
            view.colourSampled.connect(self.colourSampled)
            view.samplingCancelled.connect(self.samplingCancelled)
            view.strokePainted.connect(self.strokePainted)
            view.pointsErased.connect(self.pointsErased)
            view.strokeExtended.connect(self.strokeExtended)
            view.paintingCancelled.connect(self.paintingCancelled)
            view.holdBefore.connect(self.hold_before)
        self.result.painted.connect(self._on_result_painted)
        self.transform.changed.connect(lambda: self.zoomChanged.emit(self.zoom()))
        self.set_side_by_side(False)

    @property
    def views(self) -> tuple[ImageView, ImageView]:
        """The original and the result view."""
        return self.original, self.result

    # -- content -------------------------------------------------------------------------
    def set_photo(self, grey: QImage, width: int, height: int, patch_scale: float) -> None:
        """A new photo: the grey preview, the full-resolution size, working-pixel scale."""
        pix = QPixmap.fromImage(grey)
        self.transform.set_image_size(QSize(width, height))
        self.transform.set_fit()  # a new photo starts whole, even at the old one's size
        for view in self.views:
            view.before = pix
            view.patch_scale = patch_scale
        self.original.pixmap = pix
        self.result.pixmap = pix  # until the first colour result arrives
        self._pending_generation = None
        self.update_views()

    def set_result(self, image: QImage, generation: int) -> None:
        """Show a new colour result; `generation` is reported once it is painted."""
        self.result.pixmap = QPixmap.fromImage(image)
        self._pending_generation = generation
        self.result.update()

    def _on_result_painted(self) -> None:
        if self._pending_generation is not None:
            self.shown_generation = self._pending_generation
            self._pending_generation = None
            self.resultShown.emit(self.shown_generation)

    def set_marks(
        self, marks: list[PointMark], selected: int, group: frozenset[int] = frozenset()
    ) -> None:
        """The point swatches to draw, the current point (-1: none) and the others selected."""
        for view in self.views:
            view.set_marks(marks, selected, group)

    def set_sampling(self, on: bool) -> None:
        """The eyedropper: while on, a click on the photo reports the point instead of
        adding or selecting one."""
        for view in self.views:
            view.sampling = on
            view.update_cursor(view.mapFromGlobal(QCursor.pos()).toPointF())

    def set_painting(self, on: bool) -> None:
        """The stroke tool: while on, a drag on the photo paints a line of points (reported
        as its path) instead of panning, a click adds one point, and a right-drag erases
        the points it passes over."""
        for view in self.views:
            view.painting = on
            pos = view.mapFromGlobal(QCursor.pos()).toPointF()
            view.show_brush_at(pos if on and view.rect().contains(pos.toPoint()) else None)
            view.update_cursor(pos)

    def set_keep_rest(self, on: bool) -> None:
        """Ring the current point where its colour gives way to the automatic colours."""
        for view in self.views:
            if view.keep_rest != on:
                view.keep_rest = on
                view.update()

    def set_brush_size(self, size: int) -> None:
        """The patch width new points and strokes get (working pixels), for the outline."""
        for view in self.views:
            view.brush_size = size
            view.update()

    def set_marks_visible(self, visible: bool) -> None:
        """Show or hide the point swatches (to judge the result)."""
        for view in self.views:
            view.marks_visible = visible
        self.update_views()

    def update_views(self) -> None:
        """Repaint both views."""
        for view in self.views:
            view.update()

    # -- modes ---------------------------------------------------------------------------
    def set_side_by_side(self, on: bool) -> None:
        """Original and result next to each other, or the result alone."""
        self.original.setVisible(on)
        self.result.label = "Colourised" if on else ""
        self._apply_split()

    def side_by_side(self) -> bool:
        """True while the original is shown beside the result."""
        return self.original.isVisibleTo(self)

    def set_split_enabled(self, on: bool) -> None:
        """Before/after split line in the result view (only without side-by-side)."""
        self._split_on = on
        self._apply_split()

    def _apply_split(self) -> None:
        if self.result.split is not None:
            self._split = self.result.split  # keep where the user left the line
        on = self._split_on and not self.side_by_side()
        self.result.set_split(self._split if on else None)

    def set_before(self, on: bool) -> None:
        """Show the original in place of the result until switched off again."""
        self._before_toggled = on
        self._show_before()

    def hold_before(self, on: bool) -> None:
        """Show the original only while a key is held down."""
        self._before_held = on
        self._show_before()

    def _show_before(self) -> None:
        self.result.show_before = self._before_toggled or self._before_held
        self.result.update()

    # -- zoom ----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.zoomChanged.emit(self.zoom())  # "fit" means a new scale for every size

    def zoom(self) -> float:
        """Current scale of the result view: the screen's device pixels per photo pixel, so
        that 100 % shows the photo's own pixels on a high-density screen too."""
        scale = self.transform.effective(self.result.size())[0]
        return scale * self.result.devicePixelRatioF()

    def zoom_in(self) -> None:
        """One step closer, around the middle of the view."""
        self.result.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        """One step further out, around the middle of the view."""
        self.result.zoom_by(1 / ZOOM_STEP)

    def zoom_fit(self) -> None:
        """The whole photo in view."""
        self.transform.set_fit()

    def zoom_actual(self) -> None:
        """100 %: one photo pixel per device pixel of the screen, keeping the centre."""
        _, center = self.transform.effective(self.result.size())
        self.transform.set_zoom(1.0 / self.result.devicePixelRatioF(), center)
