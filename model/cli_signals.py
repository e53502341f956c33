"""Ctrl+C and `kill` during a batch: stop cleanly, never leave a half-written file.

Outside a write, SIGINT or SIGTERM raises Interrupted at once (a photo being coloured is
dropped; nothing of it was written yet). Inside `writing()`, the signal is held until the
files being written are whole, and raised then. The caller prints what was done and exits
with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as shells expect.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None
)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; exit_status is what the process should exit with."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


class StopOnSignals:
    """Installs the handlers for the duration of a `with` block, then puts back the old ones
    (only in the main thread, where Python runs signal handlers; elsewhere it does nothing)."""

    def __init__(self) -> None:
        self._old: dict[int, Any] = {}
        self._writing = 0
        self._pending: int | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for s in _SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        # No lock here: the handler runs between two bytecodes of the main thread, which may
        # hold it. An int store is atomic, and check() runs after every write anyway.
        if self._writing:
            self._pending = self._pending or signum
        else:
            raise Interrupted(signum)

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold signals while the block writes; after it, raise Interrupted if one came (in
        the main thread; a write in another thread leaves it to the main thread's check())."""
        with self._lock:
            self._writing += 1
        try:
            yield
        finally:
            with self._lock:
                self._writing -= 1
            if threading.current_thread() is threading.main_thread():
                self.check()

    def check(self) -> None:
        """Raise Interrupted if a signal came while writing and no write is left."""
        with self._lock:
            if self._writing or self._pending is None:
                return
            signum, self._pending = self._pending, None
        raise Interrupted(signum)
