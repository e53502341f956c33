"""One view of the photo: the grey original or the colour result, with its point swatches.

It maps between the widget and fractions of the photo, and turns mouse and keys into what
the user wants (signals with fractional photo coordinates); a drag in progress is a
gui.drags object, and what is drawn over the photo comes from gui.overlays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from gui.drags import (
    BandSelect,
    Drag,
    EmptyPress,
    Erase,
    InsetPan,
    Pan,
    PointDrag,
    SplitLine,
    Stroke,
)
from gui.overlays import (
    SWATCH_RADIUS,
    paint_brush,
    paint_inset,
    paint_label,
    paint_marks,
    paint_split,
    sampling_cursor,
)
from model.hints.anchors import point_reach
from model.hints.document import DEFAULT_SIZE

MIN_SCALE, MAX_SCALE = 0.02, 32.0
ZOOM_STEP = 1.25
MARK_REACH = 14.0  # beyond the swatch radius: rings, the selection ring and its pen
HIT_SLACK = 4.0  # extra pixels around a swatch that still count as a hit
SPLIT_GRAB = 8.0
# Arrow keys nudge the selected point: screen pixels per press (x10 with Shift).
_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}
BACKGROUND = QColor(43, 43, 46)
INSET_SIDE = 160  # the overview's longer side, in screen pixels, in a roomy view
INSET_MARGIN = 10


@dataclass(frozen=True)
class PointMark:
    """What the canvas needs to draw one point: where, in which colour, how big a patch."""

    x: float  # fraction of the width
    y: float
    colour: QColor
    size: int  # patch width at the network's working resolution
    unchosen: bool = False  # its colour is only the one shown there: the network lacks it


class ViewTransform(QObject):
    """Zoom and centre shared by the views, so they stay in step.

    In fit mode each view fits the photo to itself; otherwise `scale` is screen pixels per
    photo pixel and `center` is the photo point shown at the middle of every view.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fit = True
        self.scale = 1.0
        self.center = QPointF(0.0, 0.0)
        self.image_size = QSize(0, 0)

    def set_image_size(self, size: QSize) -> None:
        """A new photo size (full-resolution pixels); resets to fit."""
        if size != self.image_size:
            self.image_size = QSize(size)
            self.fit = True
            self.center = QPointF(size.width() / 2, size.height() / 2)
            self.changed.emit()

    def fit_scale(self, view: QSize) -> float:
        """Scale at which the whole photo fits a view of this size."""
        w, h = self.image_size.width(), self.image_size.height()
        if w <= 0 or h <= 0 or view.width() <= 0 or view.height() <= 0:
            return 1.0
        return min(view.width() / w, view.height() / h) * 0.98

    def effective(self, view: QSize) -> tuple[float, QPointF]:
        """(scale, centre) for a view of this size."""
        if self.fit:
            w, h = self.image_size.width(), self.image_size.height()
            return self.fit_scale(view), QPointF(w / 2, h / 2)
        return self.scale, self.center

    def set_fit(self) -> None:
        """Fit the photo to each view again."""
        self.fit = True
        self.changed.emit()

    def set_zoom(self, scale: float, center: QPointF) -> None:
        """An explicit scale and centre (photo pixels), kept inside the photo."""
        self.fit = False
        self.scale = min(max(scale, MIN_SCALE), MAX_SCALE)
        w, h = self.image_size.width(), self.image_size.height()
        self.center = QPointF(min(max(center.x(), 0.0), w), min(max(center.y(), 0.0), h))
        self.changed.emit()


