"""Preferences: device, working resolution, drafts, new points' size, export metadata,
saving hints without asking, what follows a pause and Keep the Rest on new photos, kept in
QSettings."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from model.finish import DEFAULT_FINISH, Finish
from model.hints.document import DEFAULT_SIZE, MAX_SIZE, MIN_SIZE

DEVICES = ("auto", "cpu", "cuda")
MIN_WORKING, MAX_WORKING, WORKING_STEP = 128, 512, 32


@dataclass(frozen=True)
class Preferences:
    """What the user can set; `device` and `working_size` need a new colouriser."""

    device: str = "auto"
    working_size: int = 256
    point_size: int = DEFAULT_SIZE
    drafts: bool = True  # quick smaller-size answers first where a full update is slow
    keep_metadata: bool = True  # the photo's EXIF, XMP, IPTC and resolution go into exports
    save_without_asking: bool = False  # leaving a photo saves its hints beside it, no prompt
    finish: Finish = DEFAULT_FINISH  # what follows the quick colours once the user pauses
    keep_rest: bool = False  # photos without saved hints start with Keep the Rest on

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        """Read the preferences, falling back to defaults for bad values."""
        device = str(settings.value("device", "auto"))
        try:
            size = int(settings.value("working_size", 256))  # type: ignore[arg-type]
            point = int(settings.value("point_size", DEFAULT_SIZE))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            size, point = 256, DEFAULT_SIZE
        return cls(
            device if device in DEVICES else "auto",
            min(max(size, MIN_WORKING), MAX_WORKING),
            min(max(point, MIN_SIZE), MAX_SIZE),
            _flag(settings, "drafts"),
            _flag(settings, "keep_metadata"),
            _flag(settings, "save_without_asking", default=False),
            _finish(settings),
            _flag(settings, "keep_rest", default=False),
        )

    def save(self, settings: QSettings) -> None:
        """Write the preferences."""
        settings.setValue("device", self.device)
        settings.setValue("working_size", self.working_size)
        settings.setValue("point_size", self.point_size)
        settings.setValue("drafts", self.drafts)
        settings.setValue("keep_metadata", self.keep_metadata)
        settings.setValue("save_without_asking", self.save_without_asking)
        settings.setValue("finish", self.finish.value)
        settings.remove("adapt")  # the switch "finish" replaced
        settings.setValue("keep_rest", self.keep_rest)


def _flag(settings: QSettings, key: str, default: bool = True) -> bool:
    # QSettings' INI files give back "true"/"false" strings, the registry real booleans.
    return str(settings.value(key, default)).lower() not in ("false", "0")


def _finish(settings: QSettings) -> Finish:
    value = settings.value("finish")
    if value is None:  # saved before "finish": the refinement was an on/off switch
        return Finish.REFINE if _flag(settings, "adapt", default=False) else DEFAULT_FINISH
    try:
        return Finish(str(value))
    except ValueError:
        return DEFAULT_FINISH


def _check(text: str, on: bool, tip: str) -> QCheckBox:
    box = QCheckBox(text)
    box.setChecked(on)
    box.setToolTip(tip)
    return box


class PreferencesDialog(QDialog):
    """A small form; `preferences()` reads the chosen values."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.device = QComboBox()
        for name, label in zip(
            DEVICES, ("Automatic (GPU if present)", "CPU", "GPU (CUDA)"), strict=True
        ):
            self.device.addItem(label, name)
        self.device.setCurrentIndex(DEVICES.index(prefs.device))
        self.working = QSpinBox()
        self.working.setRange(MIN_WORKING, MAX_WORKING)
        self.working.setSingleStep(WORKING_STEP)
        self.working.setSuffix(" px")
        self.working.setValue(prefs.working_size)
        self.working.setToolTip(
            "Resolution the network works at. Higher: finer colour detail, slower updates.\n"
            "The exported photo always keeps its full resolution."
        )
        self.point = QSpinBox()
        self.point.setRange(MIN_SIZE, MAX_SIZE)
        self.point.setSuffix(" px")
        self.point.setValue(prefs.point_size)
        self.point.setToolTip("Patch width of new colour points")
        self.drafts = _check(
            "Quick drafts while editing",
            prefs.drafts,
            "Where one update takes longer than about 0.2 s (a CPU without bf16), show\n"
            "drags (past 0.5 s, every edit) at a lower working resolution first;\n"
            "the full one follows when you let go.",
        )
        self.keep_metadata = _check(
            "Keep the photo's metadata in exports",
            prefs.keep_metadata,
            "Copy the photo's caption, dates, credits, camera or scanner, GPS position and\n"
            "resolution (EXIF, XMP, IPTC) into the exported file. Off: only Huebrush's note.",
        )
        self.save_without_asking = _check(
            "Save hints without asking",
            prefs.save_without_asking,
            "Opening another photo (Page Down in a series) or quitting saves the changed\n"
            "hints beside the photo (photo.hints.json) instead of asking first.",
        )
        self.finish = QComboBox()
        for finish, label in (
            (Finish.PASS, "Keep the quick colours"),
            (Finish.VIEWS, "Average six views of the photo"),
            (Finish.REFINE, "Fit the network to my points, then average six views"),
        ):
            self.finish.addItem(label, finish.value)
        self.finish.setCurrentIndex(self.finish.findData(prefs.finish.value))
        self.finish.setToolTip(
            "What follows the quick colours half a second after your last edit, on photos\n"
            "with points; exports use the same colours. The next edit stops it.\n"
            "Six views: the network's answers for the photo as it is, mirrored, and an\n"
            "eighth smaller and larger, averaged; about 0.15 dB closer to the truth at\n"
            "10 points (six passes, about a second on a CPU).\n"
            "Fit: first adapt the network's last layers to this photo's points, each left\n"
            "out in turn; 0.2-0.3 dB with the views (a few seconds on a CPU)."
        )
        self.keep_rest = _check(
            "Start new photos with Keep the Rest",
            prefs.keep_rest,
            "A photo without saved hints starts with Edit > Keep the Rest on: your points\n"
            "colour their own regions and the automatic colours stay elsewhere. Saved hints\n"
            "bring their own setting.",
        )
        form = QFormLayout(self)
        form.addRow("Compute on:", self.device)
        form.addRow("Working resolution:", self.working)
        form.addRow("New point size:", self.point)
        form.addRow("", self.drafts)
        form.addRow("", self.keep_metadata)
        form.addRow("", self.save_without_asking)
        form.addRow("When I pause:", self.finish)
        form.addRow("", self.keep_rest)
        note = QLabel("<small>Changing the device or resolution re-prepares the photo.</small>")
        form.addRow(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def preferences(self) -> Preferences:
        """The values chosen in the dialog."""
        size = round(self.working.value() / WORKING_STEP) * WORKING_STEP
        return Preferences(
            str(self.device.currentData()),
            size,
            self.point.value(),
            self.drafts.isChecked(),
            self.keep_metadata.isChecked(),
            self.save_without_asking.isChecked(),
            Finish(str(self.finish.currentData())),
            self.keep_rest.isChecked(),
        )
