"""Folder export: every photo of a folder coloured at full resolution in a thread of its own,
so the photo on screen keeps answering edits while large scans are rendered and saved; and
the dialog that says what it will do."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QWidget,
)

from gui.worker import ColorizerFactory, describe_error, export_note
from model.colour.enhance import EnhanceSettings
from model.finish import Finish
from model.hints.document import Hints, sidecar_path
from model.inference import Colorizer
from model.io.load import load_image
from model.io.photometa import NO_META
from model.io.save import SIXTEEN_BIT_SUFFIXES, save_image
from model.views import finished_prediction


@dataclass(frozen=True)
class BatchItem:
    """One photo of a folder export: loaded, coloured with its own hints and saved."""

    index: int
    src: Path
    dest: Path
    hints: Hints
    keep_metadata: bool = True
    finish: Finish = Finish.PASS  # for photos with points, as the app's Preferences say


def export_item(colorizer: Colorizer, item: BatchItem) -> None:
    """Colour one photo with its hints and save it, its hint file beside it."""
    image = load_image(item.src)
    enhance = EnhanceSettings.of(item.hints)
    work = enhance.network_input(image)
    prep = colorizer.prepare(work)
    finish = item.finish.applied(item.hints)
    pred = finished_prediction(colorizer, prep, item.hints, finish)
    assert pred is not None  # nothing to stop it
    depth = image.bit_depth if item.dest.suffix.lower() in SIXTEEN_BIT_SUFFIXES else 8
    rgb = colorizer.render(prep, pred, enhance.output_lightness(image, work), depth)
    save_image(
        item.dest,
        rgb,
        bit_depth=depth,
        alpha=image.alpha,
        icc_profile=image.output_icc_profile,
        metadata=export_note(colorizer, enhance, finish),
        photo_meta=image.meta if item.keep_metadata else NO_META,
    )
    item.hints.to_json(sidecar_path(item.dest))


class FolderExporter(QThread):
    """Works through queued BatchItems with a colouriser of its own, then ends; `add` starts
    it again. Not the interactive worker: a scan here takes seconds that edits must not wait."""

    itemDone = Signal(int, str, str)  # BatchItem.index, output path, error ('' if none)

    def __init__(self, factory: ColorizerFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._lock = threading.Lock()
        self._queue: deque[BatchItem] = deque()
        self._config = ("cpu", 256)
        self._colorizer: Colorizer | None = None
        self._colorizer_config: tuple[str, int] | None = None
        self._active = False  # the thread runs and will look at the queue again

    def add(self, items: list[BatchItem], device: str, working_size: int) -> None:
        """Queue items, coloured on `device` at `working_size` (the app's preferences)."""
        with self._lock:
            self._queue.extend(items)
            self._config = (device, working_size)
            idle, self._active = not self._active, True
        if idle:  # the thread found its queue empty and is ending, or never ran
            self.wait()
            self.start()

    def cancel(self) -> int:
        """Drop the items not started yet; returns how many. The one under way finishes."""
        with self._lock:
            dropped = len(self._queue)
            self._queue.clear()
            return dropped

    def run(self) -> None:
        try:
            self._work_through()  # leaves `_active` False itself, under the lock
        except BaseException:  # the thread is dying: `add` must be able to start it again
            with self._lock:
                self._active = False
            raise
        finally:
            self._colorizer = None  # its memory (GPU memory too) back until the next export

    def _work_through(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._active = False  # from here on `add` starts the thread again
                    return
                item, config = self._queue.popleft(), self._config
            try:
                if self._colorizer is None or self._colorizer_config != config:
                    try:
                        self._colorizer = self._factory(*config)
                    except RuntimeError:  # e.g. CUDA asked for but absent
                        self._colorizer = self._factory("cpu", config[1])
                    self._colorizer_config = config
                export_item(self._colorizer, item)
            except Exception as err:  # one bad photo must not stop the others
                self.itemDone.emit(item.index, "", describe_error(err))
            else:
                self.itemDone.emit(item.index, str(item.dest), "")


#: Output formats a folder export offers: (model.io.folder.output_for's fmt, what the user sees).
FOLDER_FORMATS = (
    ("auto", "As the photos: TIFF and PNG kept, the rest PNG"),
    ("png", "PNG"),
    ("tif", "TIFF"),
    ("jpg", "JPEG"),
    ("webp", "WebP"),
)


class FolderExportDialog(QDialog):
    """Says what a folder export will do and lets the user pick the output format; the
    summary (how many photos, with hints or not, files replaced) follows the format."""

    def __init__(self, summary: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export folder")
        self._summary = summary
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.formats = QComboBox()
        for fmt, label in FOLDER_FORMATS:
            self.formats.addItem(label, fmt)
        self.formats.currentIndexChanged.connect(self._update)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.text)
        form.addRow("Save as:", self.formats)
        form.addRow(buttons)
        self.setMinimumWidth(460)
        self._update()

    def format(self) -> str:
        """The chosen output format, as model.io.folder.output_for takes it."""
        return str(self.formats.currentData())

    def set_format(self, fmt: str) -> None:
        """Choose an output format (one of FOLDER_FORMATS)."""
        self.formats.setCurrentIndex(self.formats.findData(fmt))

    def _update(self) -> None:
        self.text.setText(self._summary(self.format()))
