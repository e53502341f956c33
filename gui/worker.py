"""All network work in one background thread; the newest request wins.

The GUI thread only posts requests into single-slot mailboxes (gui.mailbox, which also says
what runs next) and receives results through queued signals. Each render request carries a
generation number: a pending request is replaced by a newer one (superseded). Per-photo work
(reading it, Colorizer.prepare, which caches the network's photo state) is done once when the
photo opens; the finish's other views are prepared one at a time in the pause before it, so
each edit costs only the per-edit pass. A result finished after a newer request came in is
still shown, as it is newer than what is on screen: during a drag the mouse sends a request
every few milliseconds, and dropping every overtaken result would show nothing until the
pointer rests. The view never steps backwards, as results are computed and delivered in
order; only the optional follow-ups (the full-size update after a draft, the sharp preview)
are dropped once a newer request is waiting.
"""

from __future__ import annotations

import time
import traceback
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtGui import QImage

from gui.colours import rgb_to_qimage
from gui.drafts import draft_size, scaled_points
from gui.mailbox import Job, Mailbox
from gui.preview import FastPreview, lab_to_srgb8, needs_refining, preview_plane, refined_preview
from gui.workitems import (
    ColorizerFactory,
    ExportJob,
    OpenedPhoto,
    RenderRequest,
    RenderResult,
    SuggestRequest,
    describe_error,
    export_note,
)
from model.colour.bins import N_BINS, top_modes
from model.colour.enhance import EnhanceSettings
from model.finish import Finish
from model.hints.document import Hints, sidecar_path
from model.inference import Colorizer, Prediction, Prepared, suggestions_at
from model.io.errors import ImageLoadError
from model.io.load import load_image
from model.io.pixels import LoadedImage
from model.io.save import SIXTEEN_BIT_SUFFIXES, save_image
from model.network.weights import WeightsError
from model.views import View, finished_prediction, unprepared_views, view_input

# Qt's PNG "quality" is the inverse of zlib's effort: at 80 a pasted 24 MP image took 1.6 s
# (18 MB), at the default 5.7 s (13 MB); the file is a temporary copy.
PASTED_PNG_QUALITY = 80
# The first answer to an edit is drawn at about what a fitted view shows; converting all
# 2 MP of a big scan's preview took ~100 ms per edit. The sharp copy follows on a pause.
FAST_PIXELS = 600_000
REFINE_DELAY_S = 0.2  # quiet time before the slower edge-aware preview is computed
FINISH_DELAY_S = 0.5  # and before the colours are finished (model.views)
FINAL_DELAY_S = 0.25  # during a drag: the full update waits for the pointer to rest


def grey_preview(L: np.ndarray) -> QImage:
    """Lightness shown as the sRGB grey the colour view would have with no colour."""
    return rgb_to_qimage(lab_to_srgb8(L, np.zeros((*L.shape, 2), dtype=np.float32)))


def keep_pasted(image: QImage, path: Path) -> None:
    """Write pasted image data to `path` as PNG, which the photo is then opened from (and
    recovered from after a crash)."""
    if not image.save(str(path), "PNG", PASTED_PNG_QUALITY):
        raise ImageLoadError(f"{path.name}: could not keep a copy of it in {path.parent}")


def _is_device_failure(err: BaseException, colorizer: Colorizer) -> bool:
    return isinstance(err, RuntimeError) and colorizer.device.type == "cuda"


