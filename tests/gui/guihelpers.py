"""Helpers for the GUI tests: waiting for renders and mouse input at photo coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from gui.imageview import ImageView
from gui.mainwindow import MainWindow

TIMEOUT_MS = 10_000
NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


class UnexpectedDialog(AssertionError):
    """A modal dialog no test asked for (conftest): offscreen, nobody could ever close it."""


def gradient(h: int = 96, w: int = 128) -> np.ndarray:
    """A grey test photo with structure in both directions (uint8)."""
    y, x = np.mgrid[0:h, 0:w]
    g = 40 + 150 * x / (w - 1) + 40 * np.sin(y / 7.0)
    return np.clip(g, 0, 255).astype(np.uint8)


def wait_rendered(qtbot, win: MainWindow) -> None:
    """Until the newest request's result has been painted."""
    link = win.render_link
    qtbot.waitUntil(
        lambda: link.generation > 0 and win.canvas.shown_generation == link.generation,
        timeout=TIMEOUT_MS,
    )


def wait_result(qtbot, results: list, generation: int) -> None:
    """Until a test's own list (fed by resultReady) holds a result of `generation`.

    wait_rendered is not enough for such a list: each connection gets its own queued call,
    so the window may have painted the result before the test's slot has run.
    """
    qtbot.waitUntil(lambda: any(r.generation == generation for r in results), timeout=TIMEOUT_MS)


def open_photo(qtbot, win: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(win.doc.imageChanged, timeout=TIMEOUT_MS):
        assert win.files.open_photo(path)
    wait_rendered(qtbot, win)


def at(view: ImageView, fx: float, fy: float) -> QPoint:
    """Viewport position of a fractional photo point."""
    return view.to_widget(fx, fy).toPoint()


def click(view: ImageView, fx: float, fy: float, button: Qt.MouseButton = LEFT) -> None:
    QTest.mouseClick(view, button, NO_MOD, at(view, fx, fy))


def drag(
    view: ImageView, start: tuple[float, float], end: tuple[float, float], steps: int = 4
) -> None:
    """Press at start, move in steps, release at end."""
    QTest.mousePress(view, LEFT, NO_MOD, at(view, *start))
    for i in range(1, steps + 1):
        t = i / steps
        fx = start[0] + (end[0] - start[0]) * t
        fy = start[1] + (end[1] - start[1]) * t
        QTest.mouseMove(view, at(view, fx, fy))
    QTest.mouseRelease(view, LEFT, NO_MOD, at(view, *end))
