"""The colour picker for the selected point: the ab plane at its lightness, suggestions, recents."""

from __future__ import annotations

import functools

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui import colours
from gui.colours import (
    AB,
    lab_qcolor,
    qcolor_ab,
    rgb_to_qimage,
    snapped,
    snapped_many,
    swatch_lightness,
)
from gui.swatch import SwatchRow
from model.colour.colorspace import lab_to_rgb_unclipped
from model.colour.gamut import in_gamut
from model.hints.document import MAX_SIZE, MIN_SIZE

PLANE_LIMIT = 110.0  # |a|, |b| shown at most; sRGB never goes further
MIN_PLANE_LIMIT = 30.0
PLANE_STEPS = 221  # grid cells per side of the plane image
OUT_OF_GAMUT = np.array([0.27, 0.27, 0.28], dtype=np.float32)
MAX_SUGGESTIONS = 8
MAX_RECENT = 10


def plane_limit(L: float) -> float:
    """Half-width of the ab square worth showing at lightness L.

    Very dark and very light colours have a small gamut; zooming the plane onto it keeps
    them as easy to pick as mid-tones.
    """
    axis = np.linspace(-PLANE_LIMIT, PLANE_LIMIT, 45)
    a, b = np.meshgrid(axis, axis)
    ok = in_gamut(L, np.stack([a, b], -1))
    extent = float(np.max(np.maximum(np.abs(a), np.abs(b))[ok])) if ok.any() else 0.0
    return float(np.clip(extent * 1.1 + 6.0, MIN_PLANE_LIMIT, PLANE_LIMIT))


@functools.lru_cache(maxsize=128)
def plane_image(L: float, steps: int = PLANE_STEPS, limit: float = PLANE_LIMIT) -> QImage:
    """The ab plane at lightness L: in-gamut cells in their colour, the rest flat grey.

    Row 0 is +b (yellow at the top), column 0 is -a (green at the left). Cached: the picker
    asks for the same rounded lightness again and again as points are added.
    """
    axis = np.linspace(-limit, limit, steps)
    a, b = np.meshgrid(axis, axis[::-1])
    lab = np.stack([np.full_like(a, L), a, b], -1)
    rgb = lab_to_rgb_unclipped(lab)
    ok = np.all((rgb >= -1e-6) & (rgb <= 1 + 1e-6), axis=-1)
    out = np.where(ok[..., None], np.clip(rgb, 0, 1), OUT_OF_GAMUT).astype(np.float32)
    return rgb_to_qimage(out)


# Arrow keys on the plane: a and b steps (right is redder, up yellower).
_AB_KEYS = {
    Qt.Key.Key_Left: (-1.0, 0.0),
    Qt.Key.Key_Right: (1.0, 0.0),
    Qt.Key.Key_Up: (0.0, 1.0),
    Qt.Key.Key_Down: (0.0, -1.0),
}


