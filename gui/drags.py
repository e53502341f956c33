"""What one press of the mouse on a photo view does until it is let go.

The view picks the kind of drag when the button goes down (canvas.ImageView.mousePressEvent);
from then on the drag alone follows the mouse, draws its own trail or box, and reports what
the user wants through the view's signals, the canvas's intents.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication

from gui.overlays import GOLD, paint_trail

if TYPE_CHECKING:
    from gui.imageview import ImageView

Fraction = tuple[float, float]  # a photo point as fractions of its width and height


class Drag:
    """A gesture in progress. `move` returns the drag that goes on (a press on empty photo
    turns into a pan once it travels); `release` ends it."""

    def press(self, view: ImageView, pos: QPointF) -> None:
        """What happens as the button goes down."""

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        return self

    def release(self, view: ImageView, pos: QPointF) -> None:
        pass

    def paint(self, view: ImageView, p: QPainter) -> None:
        """Draw what the drag leaves on the photo while it lasts."""


class Pan(Drag):
    """The middle button, Space + left button, or a drag begun on empty photo."""

    def __init__(self, last: QPointF) -> None:
        self.last = last

    def press(self, view: ImageView, pos: QPointF) -> None:
        view.setCursor(Qt.CursorShape.ClosedHandCursor)

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        view.pan_by(pos - self.last)
        self.last = pos
        return self


class EmptyPress(Drag):
    """A press beside every point: a click adds a point there, a drag pans."""

    def __init__(self, start: QPointF) -> None:
        self.start = start

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        if (pos - self.start).manhattanLength() < QApplication.startDragDistance():
            return self
        pan = Pan(self.start)
        pan.press(view, pos)
        return pan.move(view, pos)

    def release(self, view: ImageView, pos: QPointF) -> None:
        if view.pixmap is None:
            return
        fx, fy = view.to_fraction(pos)
        if 0.0 <= fx <= 1.0 and 0.0 <= fy <= 1.0:
            view.pointAddRequested.emit(fx, fy)


class SplitLine(Drag):
    """Moving the before/after line."""

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        fx, _ = view.to_fraction(pos)
        view.set_split(min(max(fx, 0.0), 1.0))
        return self


class InsetPan(Drag):
    """Dragging the box in the overview of a zoomed-in photo."""

    def __init__(self, rect: QRectF) -> None:
        self.rect = rect

    def press(self, view: ImageView, pos: QPointF) -> None:
        view.pan_to_inset(pos, self.rect)

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        view.pan_to_inset(pos, self.rect)
        return self


class PointDrag(Drag):
    """A press on a point: a drag moves it (with the rest of its selection), a click without
    a move selects it alone."""

    def __init__(self, index: int, start: QPointF, grab: QPointF, collapse: bool) -> None:
        self.index = index
        self.start = start
        self.grab = grab  # from the point's centre to where it was taken hold of
        self.collapse = collapse  # a click on it makes it the one selected point
        self.moved = False

    def press(self, view: ImageView, pos: QPointF) -> None:
        if not self.collapse:
            view.pointSelected.emit(self.index)

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        if not self.moved and (pos - self.start).manhattanLength() < 3:
            return self  # a click with a shaky hand is not a move
        self.moved = True
        fx, fy = view.clamped(pos - self.grab)
        view.pointMoveRequested.emit(self.index, fx, fy)
        return self

    def release(self, view: ImageView, pos: QPointF) -> None:
        if self.moved:
            fx, fy = view.clamped(pos - self.grab)
            view.pointMoveFinished.emit(self.index, fx, fy)
        elif self.collapse:
            view.pointSelected.emit(self.index)


class BandSelect(Drag):
    """A box drawn with Shift or Ctrl: the points inside join the selection."""

    def __init__(self, start: QPointF) -> None:
        self.start = start
        self.last = start

    def rect(self) -> QRectF:
        return QRectF(self.start, self.last).normalized()

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        old = self.rect()
        self.last = pos
        view.update(old.united(self.rect()).toAlignedRect().adjusted(-2, -2, 2, 2))
        return self

    def release(self, view: ImageView, pos: QPointF) -> None:
        self.last = pos
        box = self.rect()
        inside = [i for i, m in enumerate(view.marks) if box.contains(view.to_widget(m.x, m.y))]
        view.update()
        if inside:
            view.pointsBoxed.emit(inside)

    def paint(self, view: ImageView, p: QPainter) -> None:
        r = self.rect()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        p.setBrush(QColor(GOLD.red(), GOLD.green(), GOLD.blue(), 40))
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.drawRect(r)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(GOLD, 1, Qt.PenStyle.DashLine))
        p.drawRect(r)


class Stroke(Drag):
    """The brush: a path of points, reported as it grows and once more when let go."""

    def __init__(self, start: Fraction, pos: QPointF) -> None:
        self.path = [start]  # photo fractions
        self.last = pos

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        if (pos - self.last).manhattanLength() >= 2:
            self.path.append(view.clamped(pos))
            self.last = pos
            view.update()
            view.strokePainted.emit(list(self.path), False)
        return self

    def release(self, view: ImageView, pos: QPointF) -> None:
        path = [*self.path, view.clamped(pos)]
        view.update()
        view.strokePainted.emit(path, True)

    def paint(self, view: ImageView, p: QPainter) -> None:
        path = [view.to_widget(x, y) for x, y in self.path]
        paint_trail(p, path, GOLD, Qt.PenStyle.SolidLine)


class Erase(Drag):
    """A right-drag with the brush: the points it passes over are removed when let go."""

    def __init__(self, pos: QPointF, hit: int) -> None:
        self.path = [pos]  # widget pixels
        self.hits = {hit} - {-1}

    def _along(self, view: ImageView, pos: QPointF) -> None:
        """Collect the points under the path up to pos, a few pixels at a time so a quick
        flick does not jump over one."""
        last = self.path[-1]
        steps = max(1, int(math.hypot(pos.x() - last.x(), pos.y() - last.y()) / 4))
        for k in range(1, steps + 1):
            i = view.hit(last + (pos - last) * (k / steps))
            if i >= 0:
                self.hits.add(i)
        self.path.append(pos)
        view.update()

    def move(self, view: ImageView, pos: QPointF) -> Drag:
        self._along(view, pos)
        return self

    def release(self, view: ImageView, pos: QPointF) -> None:
        self._along(view, pos)
        view.update()
        if self.hits:
            view.pointsErased.emit(sorted(self.hits))

    def paint(self, view: ImageView, p: QPainter) -> None:
        paint_trail(p, self.path, QColor(255, 255, 255), Qt.PenStyle.DashLine)
