"""Helpers of the tests that try the batch CLI as a careless or hostile user would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gui.recovery import RecoveryStore
from model.hints.document import Hints, Point

needs_posix = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "mkfifo"), reason="FIFOs, signals and /dev"
)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in the block after `seconds` (main thread, POSIX): a call that
    blocks, like opening a FIFO nobody writes to, fails the test instead of hanging it."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def grey_photo(path: Path, h: int = 32, w: int = 48, value: int | None = None) -> Path:
    """A small grey gradient (or flat `value`) photo in whatever format path's suffix says."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if value is None:
        arr = np.tile(np.linspace(40, 220, w).astype(np.uint8), (h, 1))
    else:
        arr = np.full((h, w), value, np.uint8)
    Image.fromarray(arr).save(path)
    return path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every regular file under folder: content and mode (what 'untouched' means)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            out[str(p.relative_to(folder))] = (p.read_bytes(), p.stat().st_mode)
    return out


def recovery_session(store: RecoveryStore, photo: Path) -> dict:
    """A recovery file of one point on photo, as the app writes it; its document."""
    store.write(photo, Hints((Point(0.5, 0.5, (20.0, 30.0), 5),)))
    return json.loads(store.path.read_text())


def spoil_recovery(kind: str, store: RecoveryStore, photo: Path) -> None:
    """Leave store's recovery file in a state the probe found: truncated, from a newer
    version, with an unknown field, empty, naming a photo not there, a folder or a FIFO."""
    doc = recovery_session(store, photo)
    if kind == "truncated":
        store.path.write_bytes(store.path.read_bytes()[:40])
    elif kind == "newer version":
        store.path.write_text(json.dumps({**doc, "version": 2}))
    elif kind == "unknown field":
        store.path.write_text(json.dumps({**doc, "layers": []}))
    elif kind == "empty":
        store.path.write_bytes(b"")
    elif kind == "photo not there":
        store.path.write_text(json.dumps({**doc, "meta": {"image": "/media/gone/photo.jpg"}}))
    elif kind == "a folder":
        store.path.unlink()
        store.path.mkdir()
        (store.path / "inside").write_text("x")
    elif kind == "a FIFO":
        store.path.unlink()
        os.mkfifo(store.path)
