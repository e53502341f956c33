"""A small button filled with a colour, used for suggestions, recent colours and the palette."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QToolButton, QWidget


class SwatchButton(QToolButton):
    """A flat colour chip with a two-tone rim (visible on light and dark themes)."""

    def __init__(self, colour: QColor, size: int = 24, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor(colour)
        self.setFixedSize(QSize(size, size))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAutoRaise(True)

    def set_colour(self, colour: QColor) -> None:
        self.colour = QColor(colour)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        r = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        hover = self.underMouse() or self.hasFocus()
        p.setPen(QPen(QColor(0, 0, 0), 2.5 if hover else 1.5))
        p.setBrush(self.colour)
        p.drawRoundedRect(r, 4, 4)
        p.setPen(QPen(QColor(255, 255, 255, 220), 1))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(r.adjusted(1.5, 1.5, -1.5, -1.5), 3, 3)
        p.end()
