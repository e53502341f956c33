"""The palette panel: global colours with weights, and the global saturation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui import colours, filedialogs
from gui.colours import qcolor_ab, swatch_colour
from gui.resources import images_filter
from gui.swatch import SwatchButton
from model.colour.colorspace import rgb_to_lab
from model.hints.document import PaletteColor
from model.hints.encoding import kmeans_palette
from model.io.load import load_image

WEIGHT_STEPS = 100  # slider units per weight 1.0
PHOTO_PALETTE_COLOURS = 6
PHOTO_PALETTE_SAMPLES = 40_000  # pixels of the photo fed to k-means


@dataclass(frozen=True)
class PhotoPalette:
    """The main colours of a photo, and its mean chroma (under 2: no colour to give)."""

    colours: tuple[PaletteColor, ...]
    chroma: float


def photo_palette(path: str) -> PhotoPalette:
    """Read a colour photo and take its main colours (k-means of its ab, seeded)."""
    photo = load_image(path)
    step = max(1, int(np.sqrt(photo.width * photo.height / PHOTO_PALETTE_SAMPLES)))
    ab = rgb_to_lab(photo.rgb[::step, ::step].astype(np.float64))[..., 1:].reshape(-1, 2)
    colours = kmeans_palette(ab, PHOTO_PALETTE_COLOURS, np.random.default_rng(0))
    return PhotoPalette(tuple(colours), float(np.hypot(ab[:, 0], ab[:, 1]).mean()))


class PaletteRow(QWidget):
    """One palette colour: chip (click to change), weight slider, share, remove button."""

    def __init__(self, index: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.index = index
        self.chip = SwatchButton(swatch_colour((0.0, 0.0)), 26, self)
        self.chip.setToolTip("Change this colour")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, WEIGHT_STEPS)
        self.slider.setToolTip("How much of this colour the photo should have")
        self.share = QLabel("100%", self)
        self.share.setMinimumWidth(self.share.fontMetrics().horizontalAdvance("100%") + 4)
        self.share.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.share.setToolTip("Share of the palette")
        self.remove = QToolButton(self)
        self.remove.setText("✕")
        self.remove.setAutoRaise(True)
        self.remove.setToolTip("Remove this colour from the palette")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.chip)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.share)
        lay.addWidget(self.remove)

    def show_colour(self, colour: PaletteColor, total: float) -> None:
        """Display one palette entry; `total` is the sum of all weights."""
        self.chip.set_colour(swatch_colour(colour.ab))
        self.slider.blockSignals(True)
        self.slider.setValue(min(WEIGHT_STEPS, round(colour.weight * WEIGHT_STEPS)))
        self.slider.blockSignals(False)
        share = colour.weight / total if total > 0 else 0.0
        self.share.setText(f"{share * 100:.0f}%")


class PalettePanel(QWidget):
    """Renders the palette and saturation hints; emits what the user asks for."""

    addRequested = Signal(float, float)
    editRequested = Signal(int, float, float)
    weightRequested = Signal(int, float, bool)  # index, weight, final
    removeRequested = Signal(int)
    clearRequested = Signal()
    referenceRequested = Signal(str)
    saturationRequested = Signal(object, bool)  # float 0..1 or None (automatic), final

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[PaletteRow] = []
        self._palette: tuple[PaletteColor, ...] = ()
        intro = QLabel("Colours the photo should have.")
        intro.setWordWrap(True)
        intro.setToolTip(
            "A few vivid colours name what should stand out; the rest of the photo keeps\n"
            "the greys real photos have. With a near-grey colour or five colours or more\n"
            "(as From photo… gives), the palette describes the whole photo."
        )
        self.empty_label = QLabel("<i>No palette: the network chooses freely.</i>")
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(2)
        rows_widget = QWidget()
        inner = QVBoxLayout(rows_widget)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.addWidget(self.empty_label)
        inner.addLayout(self.rows_box)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(rows_widget)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumHeight(56)  # two rows; more scroll

        self.add_button = QPushButton("Add…")
        self.add_button.setToolTip("Add a colour to the palette")
        self.add_button.clicked.connect(self._on_add)
        self.reference_button = QPushButton("From photo…")
        self.reference_button.setToolTip(
            "Take the main colours of a reference photo (replaces the palette)"
        )
        self.reference_button.clicked.connect(self._on_reference)
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Remove all palette colours")
        self.clear_button.clicked.connect(self.clearRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.reference_button)
        buttons.addWidget(self.clear_button)

        self.sat_check = QCheckBox("Saturation")
        self.sat_check.setToolTip("Off: the network decides how colourful the photo is")
        self.sat_check.toggled.connect(self._on_sat_toggled)
        self.sat_slider = QSlider(Qt.Orientation.Horizontal)
        self.sat_slider.setRange(0, 100)
        self.sat_slider.setValue(50)
        self.sat_slider.setToolTip("How colourful the whole photo should be")
        self.sat_slider.valueChanged.connect(self._on_sat_moved)
        self.sat_slider.sliderReleased.connect(self._on_sat_released)
        self.sat_value = QLabel("auto")
        self.sat_value.setMinimumWidth(self.sat_value.fontMetrics().horizontalAdvance("100%") + 4)
        sat = QHBoxLayout()
        sat.addWidget(self.sat_check)
        sat.addWidget(self.sat_slider, 1)
        sat.addWidget(self.sat_value)

        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addWidget(scroll, 1)
        lay.addLayout(buttons)
        lay.addLayout(sat)
        self.set_hints((), None)

    # -- state from the main window ------------------------------------------------------
    def set_hints(self, palette: tuple[PaletteColor, ...], saturation: float | None) -> None:
        """Show the document's palette and saturation (rows are reused while count is same)."""
        self._palette = palette
        if len(self.rows) != len(palette):
            self._rebuild(len(palette))
        total = sum(c.weight for c in palette)
        for row, colour in zip(self.rows, palette, strict=True):
            row.show_colour(colour, total)
        self.empty_label.setVisible(not palette)
        self.clear_button.setEnabled(bool(palette))
        on = saturation is not None
        for w in (self.sat_check, self.sat_slider):
            w.blockSignals(True)
        self.sat_check.setChecked(on)
        if on:
            self.sat_slider.setValue(round(saturation * 100))  # type: ignore[operator]
        for w in (self.sat_check, self.sat_slider):
            w.blockSignals(False)
        self.sat_slider.setEnabled(on)
        self.sat_value.setText(f"{self.sat_slider.value()}%" if on else "auto")

    def _rebuild(self, n: int) -> None:
        for row in self.rows:
            self.rows_box.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for i in range(n):
            row = PaletteRow(i, self)
            row.chip.clicked.connect(lambda _=False, i=i: self._on_edit(i))
            row.slider.valueChanged.connect(
                lambda v, i=i, s=row.slider: self.weightRequested.emit(
                    i, v / WEIGHT_STEPS, not s.isSliderDown()
                )
            )
            row.slider.sliderReleased.connect(
                lambda i=i, s=row.slider: self.weightRequested.emit(
                    i, s.value() / WEIGHT_STEPS, True
                )
            )
            row.remove.clicked.connect(lambda _=False, i=i: self.removeRequested.emit(i))
            self.rows_box.addWidget(row)
            self.rows.append(row)

    # -- user actions --------------------------------------------------------------------
    def _on_add(self) -> None:
        colour = colours.ask_colour(self, "Add a palette colour")
        if colour is not None:
            self.addRequested.emit(*qcolor_ab(colour))

    def _on_edit(self, index: int) -> None:
        if index >= len(self._palette):
            return
        colour = colours.ask_colour(self, "Palette colour", swatch_colour(self._palette[index].ab))
        if colour is not None:
            a, b = qcolor_ab(colour)
            self.editRequested.emit(index, a, b)

    def _on_reference(self) -> None:
        path = filedialogs.open_file(self, "Reference photo for the palette", "", images_filter())
        if path:
            self.referenceRequested.emit(path)

    def _on_sat_toggled(self, on: bool) -> None:
        self.sat_slider.setEnabled(on)
        self.saturationRequested.emit(self.sat_slider.value() / 100 if on else None, True)

    def _on_sat_moved(self, value: int) -> None:
        self.sat_value.setText(f"{value}%")
        # A keyboard step is a whole edit; a mouse drag becomes one when released.
        self.saturationRequested.emit(value / 100, not self.sat_slider.isSliderDown())

    def _on_sat_released(self) -> None:
        self.saturationRequested.emit(self.sat_slider.value() / 100, True)
