"""A batch of photos as a pipeline: each stage (load, network, render and write) on a thread
of its own, so that while one photo is rendered and written the next one is coloured by the
network and the one after it is read. Photos come out in their order, each once, with the
value of its last stage or the error of the stage that failed (the later stages skip it).

Stages run numpy, torch, Pillow and deflate code, which let go of the GIL. At most `in_flight`
photos are between reading and being handed back (default 2: one written while the next is
read and coloured), so memory holds two photos, never the batch. Messages that
libraries emit while a stage works on a photo can be routed to that photo (`current_notes`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

_END = object()
_POLL_S = 0.1
_NAME = "huebrush-stage"


@dataclass
class Job:
    """One item on its way through the stages."""

    item: Any
    value: Any
    error: Exception | None = None
    notes: list[str] = field(default_factory=list)


_current = threading.local()


def current_notes() -> list[str] | None:
    """The notes of the job this thread's stage is working on (None outside a stage)."""
    return getattr(_current, "notes", None)


def _apply(stage: Callable[[Any], Any], job: Job) -> None:
    _current.notes = job.notes
    try:
        job.value = stage(job.value)
    except Exception as e:  # the photo fails; the batch goes on
        job.error = e
    finally:
        _current.notes = None


class Pipeline:
    """Runs items through `stages` (each takes the previous stage's value; the first the
    item). threads=False runs them one after another in the calling thread."""

    def __init__(
        self, stages: Sequence[Callable[[Any], Any]], threads: bool = True, in_flight: int = 2
    ) -> None:
        self.stages = list(stages)
        self.threads = threads
        self.in_flight = max(1, in_flight)
        self._slots = threading.Semaphore(self.in_flight)
        self._stop = threading.Event()

    @property
    def stopped(self) -> bool:
        """True once `stop` was called: a stage may check it before starting long work."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Start no more work; what a stage is doing now still finishes."""
        self._stop.set()

    def run(self, items: Iterable[Any], poll: Callable[[], None] | None = None) -> Iterator[Job]:
        """Each item's Job, in order, once its stages are done. Closing the iterator early
        (or an exception in the caller, such as a signal) stops the pipeline and waits for
        the stages' current work to finish. poll runs every 0.1 s while the caller waits
        (e.g. to raise a signal that a stage held while it wrote)."""
        if not self.threads:
            yield from self._run_inline(items)
            return
        queues = [queue.Queue[Any](self.in_flight) for _ in range(len(self.stages) + 1)]
        workers = [threading.Thread(target=self._feed, args=(items, queues[0]), name=_NAME)]
        workers += [
            threading.Thread(target=self._work, args=(stage, queues[i], queues[i + 1]), name=_NAME)
            for i, stage in enumerate(self.stages)
        ]
        for w in workers:
            w.start()
        try:
            while (job := self._get(queues[-1], poll)) is not _END:
                yield job
                self._slots.release()  # done with: the next photo may be read
        finally:
            self.stop()
            for w in workers:
                w.join()

    def _run_inline(self, items: Iterable[Any]) -> Iterator[Job]:
        for item in items:
            if self.stopped:
                return
            job = Job(item, item)
            for stage in self.stages:
                if job.error is None:
                    _apply(stage, job)
            yield job

    def _feed(self, items: Iterable[Any], out: queue.Queue[Any]) -> None:
        for item in items:
            while not self._slots.acquire(timeout=_POLL_S):
                if self.stopped:
                    return
            if self.stopped or not self._put(out, Job(item, item)):
                return
        self._put(out, _END)

    def _work(
        self, stage: Callable[[Any], Any], into: queue.Queue[Any], out: queue.Queue[Any]
    ) -> None:
        while True:
            job = self._get(into)
            if job is _END:
                self._put(out, _END)
                return
            if self.stopped:
                return
            if job.error is None:
                _apply(stage, job)
            if not self._put(out, job):
                return

    def _get(self, q: queue.Queue[Any], poll: Callable[[], None] | None = None) -> Any:
        while True:
            try:
                return q.get(timeout=_POLL_S)
            except queue.Empty:
                if self.stopped:
                    return _END
                if poll is not None:
                    poll()

    def _put(self, q: queue.Queue[Any], value: Any) -> bool:
        while True:
            try:
                q.put(value, timeout=_POLL_S)
                return True
            except queue.Full:
                if self.stopped:
                    return False
