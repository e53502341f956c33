"""Colour chips: a button filled with a colour, and a row of them."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

CHIP_SIZE = 24
CHIP_SPACING = 2


class SwatchButton(QToolButton):
    """A flat colour chip with a two-tone rim (visible on light and dark themes)."""

    def __init__(self, colour: QColor, size: int = 24, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = QColor(colour)
        self.setFixedSize(QSize(size, size))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAutoRaise(True)

    def set_colour(self, colour: QColor) -> None:
        """Fill the chip with another colour."""
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


class SwatchRow(QWidget):
    """A fixed row of chips (reused, never rebuilt) with a note shown while it is empty."""

    picked = Signal(int)  # index of the chip clicked

    def __init__(self, count: int, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.buttons: list[SwatchButton] = []
        self.empty = QLabel(empty_text, self)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(CHIP_SPACING)
        lay.addWidget(self.empty)
        for i in range(count):
            btn = SwatchButton(QColor(128, 128, 128), CHIP_SIZE, self)
            btn.clicked.connect(lambda _=False, i=i: self.picked.emit(i))
            btn.hide()
            lay.addWidget(btn)
            self.buttons.append(btn)
        lay.addStretch(1)
        # One size whatever is shown: a row that grew as chips arrived would widen the dock
        # around it (shrinking the photo) whenever a point is selected, and a hint that moves
        # while chips and note swap places can be cached mid-swap by the parent layout.
        self._full_width = count * CHIP_SIZE + max(count - 1, 0) * CHIP_SPACING

    def sizeHint(self) -> QSize:
        note = self.empty.sizeHint()
        return QSize(max(self._full_width, note.width()), max(CHIP_SIZE, note.height()))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def set_chips(self, chips: list[tuple[QColor, str]]) -> None:
        """Show the first len(chips) buttons with these colours and tooltips."""
        if chips:  # the note leaves before the chips come, so the two never crowd the row
            self.empty.hide()
        for i, btn in enumerate(self.buttons):
            if i < len(chips):
                btn.set_colour(chips[i][0])
                btn.setToolTip(chips[i][1])
            btn.setVisible(i < len(chips))
        if not chips:
            self.empty.show()

    def set_empty_text(self, text: str) -> None:
        """The note shown while the row has no chips."""
        self.empty.setText(text)