class InferenceWorker(QThread):
    """Owns the Colorizer and runs prepare/predict/render/export off the GUI thread."""

    opened = Signal(object)  # OpenedPhoto
    openFailed = Signal(int, str)  # token, message
    resultReady = Signal(object)  # RenderResult
    exported = Signal(str)  # output path
    exportFailed = Signal(str)
    failed = Signal(str)  # a render failed; the app keeps the last good result
    notice = Signal(str)  # e.g. the switch from GPU to CPU
    busyChanged = Signal(bool)
    deviceChanged = Signal(str)
    died = Signal(str)  # the thread was killed mid-job (see run); the owner may start it again
    suggestionsReady = Signal(object, object)  # SuggestRequest.key, [(ab, probability)]

    def __init__(
        self,
        factory: ColorizerFactory,
        device: str = "auto",
        working_size: int = 256,
        threads: int | None = None,
        parent: QObject | None = None,
        drafts: bool = True,
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._threads = threads
        self.drafts = drafts  # read by the worker; a plain bool is safe to flip from the GUI
        # How the colours of a photo with points are finished once the user pauses
        # (model.views); exports are finished the same way, so they match what is shown.
        self.finish = Finish.PASS
        self.mailbox = Mailbox((device, working_size))
        self._views_failed: Prepared | None = None  # its views failed to prepare: the finish tries
        self._busy = False
        # Thread-owned state: touched only inside run().
        self._colorizer: Colorizer | None = None
        self._prep: Prepared | None = None
        self._work: LoadedImage | None = None  # what the network sees (enhanced, if asked)
        self._draft_prep: tuple[int, Prepared] | None = None  # (size, _work at it), lazily
        self._full_ms: deque[float] = deque(maxlen=3)  # the last full predictions' times
        # (token, hints, finish, prediction) of the last finish (model.views).
        self._finished: tuple[int, Hints, Finish, Prediction] | None = None
        self._shown: tuple[int, int, Hints] | None = None  # generation, token, hints delivered
        self._image: LoadedImage | None = None  # as opened; _prep may hold an enhanced copy
        self._enhance = EnhanceSettings()
        self._out_L: np.ndarray | None = None  # the L results are rendered with; None: _prep's
        self._shown_L: np.ndarray | None = None  # the full-size L behind _preview_L
        self._token = -1
        self._preview_L: np.ndarray | None = None
        self._fast: FastPreview | None = None
        # Counters for the status bar and tests (written by the worker, read anywhere).
        self.last_delivered = 0
        self.delivered = 0
        self.dropped = 0
        self.overtaken = 0  # results shown although a newer request was already waiting

    # -- requests (GUI thread): see gui.mailbox -----------------------------------------
    def open_photo(self, source: Any, path: Path | None, token: int) -> None:
        self.mailbox.open_photo(source, path, token)

    def request(self, generation: int, token: int, hints: Hints, interim: bool = False) -> None:
        self.mailbox.request(generation, token, hints, interim)

    def settle(self, generation: int) -> None:
        self.mailbox.settle(generation)

    def export(self, job: ExportJob) -> None:
        self.mailbox.export(job)

    def reconfigure(self, device: str, working_size: int) -> None:
        self.mailbox.reconfigure(device, working_size)

    @property
    def enhancement(self) -> EnhanceSettings:
        return self.mailbox.enhancement

    def set_enhancement(self, settings: EnhanceSettings) -> None:
        self.mailbox.set_enhancement(settings)

    def request_suggestions(self, req: SuggestRequest) -> None:
        self.mailbox.request_suggestions(req)

    @property
    def latest_generation(self) -> int:
        """The newest render request's generation."""
        return self.mailbox.latest_generation

    @property
    def superseded(self) -> int:
        """Render requests replaced while they waited."""
        return self.mailbox.superseded

    def stop(self) -> None:
        """Finish the current job, then end the thread (pending requests are discarded)."""
        self.mailbox.stop()
        self.wait()

    # -- the thread ----------------------------------------------------------------------
    def run(self) -> None:
        current: Job = ("render", None)
        try:
            if self._threads:
                torch.set_num_threads(self._threads)
            while True:
                job = self.mailbox.next_job(lambda: bool(self._views_to_prepare()), self._idle)
                if job is None:
                    return
                current = job
                if not self._busy:
                    self._busy = True
                    self.busyChanged.emit(True)
                self._run_guarded(job)
        except BaseException as err:  # SystemExit, an async exception: the thread is dying
            # Re-raising would only make Qt print it. Report the job like any failure and let
            # the owner restart the thread; the photo and network stay prepared.
            self._report(*current, err)
            name, text = type(err).__name__, describe_error(err)
            self.died.emit(text if text == name else f"{name}: {text}")

    def _idle(self) -> None:
        if self._busy:
            self._busy = False
            self.busyChanged.emit(False)

    def _run_guarded(self, job: Job) -> None:
        kind, arg = job
        handler = getattr(self, f"_do_{kind}")
        for attempt in (0, 1):
            try:
                handler(arg)
                return
            except Exception as err:  # the worker must outlive any failure
                colorizer = self._colorizer
                if (
                    attempt == 0
                    and colorizer is not None
                    and _is_device_failure(err, colorizer)
                    and self._fall_back_to_cpu(err)
                ):
                    continue
                self._report(kind, arg, err)
                return

    def _report(self, kind: str, arg: Any, err: BaseException) -> None:
        traceback.print_exception(err)
        msg = describe_error(err)
        if isinstance(err, WeightsError):
            msg = f"the network weights could not be loaded ({msg})"
        if kind == "open":
            self.openFailed.emit(arg[2], msg)
        elif kind == "export":
            self.exportFailed.emit(msg)
        elif kind == "views":
            self._views_failed = self._prep  # not again for it: the finish makes its own
        elif kind in ("suggest", "finish"):
            pass  # background work: the screen keeps what it has; the renders report failures
        else:
            self.failed.emit(msg)

    def _fall_back_to_cpu(self, err: BaseException) -> bool:
        """After a GPU failure, continue on the CPU with the same photo; False if that fails."""
        assert self._colorizer is not None
        try:
            size = self._colorizer.working_size
            self._colorizer = self._factory("cpu", size)
            self._full_ms.clear()
            self._prepare_again()
        except Exception:
            return False
        self.notice.emit(f"GPU failed ({describe_error(err)}); continuing on the CPU.")
        self.deviceChanged.emit(self._colorizer.device_name)
        return True

    def _need_colorizer(self) -> Colorizer:
        if self._colorizer is None:
            raise RuntimeError("no colouriser configured")
        return self._colorizer

    def _do_config(self, arg: tuple[str, int]) -> None:
        device, size = arg
        try:
            self._colorizer = self._factory(device, size)
        except RuntimeError as err:  # e.g. CUDA asked for but absent
            self.notice.emit(f"{describe_error(err)}; using the CPU.")
            self._colorizer = self._factory("cpu", size)
        self._full_ms.clear()
        self.deviceChanged.emit(self._colorizer.device_name)
        self._prepare_again()

    def _do_enhance(self, settings: EnhanceSettings) -> None:
        self._enhance = settings
        self._prepare_again()

    def _prepare(self, image: LoadedImage) -> None:
        """Prepare `image` (enhanced as set) for the network, and the preview of its L."""
        work = self._enhance.network_input(image)
        self._prep = self._need_colorizer().prepare(work)
        self._finished = None  # of the old preparation
        self._work, self._draft_prep = work, None
        self._image = image
        self._out_L = self._enhance.output_lightness(image, work)
        shown = work.L if self._out_L is None else self._out_L
        if shown is not self._shown_L:  # the preview follows only a change of lightness
            self._shown_L = shown
            self._preview_L = preview_plane(shown)
            self._fast = FastPreview(preview_plane(self._preview_L, FAST_PIXELS))

    def _prepare_again(self) -> None:
        if self._image is not None:
            self._prepare(self._image)

    def _do_open(self, arg: tuple[Any, Path | None, int]) -> None:
        source, path, token = arg
        t0 = time.perf_counter()
        if isinstance(source, QImage):  # pasted: written out here, off the GUI thread
            assert path is not None
            keep_pasted(source, path)
            source = path
        image = source if isinstance(source, LoadedImage) else load_image(source)
        self._shown_L = None
        self._prepare(image)
        top_modes(np.full(N_BINS, 1.0 / N_BINS), 1)  # its tables (~0.4 s once), off the GUI thread
        self._token = token
        preview, prep = self._preview_L, self._prep
        assert preview is not None and prep is not None
        ms = (time.perf_counter() - t0) * 1000
        grey = grey_preview(preview)
        self.opened.emit(OpenedPhoto(token, image, path, preview, grey, prep.work_shape, ms))

    def _draft_size(self, interim: bool = True) -> int | None:
        if not self.drafts or not self._full_ms or self._colorizer is None:
            return None  # the first update of a configuration is full size, and timed
        return draft_size(min(self._full_ms), self._colorizer.working_size, interim)

    def _do_render(self, req: RenderRequest) -> None:
        fast = self._fast
        if (
            req.token != self._token
            or self._prep is None
            or self._preview_L is None
            or fast is None
        ):
            return  # meant for a photo that is no longer (or not yet) prepared
        size = self._draft_size(req.interim)
        if size is None:
            self._full(req)
            return
        pred = self._draft_predict(size, req.hints)
        overtaken = self._overtaken(req.generation)
        self._deliver(
            req.generation, req.token, req.hints, fast(pred.ab), pred, req.t0, False, size
        )
        if not overtaken:  # a drag's pointer may rest without a release: full size on a pause
            self.mailbox.defer_final(req, FINAL_DELAY_S)

    def _draft_predict(self, size: int, hints: Hints) -> Prediction:
        """A prediction at the smaller working size `size` (its preparation kept for reuse)."""
        colorizer = self._need_colorizer()
        if self._draft_prep is None or self._draft_prep[0] != size:
            assert self._work is not None
            self._draft_prep = (size, colorizer.prepare(self._work, size))
        prep = self._draft_prep[1]
        # Anchored before the sizes shrink: Keep the Rest's reach follows the full size.
        hints = colorizer.anchored(prep, hints)
        return colorizer.predict(prep, scaled_points(hints, size / colorizer.working_size))

    def _do_final(self, req: RenderRequest) -> None:
        if req.token == self._token and not self._stale(req.generation):
            self._full(req)

    def _full(self, req: RenderRequest) -> None:
        """The update at the full working size, timed to decide whether drafts are needed."""
        generation, token, hints, t0 = req.generation, req.token, req.hints, req.t0
        fast, L = self._fast, self._preview_L
        assert self._prep is not None and fast is not None and L is not None
        pred = self._finished_for(token, hints)  # shown again (an undo back to it): no pass
        if pred is None:
            start = time.perf_counter()
            pred = self._need_colorizer().predict(self._prep, hints)
            self._full_ms.append((time.perf_counter() - start) * 1000)
        refined = fast.shape == L.shape and not needs_refining(pred.ab, L)
        overtaken = self._overtaken(generation)
        self._deliver(generation, token, hints, fast(pred.ab), pred, t0, refined)
        if not refined and not overtaken:
            self.mailbox.defer("refine", REFINE_DELAY_S, (generation, token, hints, pred, t0))
        elif not overtaken:
            self._maybe_finish(generation, token, hints)

    def _finishing(self, hints: Hints) -> Finish:
        """How these hints' colours are finished now (a photo without points: one pass)."""
        return self.finish.applied(hints)

    def _finished_for(self, token: int, hints: Hints) -> Prediction | None:
        """The finished prediction for exactly these hints and the finish set, if done."""
        f = self._finished
        finish = self._finishing(hints)
        if finish is not Finish.PASS and f is not None and f[:3] == (token, hints, finish):
            return f[3]
        return None

    def _maybe_finish(self, generation: int, token: int, hints: Hints) -> None:
        """Queue the finish of these hints' colours, after a pause."""
        if self._finishing(hints) is not Finish.PASS and self._finished_for(token, hints) is None:
            self.mailbox.defer("finish", FINISH_DELAY_S, (generation, token, hints))

    def _do_finish(self, arg: tuple[int, int, Hints]) -> None:
        generation, token, hints = arg
        if token != self._token or self._prep is None or self._preview_L is None:
            return
        if self._stale(generation):
            return
        t0 = time.perf_counter()
        finish = self._finishing(hints)  # once: the GUI thread may change the setting
        if finish is Finish.PASS:
            return
        # Each step and view gives way to the user's next edit (a few hundred ms at most).
        pred = finished_prediction(
            self._need_colorizer(),
            self._prep,
            hints,
            finish,
            stop=lambda: self.mailbox.has_work() or generation < self.latest_generation,
        )
        if pred is None:
            return
        self._finished = (token, hints, finish, pred)
        if not self._stale(generation):
            self._deliver_finished(generation, token, hints, finish, pred, t0)

    def _deliver_finished(
        self, generation: int, token: int, hints: Hints, finish: Finish, pred: Prediction, t0: float
    ) -> None:
        assert self._preview_L is not None
        rgb = refined_preview(pred.ab, self._preview_L)
        self._deliver(generation, token, hints, rgb, pred, t0, True, finished=finish)

    def _views_to_prepare(self) -> list[View]:
        prep = self._prep
        return [] if prep is None or prep is self._views_failed else unprepared_views(prep)

    def _do_views(self, _arg: None) -> None:
        """Prepare one view of the photo while the pause before the finish runs, so the
        finish itself is only the passes (one view at a time: an edit waits for one)."""
        todo = self._views_to_prepare()
        if todo:
            assert self._prep is not None
            view_input(self._need_colorizer(), self._prep, todo[0])

    def _do_refine(self, arg: tuple[int, int, Hints, Prediction, float]) -> None:
        generation, token, hints, pred, t0 = arg
        if token != self._token or self._preview_L is None or self._stale(generation):
            return
        rgb = refined_preview(pred.ab, self._preview_L)
        if not self._stale(generation):
            self._deliver(generation, token, hints, rgb, pred, t0, True)
            self._maybe_finish(generation, token, hints)

    def _overtaken(self, generation: int) -> bool:
        """A newer request came in while this generation was computed."""
        if generation < self.latest_generation:
            self.overtaken += 1
            return True
        return False

    def _stale(self, generation: int) -> bool:
        """A follow-up of an overtaken generation: not worth computing or showing."""
        if generation < self.latest_generation:
            self.dropped += 1
            return True
        return False

    def _deliver(
        self,
        generation: int,
        token: int,
        hints: Hints,
        rgb: np.ndarray,
        pred: Prediction,
        t0: float,
        refined: bool,
        draft: int | None = None,
        finished: Finish | None = None,
    ) -> None:
        ms = (time.perf_counter() - t0) * 1000
        self.last_delivered = generation
        self._shown = (generation, token, hints)
        self.delivered += 1
        image = rgb_to_qimage(rgb)
        self.resultReady.emit(
            RenderResult(generation, token, hints, image, pred, ms, refined, draft, finished)
        )

    def _do_suggest(self, req: SuggestRequest) -> None:
        if req.token != self._token or self._prep is None:
            return  # another photo's
        # Where full updates are slow, at the drafts' size: a background job holds up the
        # next edit for as long as it runs, and the suggestions live on a coarse grid anyway.
        size = self._draft_size()
        if size is None:
            pred = self._need_colorizer().predict(self._prep, req.hints)
        else:
            pred = self._draft_predict(size, req.hints)
        self.suggestionsReady.emit(req.key, suggestions_at(pred, req.x, req.y, req.k))

    def _do_export(self, job: ExportJob) -> None:
        if job.token != self._token or self._prep is None:
            raise RuntimeError("the photo changed before the export started")
        colorizer = self._need_colorizer()
        image = self._image
        assert image is not None
        finish = self._finishing(job.hints)
        pred = self._finished_for(job.token, job.hints)
        if pred is None:  # what the app shows once the user pauses, finished if not yet
            t0 = time.perf_counter()
            pred = finished_prediction(colorizer, self._prep, job.hints, finish)
            assert pred is not None  # nothing to stop it
            if finish is not Finish.PASS:
                self._finished = (job.token, job.hints, finish, pred)
                # An export that came while the finish was under way stopped it: show it now.
                generation = self.latest_generation
                if self._shown == (generation, job.token, job.hints):  # still what is shown
                    self._deliver_finished(generation, job.token, job.hints, finish, pred, t0)
        # Full resolution, under the photo's own L (or the enhanced one, if asked for),
        # straight to the file's 8 or 16 bits: no float copy of a big scan.
        depth = job.bit_depth if job.path.suffix.lower() in SIXTEEN_BIT_SUFFIXES else 8
        rgb = colorizer.render(self._prep, pred, self._out_L, depth)
        save_image(
            job.path,
            rgb,
            bit_depth=job.bit_depth,
            alpha=image.alpha,
            icc_profile=job.icc_profile,
            metadata=export_note(colorizer, self._enhance, finish),
            photo_meta=job.photo_meta,
        )
        job.hints.to_json(sidecar_path(job.path))
        self.exported.emit(str(job.path))
