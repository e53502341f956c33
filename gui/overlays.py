"""What a photo view draws over the photo: point swatches, the before/after line, the brush
outline, its label and the overview of a zoomed-in photo; and the eyedropper's cursor.

Each is drawn in a colour on a black outline (or the reverse), so it shows on light, dark
and busy photos alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QFont, QPainter, QPen, QPixmap, QPolygonF

if TYPE_CHECKING:
    from gui.imageview import ImageView

SWATCH_RADIUS = 7.0
GOLD = QColor(255, 215, 0)  # the selection, the brush's trail and the overview's box

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


def paint_label(p: QPainter, text: str, font: QFont, top_left: QPoint) -> None:
    """The view's name ("Before  |  After"...) on a dark rounded box."""
    if not text:
        return
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    f = QFont(font)
    f.setBold(True)
    p.setFont(f)
    r = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
    r.moveTopLeft(top_left)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(0, 0, 0, 150))
    p.drawRoundedRect(r, 4, 4)
    p.setPen(QColor(240, 240, 240))
    p.drawText(r, Qt.AlignmentFlag.AlignCenter, text)


def paint_inset(p: QPainter, r: QRectF, thumb: QPixmap, visible: QRectF) -> None:
    """The whole photo small in r, with a box round the `visible` part (fractions)."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.fillRect(r.adjusted(-3, -3, 3, 3), QColor(0, 0, 0, 170))
    p.drawPixmap(r.topLeft(), thumb)
    box = QRectF(
        r.left() + visible.left() * r.width(),
        r.top() + visible.top() * r.height(),
        visible.width() * r.width(),
        visible.height() * r.height(),
    )
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(0, 0, 0), 3))
    p.drawRect(box)
    p.setPen(QPen(GOLD, 1.5))
    p.drawRect(box)


def paint_brush(p: QPainter, r: QRectF) -> None:
    """The outline of the patch a new point would get."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(0, 0, 0), 3))
    p.drawRect(r)
    p.setPen(QPen(QColor(255, 255, 255), 1))
    p.drawRect(r)


def paint_split(p: QPainter, x: float, target: QRectF, height: int) -> None:
    """The before/after line at x over the photo (target), with its handle in the middle."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    top, bottom = max(target.top(), 0.0), min(target.bottom(), float(height))
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


def paint_marks(p: QPainter, view: ImageView, scale: float) -> None:
    """The view's point swatches, the selection's rings and the current point's reach."""
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    for i, m in enumerate(view.marks):
        c = view.to_widget(m.x, m.y)
        selected = i == view.selected or i in view.group
        patch = m.size * view.patch_scale * scale
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
        # swatch stand out on light, dark and busy backgrounds alike. A point whose colour
        # was not chosen yet (it changes nothing) has the white ring dotted.
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(m.colour)
        p.drawEllipse(c, rad, rad)
        p.setBrush(Qt.BrushStyle.NoBrush)
        white = Qt.PenStyle.DotLine if m.unchosen else Qt.PenStyle.SolidLine
        p.setPen(QPen(QColor(255, 255, 255), 2, white))
        p.drawEllipse(c, rad + 1, rad + 1)
        p.setPen(QPen(QColor(0, 0, 0), 1.5))
        p.drawEllipse(c, rad + 2.6, rad + 2.6)
        if i == view.selected and view.keep_rest:
            # Beyond this the automatic colours hold (model.hints.anchors).
            radius = view.reach_radius(m, scale)
            p.setPen(QPen(QColor(0, 0, 0, 150), 3))
            p.drawEllipse(c, radius, radius)
            p.setPen(QPen(QColor(255, 255, 255, 200), 1.2, Qt.PenStyle.DashLine))
            p.drawEllipse(c, radius, radius)
        if selected:
            # The current point (the picker's) has a full ring, the others of a
            # selection a dashed one.
            style = Qt.PenStyle.SolidLine if i == view.selected else Qt.PenStyle.DashLine
            p.setPen(QPen(QColor(0, 0, 0), 5))
            p.drawEllipse(c, rad + 7, rad + 7)
            p.setPen(QPen(GOLD, 2.5, style))
            p.drawEllipse(c, rad + 7, rad + 7)


def paint_trail(p: QPainter, path: list[QPointF], colour: QColor, style: Qt.PenStyle) -> None:
    """A line along a drag: `colour` on a black outline, so it shows on any photo."""
    line = QPolygonF(path)
    cap, join = Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor(0, 0, 0), 6, Qt.PenStyle.SolidLine, cap, join))
    p.drawPolyline(line)
    p.setPen(QPen(colour, 3, style, cap, join))
    p.drawPolyline(line)
