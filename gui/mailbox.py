"""The inference worker's inbox: what the GUI thread asks for, and which job runs next.

Each kind of request has a single-slot mailbox: a newer one replaces one still waiting
(superseded), except exports, which queue and are never dropped. Screen work is taken first,
in an order where a new device or photo makes older renders meaningless. A deferred job (the
full-size update after a draft, the sharp preview, the finish) runs only after a quiet spell
without newer work, and background work (suggestions) only when nothing else waits.

Plain threading, no Qt and no network: gui.worker runs what `next_job` hands it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gui.workitems import ExportJob, RenderRequest, SuggestRequest
from model.colour.enhance import EnhanceSettings
from model.hints.document import Hints

Job = tuple[str, Any]  # (kind, argument): the worker runs it as _do_<kind>(argument)
# ("final", delay, RenderRequest) after a draft, ("refine", delay, render args + prediction)
# for the sharp preview, or ("finish", delay, (generation, token, hints)) once the user pauses.
Deferred = tuple[str, float, Any]


class Mailbox:
    """The requests waiting for the worker thread, guarded by one lock."""

    def __init__(self, config: tuple[str, int]) -> None:
        self._cond = threading.Condition()
        self._stopping = False
        self._config: tuple[str, int] | None = config
        self._enhance_pending: EnhanceSettings | None = None
        self._enhance = EnhanceSettings()  # the setting taken last
        self._open: tuple[Any, Path | None, int] | None = None
        self._render: RenderRequest | None = None
        self._settled = 0  # drags ended up to this generation (see settle)
        self._deferred: Deferred | None = None  # one at a time, after its quiet spell
        self._spell: tuple[object, float] | None = None  # the deferred job and its deadline
        self._exports: list[ExportJob] = []
        self._suggest: SuggestRequest | None = None
        # Written under the lock, read anywhere.
        self.latest_generation = 0
        self.superseded = 0

    # -- requests (GUI thread) -----------------------------------------------------------
    def open_photo(self, source: Any, path: Path | None, token: int) -> None:
        """Load (if a path) and prepare a photo; replaces any photo still waiting."""
        with self._cond:
            self._open = (source, path, token)
            self._cond.notify()

    def request(self, generation: int, token: int, hints: Hints, interim: bool = False) -> None:
        """Render `hints` on photo `token`; a still-pending older request is discarded.

        interim: a step of a drag, which is drafted where full updates are slow.
        """
        with self._cond:
            if self._render is not None:
                self.superseded += 1
            self.latest_generation = max(self.latest_generation, generation)
            self._render = RenderRequest(generation, token, hints, time.perf_counter(), interim)
            self._cond.notify()

    def settle(self, generation: int) -> None:
        """A drag ended at `generation`: its full-size update need not wait for a pause."""
        with self._cond:
            self._settled = max(self._settled, generation)
            deferred = self._deferred
            if deferred is not None and deferred[0] == "final":
                self._deferred = ("final", 0.0, deferred[2])
                self._cond.notify()

    def export(self, job: ExportJob) -> None:
        """Queue a full-resolution export (exports are never dropped)."""
        with self._cond:
            self._exports.append(job)
            self._cond.notify()

    def reconfigure(self, device: str, working_size: int) -> None:
        """Use a new device / working resolution; the current photo is prepared again."""
        with self._cond:
            self._config = (device, working_size)
            self._cond.notify()

    @property
    def enhancement(self) -> EnhanceSettings:
        """The enhancement the network sees, or will once the queued change is done."""
        with self._cond:
            return self._enhance_pending or self._enhance

    def set_enhancement(self, settings: EnhanceSettings) -> None:
        """Enhance the lightness the network sees (the photo is prepared again)."""
        with self._cond:
            self._enhance_pending = settings
            self._cond.notify()

    def request_suggestions(self, req: SuggestRequest) -> None:
        """Work out suggestions when nothing on screen waits; a newer request replaces it."""
        with self._cond:
            self._suggest = req
            self._cond.notify()

    def stop(self) -> None:
        """Hand out no more jobs (pending requests are discarded)."""
        with self._cond:
            self._stopping = True
            self._cond.notify()

    # -- the worker thread ---------------------------------------------------------------
    @property
    def deferred(self) -> Deferred | None:
        """The job waiting for its quiet spell, if any."""
        return self._deferred

    @property
    def suggestion(self) -> SuggestRequest | None:
        """The request for suggestions still waiting, if any."""
        return self._suggest

    def defer(self, kind: str, delay: float, arg: Any) -> None:
        """Run `kind` with `arg` after `delay` s without newer work (replaces any other)."""
        with self._cond:
            self._deferred = (kind, delay, arg)

    def defer_final(self, req: RenderRequest, delay: float) -> None:
        """The full-size update after a draft of `req`: after `delay` while its drag goes
        on, at once for a single edit or a drag already ended (settle)."""
        with self._cond:
            settled = not req.interim or req.generation <= self._settled
            self._deferred = ("final", 0.0 if settled else delay, req)

    def has_work(self) -> bool:
        """Screen work is waiting (what stops a finish between its passes)."""
        return bool(
            self._config or self._enhance_pending or self._open or self._exports or self._render
        )

    def next_job(self, views_pending: Callable[[], bool], idle: Callable[[], None]) -> Job | None:
        """Wait for work; a deferred job (final, refine, finish) runs only after its quiet
        spell, during which a finish's views are prepared (while `views_pending`). `idle` is
        called, under the lock, before waiting with nothing at all to do.

        None: stop.
        """
        with self._cond:
            while not self._stopping and not self.has_work():
                deferred = self._deferred
                if deferred is not None:
                    # The spell counts from when this job was deferred: a wake-up that brings
                    # no screen work (a request for suggestions), or the views prepared
                    # meanwhile, must not cut it short or draw it out.
                    if self._spell is None or self._spell[0] is not deferred:
                        self._spell = (deferred, time.monotonic() + deferred[1])
                    remaining = self._spell[1] - time.monotonic()
                    if remaining > 0:
                        if deferred[0] == "finish" and views_pending():
                            return "views", None
                        self._cond.wait(remaining)
                        continue
                    self._deferred = None
                    return deferred[0], deferred[2]
                # Background work: after the screen's, and after its quiet spell.
                if self._suggest is not None:
                    job, self._suggest = ("suggest", self._suggest), None
                    return job
                idle()
                self._cond.wait()
            if self._stopping:
                return None
            self._deferred = None  # newer work makes it stale
            return self._take()

    def _take(self) -> Job:
        # Order matters: a new device or photo makes older renders meaningless.
        if self._config is not None:
            job, self._config = ("config", self._config), None
        elif self._enhance_pending is not None:
            # Taken under the lock, so `enhancement` never reports the old setting meanwhile.
            self._enhance = self._enhance_pending
            job, self._enhance_pending = ("enhance", self._enhance_pending), None
        elif self._open is not None:
            job, self._open = ("open", self._open), None
        elif self._exports:
            job = ("export", self._exports.pop(0))
        else:
            job, self._render = ("render", self._render), None
        return job
