"""The render link: photos and hints go to the inference worker, its answers come back to
the canvas and the status bar.

One worker thread renders; each request carries the photo's token and a generation number,
so the newest request wins and an answer for another photo, or older than what is shown,
is dropped. The worker gets the document's network hints: a point whose colour the user has
not chosen yet is left out, and an edit that changes nothing the network gets (a click, a
move of such a point) asks for no render at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

from gui.preferences import Preferences
from gui.worker import InferenceWorker
from gui.workitems import OpenedPhoto, RenderResult
from model.colour.enhance import EnhanceSettings
from model.finish import Finish
from model.hints.document import Hints
from model.inference import Prediction, working_shape

if TYPE_CHECKING:
    from gui.mainwindow import MainWindow

# Restarts of a worker thread that died, between two delivered results; past this a restart
# loop is likelier than bad luck, and the user is asked to save and restart instead.
MAX_WORKER_RESTARTS = 3


class RenderLink(QObject):
    """Sends the document to the worker and shows what comes back."""

    opened = Signal(object)  # OpenedPhoto: the photo asked for last is ready
    openFailed = Signal(str)
    answered = Signal()  # a new answer to the latest edit is on screen

    def __init__(self, win: MainWindow, worker: InferenceWorker) -> None:
        super().__init__(win)
        self.win = win
        self.worker = worker
        self.token = 0  # the photo asked for last
        self._generation = 0
        self.photo: OpenedPhoto | None = None
        self.prediction: Prediction | None = None  # of the result on screen
        self.shown_hints: Hints | None = None  # what the network had for it
        self._sent: tuple[int, Hints] | None = None  # the photo and hints asked for last
        self.last_latency_ms = 0.0  # request to finished preview, for the status bar
        self.last_result_refined = False
        self.last_result_draft = False  # the result on screen is a quick smaller-size draft
        self._deaths = 0
        self._sent_enhancement = EnhanceSettings()  # what the worker was last told

        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setTextVisible(False)
        self.busy.setToolTip("The network is working")
        self.busy.hide()
        self.latency_label = QLabel("")
        self.latency_label.setToolTip("Time from your last edit to the updated colours")
        self.device_label = QLabel("Device: starting…")
        self.device_label.setToolTip("Where the network runs (Preferences to change)")

        w = worker
        w.opened.connect(self._on_opened)
        w.openFailed.connect(self._on_open_failed)
        w.resultReady.connect(self._on_result)
        w.failed.connect(self._on_render_failed)
        w.notice.connect(self._on_notice)
        w.busyChanged.connect(self.busy.setVisible)
        w.deviceChanged.connect(self._on_device)
        w.died.connect(self._on_worker_died)

    @property
    def generation(self) -> int:
        """The newest render request's number."""
        return self._generation

    def status_widgets(self) -> list[QWidget]:
        """What the status bar shows of the network: busy, last latency, device."""
        return [self.busy, self.latency_label, self.device_label]

    # -- photos ----------------------------------------------------------------------------
    def open(self, source: Path | QImage, path: Path) -> None:
        """Have the worker read and prepare a photo (`source`: image data to write to path
        first); `opened` follows unless another photo is asked for meanwhile."""
        self.token += 1
        self.worker.open_photo(source, path, self.token)

    def _on_opened(self, photo: OpenedPhoto) -> None:
        if photo.token != self.token:
            return  # the user opened something else meanwhile
        self.photo = photo
        self.prediction = self.shown_hints = None
        self.opened.emit(photo)

    def _on_open_failed(self, token: int, message: str) -> None:
        if token == self.token:
            self.openFailed.emit(message)

    # -- rendering -------------------------------------------------------------------------
    def request(self, interim: bool = False) -> None:
        """Colour the document's network hints; interim: one step of a drag, more will
        follow."""
        doc = self.win.doc
        if doc.image is None or self.photo is None:
            return
        hints = doc.network_hints()
        self._generation += 1
        self._sent = (self.token, hints)
        self.worker.request(self._generation, self.token, hints, interim)

    def follow(self, interim: bool = False) -> None:
        """The document's hints changed: a render, unless the network gets what it got."""
        if self._sent != (self.token, self.win.doc.network_hints()):
            self.request(interim)

    def send_enhancement(self, settings: EnhanceSettings) -> None:
        """The worker follows the session's input enhancement."""
        if settings == self._sent_enhancement:
            return
        self._sent_enhancement = settings
        self.worker.set_enhancement(settings)
        if settings.active:
            self.win.statusBar().showMessage(f"Enhancing {settings.describe()}", 4000)

    def _on_result(self, res: RenderResult) -> None:
        canvas = self.win.canvas
        if res.token != self.token or res.generation < canvas.shown_generation:
            return  # another photo's, or older than what is shown: never step backwards
        first = res.generation != canvas.shown_generation
        self._deaths = 0
        self.prediction, self.shown_hints = res.prediction, res.hints
        canvas.set_result(res.image, res.generation)
        self.last_result_refined = res.refined
        label = self.latency_label
        if first:  # the edit's first visible answer is the latency that matters
            self.last_latency_ms = res.latency_ms
            self.answered.emit()
            what = "Draft" if res.draft else "Updated"
            label.setText(f"{what} in {res.latency_ms:.0f} ms")
        elif res.finished is not None:  # a pause's follow-up: says what changed, and what it took
            refined = res.finished is Finish.REFINE
            what = "Refined to the points" if refined else "Six views averaged"
            label.setText(f"{what} in {res.latency_ms / 1000:.1f} s")
        elif self.last_result_draft and not res.draft:  # the full-size answer to a draft
            label.setText(
                f"Updated in {res.latency_ms:.0f} ms (draft {self.last_latency_ms:.0f} ms)"
            )
            self.answered.emit()
        self.last_result_draft = res.draft is not None

    def _on_notice(self, message: str) -> None:
        self.win.statusBar().showMessage(message, 10000)

    def _on_device(self, name: str) -> None:
        self.device_label.setText(f"Device: {name}")

    def _on_render_failed(self, message: str) -> None:
        self.win.statusBar().showMessage(f"Update failed: {message}", 15000)

    def _on_worker_died(self, message: str) -> None:
        """The network thread was killed mid-job: start it again, unless it keeps dying."""
        self._deaths += 1
        self.worker.wait()  # died is its last signal; let run() return before starting again
        if self._deaths > MAX_WORKER_RESTARTS:
            self.busy.hide()
            self.win.error(
                "The colouring engine keeps failing",
                f"{message}\n\nYour colour hints are kept and autosaved, but nothing will be "
                "coloured any more in this session. Save the hints and restart Huebrush.",
            )
            return
        self.worker.start()
        self.win.statusBar().showMessage(
            f"The colouring engine stopped unexpectedly ({message}) and was restarted; "
            "your hints are unchanged.",
            15000,
        )
        self.request()

    # -- settings and shutdown -------------------------------------------------------------
    def apply_preferences(self, prefs: Preferences, reconfigure: bool) -> None:
        """The worker follows new preferences; `reconfigure`: a new device or resolution,
        which prepares the photo again."""
        worker = self.worker
        worker.drafts = prefs.drafts
        finish_changed = prefs.finish != worker.finish
        worker.finish = prefs.finish
        img = self.win.doc.image
        if reconfigure:
            worker.reconfigure(prefs.device, prefs.working_size)
            if self.photo is not None and img is not None:
                _, ww = working_shape(img.height, img.width, prefs.working_size)
                for view in self.win.canvas.views:
                    view.patch_scale = img.width / ww
            self.request()
        elif finish_changed and img is not None:
            self.request()  # finish the colours the new way now, or show one pass

    def shutdown(self) -> None:
        """Stop the worker thread."""
        if self.worker.isRunning():
            self.worker.stop()