class ImageView(QWidget):
    """One view of the photo (grey original or colour result) with the point swatches."""

    pointAddRequested = Signal(float, float)
    pointMoveRequested = Signal(int, float, float)
    pointMoveFinished = Signal(int, float, float)
    pointSelected = Signal(int)
    pointToggled = Signal(int)  # Shift/Ctrl+click: into or out of the selection
    pointsBoxed = Signal(list)  # indices inside a box drawn with Shift/Ctrl
    pointRemoveRequested = Signal(int)
    colourSampled = Signal(float, float)  # the eyedropper (or Alt+click) at a photo point
    samplingCancelled = Signal()
    # The path (photo fractions) a drag in painting mode draws: as it grows, then final.
    strokePainted = Signal(list, bool)
    pointsErased = Signal(list)  # indices a right-drag in painting mode passed over
    strokeExtended = Signal(float, float)  # Shift+click in painting mode: a line to here
    paintingCancelled = Signal()
    painted = Signal()
    holdBefore = Signal(bool)

    def __init__(self, transform: ViewTransform, label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.transform = transform
        self.label = label
        self.pixmap: QPixmap | None = None
        self.before: QPixmap | None = None  # shown left of the split / while held
        self.split: float | None = None  # split position (fraction of width) or None
        self.show_before = False
        self.marks: list[PointMark] = []
        self.selected = -1
        self.group: frozenset[int] = frozenset()  # selected along with `selected`
        self.marks_visible = True
        self.sampling = False  # the next click takes the colour shown there
        self.painting = False  # a drag paints a stroke of points instead of panning
        self.brush_size = DEFAULT_SIZE  # width of new points' patches, in working pixels
        # Keep the Rest: the current point is ringed where the automatic colours take over.
        self.keep_rest = False
        self._hover: QPointF | None = None  # where the brush outline is drawn
        self.show_inset = False  # an overview of the whole photo while zoomed in
        self._thumb: tuple[int, QPixmap] | None = None  # (source cacheKey, scaled)
        self.patch_scale = 1.0  # photo pixels per working-resolution pixel
        self._space = False
        self._drag: Drag | None = None  # the gesture from press to release
        self._nudged = -1  # the point the arrow keys are moving, until they are let go
        transform.changed.connect(self.update)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 120)
        self.setCursor(Qt.CursorShape.CrossCursor)

    # -- coordinates ---------------------------------------------------------------------
    def _map(self) -> tuple[float, QPointF]:
        scale, center = self.transform.effective(self.size())
        origin = QPointF(self.width() / 2, self.height() / 2) - center * scale
        return scale, origin

    def to_widget(self, fx: float, fy: float) -> QPointF:
        """Widget position of the fractional photo point (fx, fy)."""
        scale, origin = self._map()
        s = self.transform.image_size
        return origin + QPointF(fx * s.width(), fy * s.height()) * scale

    def to_fraction(self, pos: QPointF) -> tuple[float, float]:
        """Fractional photo coordinates of a widget position (may lie outside 0..1)."""
        scale, origin = self._map()
        s = self.transform.image_size
        p = (pos - origin) / scale
        return p.x() / max(s.width(), 1), p.y() / max(s.height(), 1)

    def hit(self, pos: QPointF) -> int:
        """Index of the point swatch under pos (topmost), or -1."""
        if not self.marks_visible:
            return -1
        best, best_d = -1, SWATCH_RADIUS + HIT_SLACK
        for i in range(len(self.marks) - 1, -1, -1):
            m = self.marks[i]
            v = self.to_widget(m.x, m.y) - pos
            d = math.hypot(v.x(), v.y())
            if d <= best_d:
                best, best_d = i, d
        return best

    def _split_x(self) -> float | None:
        if self.split is None or self.pixmap is None:
            return None
        return self.to_widget(self.split, 0.0).x()

    # -- painting ------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), BACKGROUND)
        size = self.transform.image_size
        main = self.before if self.show_before and self.before is not None else self.pixmap
        if main is not None and size.width() > 0:
            scale, origin = self._map()
            target = QRectF(origin.x(), origin.y(), size.width() * scale, size.height() * scale)
            # Smooth when shrinking; crisp pixels when the user zooms in to inspect. Counted
            # in device pixels: at 200 % display scaling one photo pixel per point is 2x2.
            smooth = target.width() * self.devicePixelRatioF() < main.width() * 2
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
            p.drawPixmap(target, main, QRectF(main.rect()))
            sx = self._split_x()
            if sx is not None and not self.show_before and self.before is not None:
                p.save()
                p.setClipRect(
                    QRectF(target.left(), target.top(), sx - target.left(), target.height())
                )
                p.drawPixmap(target, self.before, QRectF(self.before.rect()))
                p.restore()
                paint_split(p, sx, target, self.height())
            if self.marks_visible:
                paint_marks(p, self, scale)
            if self.painting and self._hover is not None:
                paint_brush(p, self.brush_rect(self._hover, scale))
        if self._drag is not None:
            self._drag.paint(self, p)
        paint_label(p, self._label_text(), self.font(), QPoint(8, 8))
        if main is not None:
            self._paint_inset(p, main)
        p.end()
        self.painted.emit()

    def _label_text(self) -> str:
        if self.show_before:
            return "Before (original)"
        if self._split_x() is not None:
            return "Before  |  After"
        return self.label

    def inset_rect(self) -> QRectF | None:
        """Where the overview is drawn (bottom right), or None: not zoomed in past the view,
        or the view too small to spare the room."""
        size = self.transform.image_size
        if not self.show_inset or self.pixmap is None or size.isEmpty():
            return None
        side = min(INSET_SIDE, 0.3 * min(self.width(), self.height()))
        if side < 60:
            return None
        scale, origin = self._map()
        shown = QRectF(origin.x(), origin.y(), size.width() * scale, size.height() * scale)
        if QRectF(self.rect()).adjusted(-1, -1, 1, 1).contains(shown):
            return None  # the whole photo is in view
        k = side / max(size.width(), size.height())
        w, h = size.width() * k, size.height() * k
        m = INSET_MARGIN
        return QRectF(self.width() - w - m, self.height() - h - m, w, h)

    def visible_fraction(self) -> QRectF:
        """The part of the photo in view, as fractions of its width and height."""
        x0, y0 = self.to_fraction(QPointF(0, 0))
        x1, y1 = self.to_fraction(QPointF(self.width(), self.height()))
        return QRectF(QPointF(max(x0, 0.0), max(y0, 0.0)), QPointF(min(x1, 1.0), min(y1, 1.0)))

    def _paint_inset(self, p: QPainter, main: QPixmap) -> None:
        r = self.inset_rect()
        if r is None:
            return
        dpr = self.devicePixelRatioF()  # scaled for the screen's pixels, not its points
        key, want = main.cacheKey(), (r.size() * dpr).toSize()
        if self._thumb is None or self._thumb[0] != key or self._thumb[1].size() != want:
            thumb = main.scaled(
                want,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            thumb.setDevicePixelRatio(dpr)
            self._thumb = (key, thumb)
        paint_inset(p, r, self._thumb[1], self.visible_fraction())

    def pan_to_inset(self, pos: QPointF, r: QRectF) -> None:
        """Centre the view on the photo point under pos in the overview."""
        fx = min(max((pos.x() - r.left()) / r.width(), 0.0), 1.0)
        fy = min(max((pos.y() - r.top()) / r.height(), 0.0), 1.0)
        scale, _ = self.transform.effective(self.size())
        s = self.transform.image_size
        self.transform.set_zoom(scale, QPointF(fx * s.width(), fy * s.height()))

    def brush_rect(self, pos: QPointF, scale: float | None = None) -> QRectF:
        """The patch a point placed at pos would give the network, on screen (at least a
        few pixels, so the outline shows even zoomed far out)."""
        if scale is None:
            scale, _ = self._map()
        side = max(self.brush_size * self.patch_scale * scale, 4.0)
        return QRectF(pos.x() - side / 2, pos.y() - side / 2, side, side)

    def show_brush_at(self, pos: QPointF | None) -> None:
        """Move the brush outline (None: hide it), repainting only where it was and is."""
        for at in (self._hover, pos):
            if at is not None:
                self.update(self.brush_rect(at).toAlignedRect().adjusted(-3, -3, 3, 3))
        self._hover = pos

    def leaveEvent(self, ev: QEvent) -> None:
        self.show_brush_at(None)
        super().leaveEvent(ev)

    def mark_rect(self, m: PointMark, current: bool = False) -> QRect:
        """The widget area a mark's drawing can touch (swatch, selection ring, patch, and
        for the `current` point its reach)."""
        scale, _ = self._map()
        c = self.to_widget(m.x, m.y)
        patch = m.size * self.patch_scale * scale
        half = max(SWATCH_RADIUS + MARK_REACH, patch / 2 + 3.0)
        if current and self.keep_rest:
            half = max(half, self.reach_radius(m, scale) + 3.0)
        return QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half).toAlignedRect()

    def reach_radius(self, m: PointMark, scale: float) -> float:
        """How far (widget pixels) a point's colour reaches under Keep the Rest."""
        s = self.transform.image_size
        return point_reach(m.size) * max(s.width(), s.height()) * scale

    def set_marks(
        self, marks: list[PointMark], selected: int, group: frozenset[int] = frozenset()
    ) -> None:
        """New marks: only the areas of the old and new ones are repainted.

        A drag moves one mark at every mouse move; repainting the whole scaled photo each
        time took ~10 ms of the GUI thread, time the network needs on a two-core machine.
        """
        if self.pixmap is None or not self.marks_visible or self.transform.image_size.isEmpty():
            self.marks, self.selected, self.group = marks, selected, group
            self.update()
            return
        region = QRegion()
        for i, m in enumerate(self.marks):
            region += self.mark_rect(m, i == self.selected)
        self.marks, self.selected, self.group = marks, selected, group
        for i, m in enumerate(marks):
            region += self.mark_rect(m, i == selected)
        if not region.isEmpty():
            self.update(region)

    # -- mouse ---------------------------------------------------------------------------
    def mousePressEvent(self, ev: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = ev.position()
        drag = self._drag_for(ev)
        if drag is not None:
            self._drag = drag
            drag.press(self, pos)

    def _drag_for(self, ev: QMouseEvent) -> Drag | None:
        """The gesture a press begins; a press that is a whole gesture in itself (a click
        that removes or samples) reports its intent here and begins none."""
        pos = ev.position()
        button = ev.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            return Pan(pos)
        if button == Qt.MouseButton.RightButton:
            i = self.hit(pos)
            if self.painting and self.marks_visible:  # the stroke tool's eraser
                return Erase(pos, i)
            if i >= 0:
                self.pointRemoveRequested.emit(i)
            return None
        if button != Qt.MouseButton.LeftButton:
            return None
        inset = self.inset_rect()
        if inset is not None and inset.adjusted(-3, -3, 3, 3).contains(pos):
            return InsetPan(inset)
        if self.sampling or ev.modifiers() & Qt.KeyboardModifier.AltModifier:
            fx, fy = self.to_fraction(pos)
            if self.pixmap is not None and 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0:
                self.colourSampled.emit(fx, fy)
            return None
        if self.painting:
            fx, fy = self.to_fraction(pos)
            if self.pixmap is None or not (0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0):
                return None
            if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.strokeExtended.emit(fx, fy)  # a straight line on from the last stroke
                return None
            return Stroke((fx, fy), pos)
        sx = self._split_x()
        if sx is not None and abs(pos.x() - sx) <= SPLIT_GRAB:
            return SplitLine()
        extend = ev.modifiers() & (
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
        )
        i = self.hit(pos)
        if extend:
            if i >= 0:
                self.pointToggled.emit(i)
                return None
            return BandSelect(pos) if self.marks_visible else None
        if i < 0:
            return EmptyPress(pos)
        m = self.marks[i]
        # A point of a selection drags the whole selection; only a click without a move
        # makes it the one selected point.
        in_group = bool(self.group) and (i == self.selected or i in self.group)
        return PointDrag(i, pos, pos - self.to_widget(m.x, m.y), collapse=in_group)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        pos = ev.position()
        if self.painting or self._hover is not None:
            self.show_brush_at(pos if self.painting else None)
        if self._drag is None:
            self.update_cursor(pos)
        else:
            self._drag = self._drag.move(self, pos)

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        pos = ev.position()
        if drag is not None:
            drag.release(self, pos)
        self.update_cursor(pos)

    def clamped(self, pos: QPointF) -> tuple[float, float]:
        """The photo point under a widget position, as fractions kept inside the photo."""
        fx, fy = self.to_fraction(pos)
        return min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)

    def update_cursor(self, pos: QPointF) -> None:
        """The cursor says what a press at pos would do."""
        sx = self._split_x()
        inset = self.inset_rect()
        if inset is not None and inset.contains(pos):
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            return
        if self.sampling:
            self.setCursor(sampling_cursor())
            return
        if self.painting and not self._space:
            self.setCursor(Qt.CursorShape.CrossCursor)
            return
        if self._space:
            shape = Qt.CursorShape.OpenHandCursor
        elif sx is not None and abs(pos.x() - sx) <= SPLIT_GRAB:
            shape = Qt.CursorShape.SplitHCursor
        elif self.hit(pos) >= 0:
            shape = Qt.CursorShape.SizeAllCursor
        else:
            shape = Qt.CursorShape.CrossCursor
        self.setCursor(shape)

    def pan_by(self, delta: QPointF) -> None:
        """Move the photo by delta widget pixels."""
        scale, center = self.transform.effective(self.size())
        self.transform.set_zoom(scale, center - delta / scale)

    def wheelEvent(self, ev: QWheelEvent) -> None:
        steps = ev.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(ZOOM_STEP**steps, ev.position())
        ev.accept()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the photo point under `anchor` (default: the middle) in place."""
        anchor = QPointF(self.width() / 2, self.height() / 2) if anchor is None else anchor
        scale, center = self.transform.effective(self.size())
        new = min(max(scale * factor, MIN_SCALE), MAX_SCALE)
        mid = QPointF(self.width() / 2, self.height() / 2)
        under = center + (anchor - mid) / scale
        self.transform.set_zoom(new, under - (anchor - mid) / new)

    def set_split(self, fraction: float | None) -> None:
        """Position of the before/after line (fraction of the width), None to hide it."""
        self.split = fraction
        self.update()

    # -- keys ----------------------------------------------------------------------------
    def keyPressEvent(self, ev: QKeyEvent) -> None:
        step = _ARROWS.get(ev.key())
        if step is not None and 0 <= self.selected < len(self.marks):
            self._nudge(step, ev.modifiers())  # held down, it keeps moving
            ev.accept()
            return
        if ev.isAutoRepeat():
            ev.accept()
            return
        if ev.key() == Qt.Key.Key_Escape and self.sampling:
            self.samplingCancelled.emit()
        elif ev.key() == Qt.Key.Key_Escape and self.painting:
            self.paintingCancelled.emit()
        elif ev.key() == Qt.Key.Key_Escape and self.selected >= 0:
            self.pointSelected.emit(-1)
        elif ev.key() == Qt.Key.Key_Space:
            self._space = True
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif ev.key() == Qt.Key.Key_Backslash:
            self.holdBefore.emit(True)
        else:
            super().keyPressEvent(ev)

    def keyReleaseEvent(self, ev: QKeyEvent) -> None:
        if ev.isAutoRepeat():
            ev.accept()
            return
        if ev.key() in _ARROWS:
            self._finish_nudge()
        elif ev.key() == Qt.Key.Key_Space:
            self._space = False
            self.setCursor(Qt.CursorShape.CrossCursor)
        elif ev.key() == Qt.Key.Key_Backslash:
            self.holdBefore.emit(False)
        else:
            super().keyReleaseEvent(ev)

    def _nudge(self, step: tuple[int, int], modifiers: Qt.KeyboardModifier) -> None:
        """Move the selected point by one screen pixel (ten with Shift)."""
        if self._nudged != self.selected:
            self._finish_nudge()
        far = 10.0 if modifiers & Qt.KeyboardModifier.ShiftModifier else 1.0
        m = self.marks[self.selected]
        fx, fy = self.clamped(self.to_widget(m.x, m.y) + QPointF(step[0], step[1]) * far)
        self._nudged = self.selected
        self.pointMoveRequested.emit(self.selected, fx, fy)
        self.ensure_visible(self.selected)

    def _finish_nudge(self) -> None:
        """Arrow keys let go: the full-quality update, and the end of that undo step."""
        i, self._nudged = self._nudged, -1
        if 0 <= i < len(self.marks):
            self.pointMoveFinished.emit(i, self.marks[i].x, self.marks[i].y)

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab step through the points instead of leaving the photo."""
        n = len(self.marks)
        if n == 0 or not self.marks_visible:
            return super().focusNextPrevChild(next)
        i = self.selected
        i = (i + 1) % n if next else (i - 1) % n if i >= 0 else n - 1
        self.pointSelected.emit(i)
        self.ensure_visible(i)
        return True

    def ensure_visible(self, index: int) -> None:
        """Pan (keeping the zoom) so that point `index` is inside the view."""
        if not 0 <= index < len(self.marks):
            return
        m = self.marks[index]
        margin = round(SWATCH_RADIUS * 3)
        inner = self.rect().adjusted(margin, margin, -margin, -margin)
        if inner.contains(self.to_widget(m.x, m.y).toPoint()):
            return
        scale, _ = self.transform.effective(self.size())
        s = self.transform.image_size
        self.transform.set_zoom(scale, QPointF(m.x * s.width(), m.y * s.height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.update()
