"""The reference panel: a colour photo to take point colours from (a museum print of the
uniform, a modern photo of the same street), shown beside the work."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.colours import AB, swatch_colour
from gui.swatch import SwatchButton
from model.colour.colorspace import rgb_to_lab
from model.io.load import SUPPORTED_SUFFIXES, load_image

SAMPLE_RADIUS = 2  # pixels of the shown reference around the click that are averaged
SHOWN_MAX_SIDE = 1024  # the reference is kept at most this big: a panel, not an editor
_HINT = "Click the reference to give the selected points its colour there."


def shown_reference(rgb: np.ndarray) -> tuple[QImage, np.ndarray]:
    """A photo's sRGB (H, W, 3, 0..1) -> the image the panel shows (at most SHOWN_MAX_SIDE)
    and its CIELAB ab per shown pixel, box-filtered from the full photo."""
    h, w = rgb.shape[:2]
    f = max(h, w) // SHOWN_MAX_SIDE
    if f > 1:  # block means first: converting a 24 MP photo whole took twice as long
        h, w = h // f * f, w // f * f
        rgb = rgb[:h, :w].reshape(h // f, f, w // f, f, 3).mean(axis=(1, 3))
    img = Image.fromarray(np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8))
    scale = SHOWN_MAX_SIDE / max(img.width, img.height)
    if scale < 1.0:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.BOX)
    small = np.ascontiguousarray(np.asarray(img))
    ab = rgb_to_lab(small.astype(np.float32) / 255.0)[..., 1:].astype(np.float32)
    h, w = small.shape[:2]
    qimg = QImage(small.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return qimg, ab


def reference_from_path(path: str) -> tuple[QImage, np.ndarray]:
    """Read a reference photo and make what the panel shows of it (see shown_reference)."""
    return shown_reference(load_image(path).rgb)


class ReferenceView(QWidget):
    """The reference photo fitted into the panel; reports the colour under a click."""

    sampled = Signal(float, float)  # a, b at the clicked place
    hovered = Signal(object)  # (a, b) under the pointer, or None off the photo

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.ab: np.ndarray | None = None  # (h, w, 2) at the shown image's size
        self.setMouseTracking(True)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def set_reference(self, image: QImage | None, ab: np.ndarray | None) -> None:
        """Show `image` (None: nothing) whose CIELAB ab per pixel is `ab`."""
        self.image, self.ab = image, ab
        self.update()

    def target(self) -> QRectF:
        """Where the photo is drawn: fitted into the widget, centred."""
        if self.image is None:
            return QRectF()
        w, h = self.image.width(), self.image.height()
        s = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s)

    def ab_at(self, pos: QPointF) -> AB | None:
        """Mean ab of the few shown pixels around a widget position; None off the photo."""
        r = self.target()
        if self.ab is None or r.isEmpty() or not r.contains(pos):
            return None
        h, w = self.ab.shape[:2]
        col = min(int((pos.x() - r.left()) / r.width() * w), w - 1)
        row = min(int((pos.y() - r.top()) / r.height() * h), h - 1)
        k = SAMPLE_RADIUS
        patch = self.ab[max(row - k, 0) : row + k + 1, max(col - k, 0) : col + k + 1]
        a, b = patch.reshape(-1, 2).mean(0)
        return float(a), float(b)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(43, 43, 46))
        if self.image is None:
            p.setPen(QColor(190, 190, 190))
            p.drawText(
                self.rect(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                "Open or drop a colour photo\nto take colours from",
            )
        else:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(self.target(), self.image)
        p.end()

    def mousePressEvent(self, ev: QMouseEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ab = self.ab_at(ev.position())
            if ab is not None:
                self.sampled.emit(*ab)

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:
        self.hovered.emit(self.ab_at(ev.position()))

    def leaveEvent(self, event: object) -> None:
        self.hovered.emit(None)


class ReferencePanel(QWidget):
    """A reference photo with Open/Clear; clicks on it sample colours for the points."""

    colourSampled = Signal(float, float)
    openRequested = Signal()  # the Open… button: the main window asks which photo
    referenceRequested = Signal(str)  # a photo dropped on the panel
    clearRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLabel("<i>No reference photo</i>")
        self.name.setTextFormat(Qt.TextFormat.RichText)
        self.name.setMinimumWidth(40)
        self.name.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.open_button = QPushButton("Open…")
        self.open_button.setToolTip("Show a colour photo to take point colours from")
        self.open_button.clicked.connect(self.openRequested)
        self.clear_button = QToolButton()
        self.clear_button.setText("✕")
        self.clear_button.setAutoRaise(True)
        self.clear_button.setToolTip("Close the reference photo")
        self.clear_button.clicked.connect(self.clearRequested)
        self.view = ReferenceView(self)
        self.view.sampled.connect(self.colourSampled)
        self.view.hovered.connect(self._on_hover)
        self.chip = SwatchButton(swatch_colour((0.0, 0.0)), 18, self)
        self.chip.setEnabled(False)
        self.info = QLabel(_HINT)
        self.info.setWordWrap(True)
        # Room for two lines whatever it says, so the photo above does not jump on hover.
        self.info.setMinimumHeight(2 * self.info.fontMetrics().lineSpacing())

        top = QHBoxLayout()
        top.addWidget(self.name, 1)
        top.addWidget(self.open_button)
        top.addWidget(self.clear_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.chip)
        bottom.addWidget(self.info, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.view, 1)
        lay.addLayout(bottom)
        self.setAcceptDrops(True)
        self.set_reference(None, None, None)

    def set_reference(self, name: str | None, image: QImage | None, ab: np.ndarray | None) -> None:
        """Show a reference photo (None: none) and its ab per shown pixel."""
        self.name.setText(f"<b>{name}</b>" if name else "<i>No reference photo</i>")
        self.name.setToolTip(name or "")
        self.view.set_reference(image, ab)
        self.clear_button.setEnabled(image is not None)
        self.chip.setVisible(False)
        self.info.setText(_HINT if image is not None else "")

    def set_loading(self, name: str) -> None:
        """Say that a photo is being loaded (the one shown stays until it is there)."""
        self.info.setText(f"Opening {name}…")

    def _on_hover(self, ab: AB | None) -> None:
        if ab is None:
            self.chip.setVisible(False)
            self.info.setText(_HINT if self.view.image is not None else "")
            return
        self.chip.set_colour(swatch_colour(ab))
        self.chip.setVisible(True)
        self.info.setText(f"a {ab[0]:+.0f}, b {ab[1]:+.0f}: click to use it")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._dropped(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        path = self._dropped(event)
        if path is not None:
            event.acceptProposedAction()
            self.referenceRequested.emit(path)

    @staticmethod
    def _dropped(event: QDragEnterEvent | QDropEvent) -> str | None:
        for url in event.mimeData().urls():
            name = url.toLocalFile()
            if url.isLocalFile() and name.lower().endswith(tuple(SUPPORTED_SUFFIXES)):
                return name
        return None
