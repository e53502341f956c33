"""The photo views: zoom, pan, point swatches, side-by-side and before/after split.

The canvas only draws and reports what the user wants (signals with fractional image
coordinates); the main window turns those intents into document edits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QCursor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QHBoxLayout, QSizePolicy, QWidget

from model.hints.anchors import point_reach
from model.hints.document import DEFAULT_SIZE

MIN_SCALE, MAX_SCALE = 0.02, 32.0
ZOOM_STEP = 1.25
SWATCH_RADIUS = 7.0
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


_SAMPLING_CURSOR: QCursor | None = None


def sampling_cursor() -> QCursor:
    """A ring with a hair cross: the eyedropper's hot spot is its centre."""
    global _SAMPLING_CURSOR
    if _SAMPLING_CURSOR is None:
        pix = QPixmap(25, 25)
        pix.fill(Qt.GlobalColor.transparent)
        p = QPainter(pix)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for colour, width in ((QColor(0, 0, 0), 3.0), (QColor(255, 255, 255), 1.2)):
            p.setPen(QPen(colour, width))
            p.drawEllipse(QPointF(12.5, 12.5), 7, 7)
            for a, b in (((12.5, 1), (12.5, 8)), ((12.5, 17), (12.5, 24))):
                p.drawLine(QPointF(*a), QPointF(*b))
                p.drawLine(QPointF(a[1], a[0]), QPointF(b[1], b[0]))
        p.end()
        _SAMPLING_CURSOR = QCursor(pix, 12, 12)
    return _SAMPLING_CURSOR


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
        self._drag: dict[str, object] | None = None
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
                self._paint_split(p, sx, target)
            if self.marks_visible:
                self._paint_marks(p, scale)
            if self.painting and self._hover is not None:
                self._paint_brush(p, self._hover, scale)
        kind = None if self._drag is None else self._drag["kind"]
        if kind == "band":
            self._paint_band(p)
        elif kind == "stroke":  # the brush's path, in photo fractions
            path = [self.to_widget(x, y) for x, y in self._drag["path"]]  # type: ignore[index, union-attr]
            self._paint_trail(p, path, QColor(255, 215, 0), Qt.PenStyle.SolidLine)
        elif kind == "erase":  # the eraser's, in widget pixels
            path = self._drag["path"]  # type: ignore[index]
            self._paint_trail(p, path, QColor(255, 255, 255), Qt.PenStyle.DashLine)  # type: ignore[arg-type]
        self._paint_label(p)
        if main is not None:
            self._paint_inset(p, main)
        p.end()
        self.painted.emit()

    def _paint_label(self, p: QPainter) -> None:
        text = self.label
        if self.show_before:
            text = "Before (original)"
        elif self._split_x() is not None:
            text = "Before  |  After"
        if not text:
            return
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        f = QFont(self.font())
        f.setBold(True)
        p.setFont(f)
        r = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        r.moveTopLeft(self.rect().topLeft() + QPointF(8, 8).toPoint())
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(r, 4, 4)
        p.setPen(QColor(240, 240, 240))
        p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)

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
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.fillRect(r.adjusted(-3, -3, 3, 3), QColor(0, 0, 0, 170))
        p.drawPixmap(r.topLeft(), self._thumb[1])
        v = self.visible_fraction()
        box = QRectF(
            r.left() + v.left() * r.width(),
            r.top() + v.top() * r.height(),
            v.width() * r.width(),
            v.height() * r.height(),
        )
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0), 3))
        p.drawRect(box)
        p.setPen(QPen(QColor(255, 215, 0), 1.5))
        p.drawRect(box)

    def _pan_to_inset(self, pos: QPointF, r: QRectF) -> None:
        """Centre the view on the photo point under pos in the overview."""
        fx = min(max((pos.x() - r.left()) / r.width(), 0.0), 1.0)
        fy = min(max((pos.y() - r.top()) / r.height(), 0.0), 1.0)
        scale, _ = self.transform.effective(self.size())
        s = self.transform.image_size
        self.transform.set_zoom(scale, QPointF(fx * s.width(), fy * s.height()))

    @staticmethod
    def _band_rect(d: dict[str, object]) -> QRectF:
        return QRectF(d["start"], d["last"]).normalized()  # type: ignore[call-overload]

    @staticmethod
    def _paint_trail(p: QPainter, path: list[QPointF], colour: QColor, style: Qt.PenStyle) -> None:
        """A line along a drag: `colour` on a black outline, so it shows on any photo."""
        line = QPolygonF(path)
        cap, join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0), 6, Qt.PenStyle.SolidLine, cap, join))
        p.drawPolyline(line)
        p.setPen(QPen(colour, 3, style, cap, join))
        p.drawPolyline(line)

    def brush_rect(self, pos: QPointF, scale: float | None = None) -> QRectF:
        """The patch a point placed at pos would give the network, on screen (at least a
        few pixels, so the outline shows even zoomed far out)."""
        if scale is None:
            scale, _ = self._map()
        side = max(self.brush_size * self.patch_scale * scale, 4.0)
        return QRectF(pos.x() - side / 2, pos.y() - side / 2, side, side)

    def _paint_brush(self, p: QPainter, pos: QPointF, scale: float) -> None:
        r = self.brush_rect(pos, scale)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0), 3))
        p.drawRect(r)
        p.setPen(QPen(QColor(255, 255, 255), 1))
        p.drawRect(r)

    def _show_brush_at(self, pos: QPointF | None) -> None:
        """Move the brush outline (None: hide it), repainting only where it was and is."""
        for at in (self._hover, pos):
            if at is not None:
                self.update(self.brush_rect(at).toAlignedRect().adjusted(-3, -3, 3, 3))
        self._hover = pos

    def leaveEvent(self, ev: QEvent) -> None:
        self._show_brush_at(None)
        super().leaveEvent(ev)

    def _paint_band(self, p: QPainter) -> None:
        r = self._band_rect(self._drag)  # type: ignore[arg-type]
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(QColor(255, 215, 0, 40))
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.drawRect(r)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(255, 215, 0), 1, Qt.PenStyle.DashLine))
        p.drawRect(r)

    def _paint_split(self, p: QPainter, x: float, target: QRectF) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        top, bottom = max(target.top(), 0.0), min(target.bottom(), float(self.height()))
        p.setPen(QPen(QColor(0, 0, 0, 160), 3))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        p.setPen(QPen(QColor(255, 255, 255), 1))
        p.drawLine(QPointF(x, top), QPointF(x, bottom))
        mid = QPointF(x, (top + bottom) / 2)
        p.setBrush(QColor(255, 255, 255))
        p.setPen(QPen(QColor(0, 0, 0), 1.5))
        p.drawEllipse(mid, 9, 9)
        p.setPen(QPen(QColor(40, 40, 40), 1.5))
        for sgn in (-1, 1):  # two small arrow heads: "drag me sideways"
            tip = mid + QPointF(sgn * 6, 0)
            p.drawLine(tip, tip + QPointF(-sgn * 3, -3))
            p.drawLine(tip, tip + QPointF(-sgn * 3, 3))

    def mark_rect(self, m: PointMark, current: bool = False) -> QRect:
        """The widget area a mark's drawing can touch (swatch, selection ring, patch, and
        for the `current` point its reach)."""
        scale, _ = self._map()
        c = self.to_widget(m.x, m.y)
        patch = m.size * self.patch_scale * scale
        half = max(SWATCH_RADIUS + MARK_REACH, patch / 2 + 3.0)
        if current and self.keep_rest:
            half = max(half, self._reach_radius(m, scale) + 3.0)
        return QRectF(c.x() - half, c.y() - half, 2 * half, 2 * half).toAlignedRect()

    def _reach_radius(self, m: PointMark, scale: float) -> float:
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

    def _paint_marks(self, p: QPainter, scale: float) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for i, m in enumerate(self.marks):
            c = self.to_widget(m.x, m.y)
            selected = i == self.selected or i in self.group
            patch = m.size * self.patch_scale * scale
            if patch > 2 * SWATCH_RADIUS + 10:
                # Zoomed in far enough to show the real extent the network receives.
                r = QRectF(c.x() - patch / 2, c.y() - patch / 2, patch, patch)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.setPen(QPen(QColor(0, 0, 0, 180), 3))
                p.drawRect(r)
                p.setPen(QPen(QColor(255, 255, 255, 220), 1))
                p.drawRect(r)
            rad = SWATCH_RADIUS + (1.5 if selected else 0.0)
            # The colour fills the disc; a white then a black ring outside it make the
            # swatch stand out on light, dark and busy backgrounds alike.
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(m.colour)
            p.drawEllipse(c, rad, rad)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawEllipse(c, rad + 1, rad + 1)
            p.setPen(QPen(QColor(0, 0, 0), 1.5))
            p.drawEllipse(c, rad + 2.6, rad + 2.6)
            if i == self.selected and self.keep_rest:
                # Beyond this the automatic colours hold (model.hints.anchors).
                radius = self._reach_radius(m, scale)
                p.setPen(QPen(QColor(0, 0, 0, 150), 3))
                p.drawEllipse(c, radius, radius)
                p.setPen(QPen(QColor(255, 255, 255, 200), 1.2, Qt.PenStyle.DashLine))
                p.drawEllipse(c, radius, radius)
            if selected:
                # The current point (the picker's) has a full ring, the others of a
                # selection a dashed one.
                style = Qt.PenStyle.SolidLine if i == self.selected else Qt.PenStyle.DashLine
                p.setPen(QPen(QColor(0, 0, 0), 5))
                p.drawEllipse(c, rad + 7, rad + 7)
                p.setPen(QPen(QColor(255, 215, 0), 2.5, style))
                p.drawEllipse(c, rad + 7, rad + 7)

    # -- mouse ---------------------------------------------------------------------------
    def mousePressEvent(self, ev: QMouseEvent) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        pos = ev.position()
        button = ev.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._drag = {"kind": "pan", "last": pos}
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button == Qt.MouseButton.RightButton:
            i = self.hit(pos)
            if self.painting and self.marks_visible:  # the stroke tool's eraser
                self._drag = {"kind": "erase", "path": [pos], "hits": {i} - {-1}}
            elif i >= 0:
                self.pointRemoveRequested.emit(i)
            return
        if button != Qt.MouseButton.LeftButton:
            return
        inset = self.inset_rect()
        if inset is not None and inset.adjusted(-3, -3, 3, 3).contains(pos):
            self._drag = {"kind": "inset", "rect": inset}
            self._pan_to_inset(pos, inset)
            return
        if self.sampling or ev.modifiers() & Qt.KeyboardModifier.AltModifier:
            fx, fy = self.to_fraction(pos)
            if self.pixmap is not None and 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0:
                self.colourSampled.emit(fx, fy)
            return
        if self.painting:
            fx, fy = self.to_fraction(pos)
            if self.pixmap is not None and 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0:
                if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.strokeExtended.emit(fx, fy)  # a straight line on from the last stroke
                else:
                    self._drag = {"kind": "stroke", "path": [(fx, fy)], "last": pos}
            return
        sx = self._split_x()
        if sx is not None and abs(pos.x() - sx) <= SPLIT_GRAB:
            self._drag = {"kind": "split"}
            return
        extend = ev.modifiers() & (
            Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
        )
        i = self.hit(pos)
        if extend:
            if i >= 0:
                self.pointToggled.emit(i)
            elif self.marks_visible:
                self._drag = {"kind": "band", "start": pos, "last": pos}
            return
        if i >= 0:
            m = self.marks[i]
            # A point of a selection drags the whole selection; only a click without a
            # move makes it the one selected point.
            in_group = bool(self.group) and (i == self.selected or i in self.group)
            if not in_group:
                self.pointSelected.emit(i)
            self._drag = {
                "kind": "point",
                "index": i,
                "start": pos,
                "grab": pos - self.to_widget(m.x, m.y),
                "moved": False,
                "collapse": in_group,
            }
        else:
            self._drag = {"kind": "empty", "start": pos, "last": pos}

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        pos = ev.position()
        d = self._drag
        if self.painting or self._hover is not None:
            self._show_brush_at(pos if self.painting else None)
        if d is None:
            self._update_cursor(pos)
            return
        kind = d["kind"]
        if kind == "pan":
            self._pan(pos - d["last"])  # type: ignore[operator]
            d["last"] = pos
        elif kind == "split":
            fx, _ = self.to_fraction(pos)
            self.set_split(min(max(fx, 0.0), 1.0))
        elif kind == "inset":
            self._pan_to_inset(pos, d["rect"])  # type: ignore[arg-type]
        elif kind == "band":
            old = self._band_rect(d)
            d["last"] = pos
            self.update(old.united(self._band_rect(d)).toAlignedRect().adjusted(-2, -2, 2, 2))
        elif kind == "erase":
            self._erase_along(d, pos)
        elif kind == "stroke":
            if (pos - d["last"]).manhattanLength() >= 2:  # type: ignore[operator]
                d["path"].append(self._clamped(pos))  # type: ignore[union-attr]
                d["last"] = pos
                self.update()
                self.strokePainted.emit(list(d["path"]), False)  # type: ignore[call-overload]
        elif kind == "point":
            if not d["moved"] and (pos - d["start"]).manhattanLength() < 3:  # type: ignore[operator]
                return  # a click with a shaky hand is not a move
            d["moved"] = True
            fx, fy = self._clamped(pos - d["grab"])  # type: ignore[operator]
            self.pointMoveRequested.emit(d["index"], fx, fy)
        elif kind == "empty":
            dist = (pos - d["start"]).manhattanLength()  # type: ignore[operator]
            if dist >= QApplication.startDragDistance():
                # Dragging on empty photo pans instead of adding a point.
                d["kind"] = "pan"
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
                self._pan(pos - d["last"])  # type: ignore[operator]
                d["last"] = pos

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        d, self._drag = self._drag, None
        pos = ev.position()
        if d is not None:
            if d["kind"] == "point" and d["moved"]:
                fx, fy = self._clamped(pos - d["grab"])  # type: ignore[operator]
                self.pointMoveFinished.emit(d["index"], fx, fy)
            elif d["kind"] == "point" and d["collapse"]:
                self.pointSelected.emit(d["index"])
            elif d["kind"] == "stroke":
                path = [*d["path"], self._clamped(pos)]  # type: ignore[misc]
                self.update()
                self.strokePainted.emit(path, True)
            elif d["kind"] == "erase":
                self._erase_along(d, pos)
                self.update()
                if d["hits"]:
                    self.pointsErased.emit(sorted(d["hits"]))  # type: ignore[call-overload]
            elif d["kind"] == "band":
                d["last"] = pos
                box = self._band_rect(d)
                inside = [
                    i for i, m in enumerate(self.marks) if box.contains(self.to_widget(m.x, m.y))
                ]
                self.update()
                if inside:
                    self.pointsBoxed.emit(inside)
            elif d["kind"] == "empty" and self.pixmap is not None:
                fx, fy = self.to_fraction(pos)
                if 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0:
                    self.pointAddRequested.emit(fx, fy)
        self._update_cursor(pos)

    def _erase_along(self, d: dict[str, object], pos: QPointF) -> None:
        """Collect the points under the eraser's path up to pos, a few pixels at a time so
        a quick flick does not jump over one."""
        last: QPointF = d["path"][-1]  # type: ignore[index]
        steps = max(1, int(math.hypot(pos.x() - last.x(), pos.y() - last.y()) / 4))
        for k in range(1, steps + 1):
            i = self.hit(last + (pos - last) * (k / steps))
            if i >= 0:
                d["hits"].add(i)  # type: ignore[attr-defined]
        d["path"].append(pos)  # type: ignore[attr-defined]
        self.update()

    def _clamped(self, pos: QPointF) -> tuple[float, float]:
        fx, fy = self.to_fraction(pos)
        return min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0)

    def _update_cursor(self, pos: QPointF) -> None:
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

    def _pan(self, delta: QPointF) -> None:
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
        fx, fy = self._clamped(self.to_widget(m.x, m.y) + QPointF(step[0], step[1]) * far)
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
            view._update_cursor(view.mapFromGlobal(QCursor.pos()).toPointF())

    def set_painting(self, on: bool) -> None:
        """The stroke tool: while on, a drag on the photo paints a line of points (reported
        as its path) instead of panning, a click adds one point, and a right-drag erases
        the points it passes over."""
        for view in self.views:
            view.painting = on
            pos = view.mapFromGlobal(QCursor.pos()).toPointF()
            view._show_brush_at(pos if on and view.rect().contains(pos.toPoint()) else None)
            view._update_cursor(pos)

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