class GamutPlane(QWidget):
    """Click or drag to choose ab; out-of-gamut picks snap to the nearest valid colour."""

    picked = Signal(float, float, bool)  # a, b, final (mouse released)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lightness: float | None = None
        self.ab: AB | None = None
        self.suggestions: list[AB] = []
        self._image: QImage | None = None
        self._image_L: float | None = None
        self.limit = PLANE_LIMIT
        self._dragging = False
        self.setMinimumSize(120, 120)  # small screens: 1366x768 at 125 % is 614 px high
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(
            "Colours that exist at this point's brightness.\n"
            "Grey areas are not possible at this brightness. Click or drag to pick;\n"
            "arrow keys fine-tune the colour (Shift: five steps)."
        )

    def sizeHint(self) -> QSize:
        return QSize(240, 240)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return min(width, 320)

    def set_state(self, lightness: float | None, ab: AB | None, suggestions: list[AB]) -> None:
        """Lightness of the plane (None: disabled), the marker, and suggestion marks."""
        self.lightness, self.ab = lightness, ab
        # Marks sit where a click on them would land: inside the gamut.
        self.suggestions = snapped_many(lightness, suggestions) if lightness is not None else []
        # Rounded L: the plane barely changes within one unit and redrawing it costs ~10 ms.
        key = None if lightness is None else round(lightness)
        if key is not None and key != self._image_L:
            self.limit = plane_limit(float(key))
            self._image = plane_image(float(key), limit=self.limit)
            self._image_L = key
        self.update()

    def _square(self) -> QRectF:
        side = min(self.width(), self.height()) - 2
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_pos(self, ab: AB) -> QPointF:
        """Widget position of an ab colour."""
        r = self._square()
        fx = (ab[0] + self.limit) / (2 * self.limit)
        fy = (self.limit - ab[1]) / (2 * self.limit)
        return QPointF(r.left() + fx * r.width(), r.top() + fy * r.height())

    def to_ab(self, pos: QPointF) -> AB:
        """ab colour at a widget position (clamped to the plane)."""
        r = self._square()
        fx = min(max((pos.x() - r.left()) / r.width(), 0.0), 1.0)
        fy = min(max((pos.y() - r.top()) / r.height(), 0.0), 1.0)
        return (fx * 2 - 1) * self.limit, (1 - fy * 2) * self.limit

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        r = self._square()
        if self._image is None or self.lightness is None or not self.isEnabled():
            p.fillRect(r, QColor(70, 70, 72))
            p.setPen(QColor(200, 200, 200))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, "No point selected")
            p.end()
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(r, self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        centre = self.to_pos((0.0, 0.0))
        p.setPen(QPen(QColor(255, 255, 255, 70), 1))
        p.drawLine(QPointF(r.left(), centre.y()), QPointF(r.right(), centre.y()))
        p.drawLine(QPointF(centre.x(), r.top()), QPointF(centre.x(), r.bottom()))
        self._paint_axis_names(p, r)
        for i, ab in enumerate(self.suggestions):
            c = self.to_pos(ab)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(QColor(0, 0, 0, 200), 2.5))
            p.drawEllipse(c, 4, 4)
            p.setPen(QPen(QColor(255, 255, 255, 230), 1))
            p.drawEllipse(c, 4, 4)
            if i == 0:
                p.drawEllipse(c, 1.5, 1.5)
        if self.hasFocus():  # the arrow keys go here now, not to the photo
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(self.palette().highlight().color(), 2))
            p.drawRect(r.adjusted(1, 1, -1, -1))
        if self.ab is not None:
            c = self.to_pos(self.ab)
            p.setBrush(lab_qcolor(self.lightness, self.ab))
            p.setPen(QPen(QColor(0, 0, 0), 4))
            p.drawEllipse(c, 8, 8)
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawEllipse(c, 8, 8)
        p.end()

    def _paint_axis_names(self, p: QPainter, r: QRectF) -> None:
        f = p.font()
        f.setPointSizeF(max(7.0, f.pointSizeF() - 1.5))
        p.setFont(f)
        p.setPen(QColor(230, 230, 230, 200))
        m = 3.0
        flags = Qt.AlignmentFlag
        box = r.adjusted(m, m, -m, -m)
        p.drawText(box, flags.AlignTop | flags.AlignHCenter, "yellow")
        p.drawText(box, flags.AlignBottom | flags.AlignHCenter, "blue")
        p.drawText(box, flags.AlignVCenter | flags.AlignLeft, "green")
        p.drawText(box, flags.AlignVCenter | flags.AlignRight, "red")

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.update()  # the focus frame

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.update()

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        step = _AB_KEYS.get(ev.key())
        if step is None or self.lightness is None or self.ab is None:
            super().keyPressEvent(ev)
            return
        k = 5.0 if ev.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
        a, b = snapped(self.lightness, (self.ab[0] + step[0] * k, self.ab[1] + step[1] * k))
        self.ab = (a, b)
        self.update()
        self.picked.emit(a, b, False)  # held down it repeats; one undo step per stroke

    def keyReleaseEvent(self, ev: QKeyEvent) -> None:
        if ev.key() in _AB_KEYS and not ev.isAutoRepeat() and self.ab is not None:
            self.picked.emit(self.ab[0], self.ab[1], True)
        else:
            super().keyReleaseEvent(ev)

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.lightness is not None:
            self._dragging = True
            self._emit(ev.position(), False)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        if self._dragging:
            self._emit(ev.position(), False)

    def mouseReleaseEvent(self, ev: QMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            self._emit(ev.position(), True)

    def _emit(self, pos: QPointF, final: bool) -> None:
        assert self.lightness is not None
        a, b = snapped(self.lightness, self.to_ab(pos))
        self.ab = (a, b)
        self.update()
        self.picked.emit(a, b, final)


class ColourPicker(QWidget):
    """Everything about the selected point: its colour, the network's ideas, its size."""

    colourPicked = Signal(float, float, bool)  # a, b, final
    sizeRequested = Signal(int)
    removeRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lightness: float | None = None
        self.ab: AB | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        # Two lines whatever it says, so the square below does not jump as points are
        # selected and unselected (the titles take one line or two).
        self.title.setMinimumHeight(2 * self.title.fontMetrics().lineSpacing())
        self.title.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.plane = GamutPlane(self)
        self.plane.setMaximumHeight(320)
        self.plane.picked.connect(self._on_plane)

        self.suggestions: list[AB] = []
        self.recent: list[AB] = []
        self.suggest_row = SwatchRow(MAX_SUGGESTIONS, "<i>select a point</i>", self)
        self.suggest_row.picked.connect(lambda i: self._pick(self.suggestions[i]))
        self.recent_row = SwatchRow(MAX_RECENT, "<i>none yet</i>", self)
        self.recent_row.picked.connect(lambda i: self._pick(self.recent[i]))
        self._probs: list[float] = []

        self.size_spin = QSpinBox()
        self.size_spin.setRange(MIN_SIZE, MAX_SIZE)
        self.size_spin.setSuffix(" px")
        self.size_spin.setToolTip(
            "Patch width at the network's working resolution ([ and ] keys).\n"
            "Larger patches hold the colour more firmly."
        )
        self.size_spin.valueChanged.connect(self._on_size)
        self.dialog_button = QPushButton("Other colour…")
        self.dialog_button.setToolTip("Choose a colour in the standard colour dialog")
        self.dialog_button.clicked.connect(self._on_dialog)
        # The main window gives it the eyedropper action (Pick Colour from Photo).
        self.sample_button = QToolButton()
        self.sample_button.setAutoRaise(True)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected point (Delete)")
        self.remove_button.clicked.connect(self.removeRequested)

        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.addWidget(QLabel("Suggested:"), 0, 0)
        grid.addWidget(self.suggest_row, 0, 1)
        grid.addWidget(QLabel("Recent:"), 1, 0)
        grid.addWidget(self.recent_row, 1, 1)
        grid.setColumnStretch(1, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("Size:"))
        bottom.addWidget(self.size_spin)
        bottom.addStretch(1)
        bottom.addWidget(self.sample_button)
        bottom.addWidget(self.dialog_button)
        bottom.addWidget(self.remove_button)

        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.plane)
        lay.addLayout(grid)
        lay.addLayout(bottom)
        # No taller than needed: spare height in the dock column goes to the palette.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.set_point(None, None, None, 5)

    # -- state from the main window ------------------------------------------------------
    def set_point(
        self,
        index: int | None,
        lightness: float | None,
        ab: AB | None,
        size: int,
        others: int = 0,
        unchosen: bool = False,
    ) -> None:
        """Show point `index` (None: nothing selected) at lightness L with colour ab;
        `others` more points are selected with it, and a colour or size chosen here goes to
        all of them. `unchosen`: it (or one of them) has only the colour shown there, and
        changes nothing until a colour is chosen here."""
        self.lightness, self.ab = lightness, ab
        enabled = index is not None and lightness is not None
        if enabled:
            more = f" and {others} more (colour and size go to all)" if others else ""
            pending = "<br><i>Not used yet: choose a colour.</i>" if unchosen else ""
            self.title.setText(
                f"<b>Point {index + 1}</b>{more} — brightness L {lightness:.0f}, "  # type: ignore[operator]
                f"a {ab[0]:+.0f}, b {ab[1]:+.0f}{pending}"  # type: ignore[index]
            )
        else:
            self.title.setText("<b>No point selected.</b> Click the photo to add a colour point.")
        for w in (self.plane, self.size_spin, self.dialog_button, self.remove_button):
            w.setEnabled(enabled)
        self.size_spin.blockSignals(True)
        self.size_spin.setValue(size)
        self.size_spin.blockSignals(False)
        self.plane.set_state(lightness if enabled else None, ab, self.suggestions)
        self._show_chips()

    def set_suggestions(self, suggestions: list[tuple[AB, float]]) -> None:
        """The network's most likely colours here, most likely first, with probabilities."""
        self.suggestions = [ab for ab, _ in suggestions][:MAX_SUGGESTIONS]
        self._probs = [p for _, p in suggestions][:MAX_SUGGESTIONS]
        self.plane.set_state(self.plane.lightness, self.plane.ab, self.suggestions)
        self._show_chips()

    def set_recent(self, recent: list[AB]) -> None:
        """The recently chosen colours, newest first."""
        self.recent = list(recent)[:MAX_RECENT]
        self._show_chips()

    def _show_chips(self) -> None:
        # Chips hold colours snapped into the gamut at this point's brightness, drawn at a
        # brightness where their hue can be told (at L 5 every chip would look black).
        L = self.lightness
        if L is None:
            self.suggest_row.set_empty_text("<i>select a point</i>")
            self.suggest_row.set_chips([])
            self.recent_row.set_chips([])
            self.recent_row.set_empty_text(
                "<i>select a point</i>" if self.recent else "<i>none yet</i>"
            )
            return
        shown = snapped_many(L, [*self.suggestions, *self.recent])
        n = len(self.suggestions)
        self.suggest_row.set_empty_text("<i>after the next update</i>")
        self.suggest_row.set_chips(
            [
                (
                    lab_qcolor(swatch_lightness(L), s),
                    f"Suggestion {i + 1}: {p * 100:.0f}% likely\na {ab[0]:+.0f}, b {ab[1]:+.0f}",
                )
                for i, (ab, s, p) in enumerate(
                    zip(self.suggestions, shown[:n], self._probs, strict=True)
                )
            ]
        )
        self.recent_row.set_empty_text("<i>none yet</i>")
        self.recent_row.set_chips(
            [
                (
                    lab_qcolor(swatch_lightness(L), s),
                    f"Recently used\na {ab[0]:+.0f}, b {ab[1]:+.0f}",
                )
                for ab, s in zip(self.recent, shown[n:], strict=True)
            ]
        )

    # -- user actions --------------------------------------------------------------------
    def _pick(self, ab: AB) -> None:
        if self.lightness is None:
            return
        a, b = snapped(self.lightness, ab)
        self.colourPicked.emit(a, b, True)

    def _on_plane(self, a: float, b: float, final: bool) -> None:
        self.colourPicked.emit(a, b, final)

    def _on_size(self, value: int) -> None:
        self.sizeRequested.emit(value)

    def _on_dialog(self) -> None:
        if self.lightness is None:
            return
        initial = lab_qcolor(self.lightness, self.ab or (0.0, 0.0))
        colour = colours.ask_colour(self, "Colour for the point", initial)
        if colour is not None:
            self._pick(qcolor_ab(colour))
