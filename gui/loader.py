"""Reading a photo in the background for the panels (the reference, a palette from a photo):
a 24 MP scan takes seconds to decode, and the window must stay live meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from model.io.errors import ImageLoadError


class LatestLoader(QObject):
    """Runs `work(path)` in a thread of its own for each request; only the newest request's
    result or failure is reported (an older one still under way runs to its end unseen)."""

    loaded = Signal(str, object)  # path, what `work` returned
    failed = Signal(str, str)  # path, why

    def __init__(self, work: Callable[[str], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._latest = 0
        self._lock = threading.Lock()

    def load(self, path: str) -> None:
        """Start on `path`; an earlier request still under way will not be reported."""
        with self._lock:
            self._latest += 1
            token = self._latest
        threading.Thread(target=self._run, args=(path, token), daemon=True).start()

    def _run(self, path: str, token: int) -> None:
        try:
            result = self._work(path)
        except Exception as err:  # a thread's exception would leave the panel waiting
            if token == self._latest:
                named = isinstance(err, ImageLoadError)  # its text already says what failed
                self.failed.emit(path, str(err) if named else f"{type(err).__name__}: {err}")
            return
        if token == self._latest:  # signals cross to the GUI thread queued
            self.loaded.emit(path, result)
