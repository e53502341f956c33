"""Breaking the inference worker in the middle of a render: the session must survive.

Two ways a render can go wrong while the network runs: the engine raises (out of memory here),
or the worker thread itself is killed (an asynchronous exception, as a dying thread gets). In
both the window must stay up, say what happened, keep the document and the autosaved
recovery file, and render the next edit.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator

import pytest
from guihelpers import TIMEOUT_MS, UnexpectedDialog, open_photo, wait_rendered

from gui.mainwindow import MainWindow
from model.hints.document import Hints


class ThreadKilled(BaseException):
    """Injected into the worker thread; BaseException, so `except Exception` cannot stop it."""


def kill_thread(ident: int, exc: type[BaseException] = ThreadKilled) -> None:
    """Raise exc asynchronously in the Python thread `ident` (where it next runs bytecode)."""
    done = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc))
    assert done == 1, "the worker thread was not found"


class StuckPredict:
    """Patches the worker's Colorizer.predict: the next call blocks until released.

    While it is blocked the test edits the document (the worker is mid-inference); on release
    the call either raises `fail_with` or, when None, carries on. Later calls are normal.
    """

    def __init__(self, window: MainWindow, fail_with: BaseException | None) -> None:
        self.colorizer = window.worker._colorizer
        self.real = self.colorizer.predict
        self.fail_with = fail_with
        self.entered = threading.Event()
        self.release = threading.Event()
        self.thread_ident = 0
        self.armed = True

    def __call__(self, prep, hints):
        if self.armed:
            self.armed = False
            self.thread_ident = threading.get_ident()
            self.entered.set()
            # Short waits keep the thread running bytecode, so an async exception lands here.
            while not self.release.wait(0.005):
                pass
            if self.fail_with is not None:
                raise self.fail_with
        return self.real(prep, hints)

    def install(self) -> None:
        self.colorizer.predict = self

    def remove(self) -> None:
        self.colorizer.predict = self.real


@pytest.fixture
def stuck(window: MainWindow) -> Iterator[Callable[[BaseException | None], StuckPredict]]:
    made: list[StuckPredict] = []

    def make(fail_with: BaseException | None) -> StuckPredict:
        s = StuckPredict(window, fail_with)
        s.install()
        made.append(s)
        return s

    yield make
    for s in made:
        s.release.set()
        s.remove()


def _edit_while_stuck(qtbot, window: MainWindow, s: StuckPredict) -> Hints:
    """Start a render that hangs in the network, edit more meanwhile; the expected hints."""
    window.doc.add_point(0.25, 0.25, (30.0, -20.0))
    qtbot.waitUntil(s.entered.is_set, timeout=TIMEOUT_MS)
    window.doc.add_point(0.75, 0.6, (-25.0, 40.0), 7)
    window.doc.set_saturation(0.35)
    hints = window.doc.hints
    recovery = window.files.recovery
    # The autosave runs on the GUI thread, so it works while the network is stuck.
    qtbot.waitUntil(
        lambda: recovery.path.is_file() and Hints.from_json(recovery.path) == hints,
        timeout=TIMEOUT_MS,
    )
    return hints


def _assert_session_intact(window: MainWindow, photo, hints: Hints) -> None:
    assert window.isVisible()
    assert window.doc.path == photo and window.doc.image is not None
    assert window.doc.hints == hints
    assert window.doc.dirty
    found = window.files.recovery.read()
    assert found is not None and found.image_path == photo.resolve()
    assert found.hints == hints


def _renders_again(qtbot, window: MainWindow) -> None:
    before = window.canvas.shown_generation
    window.doc.move_point(0, 0.3, 0.35)
    wait_rendered(qtbot, window)
    assert window.canvas.shown_generation > before
    assert window.worker.isRunning()


def test_engine_failure_mid_inference(qtbot, window, photo, stuck) -> None:
    window.files.autosave_timer.setInterval(20)
    open_photo(qtbot, window, photo)
    s = stuck(MemoryError())
    hints = _edit_while_stuck(qtbot, window, s)

    with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT_MS) as blocker:
        s.release.set()
    assert "memory" in blocker.args[0].lower()
    assert window.statusBar().currentMessage().startswith("Update failed: Out of memory")
    _assert_session_intact(window, photo, hints)
    # The edits queued behind the failed render were not lost: the newest one is shown.
    wait_rendered(qtbot, window)
    _renders_again(qtbot, window)
    _assert_session_intact(window, photo, window.doc.hints)


def test_worker_thread_killed_mid_inference(qtbot, window, photo, stuck) -> None:
    window.files.autosave_timer.setInterval(20)
    open_photo(qtbot, window, photo)
    s = stuck(None)
    hints = _edit_while_stuck(qtbot, window, s)
    dead = window.worker

    with qtbot.waitSignal(window.worker.died, timeout=TIMEOUT_MS) as blocker:
        kill_thread(s.thread_ident)
    assert "ThreadKilled" in blocker.args[0]
    message = window.statusBar().currentMessage()
    assert "stopped unexpectedly" in message and "restarted" in message
    assert window.worker is dead and window.worker.isRunning()  # same worker, same photo
    _assert_session_intact(window, photo, hints)
    wait_rendered(qtbot, window)  # the restart re-renders the current hints
    _renders_again(qtbot, window)
    _assert_session_intact(window, photo, window.doc.hints)


def test_worker_that_keeps_dying_is_given_up(qtbot, window, photo, monkeypatch) -> None:
    """No restart loop: after repeated deaths the user is told to save and restart."""
    open_photo(qtbot, window, photo)
    shown: list[str] = []
    monkeypatch.setattr(window, "error", lambda title, text: shown.append(f"{title}: {text}"))

    def always_dies(prep, hints):
        raise ThreadKilled("the network thread died")

    window.worker._colorizer.predict = always_dies
    window.doc.add_point(0.5, 0.5, (20.0, 20.0))
    qtbot.waitUntil(lambda: bool(shown), timeout=TIMEOUT_MS)
    assert "save" in shown[0].lower()
    assert not window.worker.isRunning()
    hints = window.doc.hints
    window.doc.add_point(0.1, 0.1, (5.0, 5.0))  # editing still works, nothing renders
    assert window.doc.hints != hints and window.isVisible()
    assert len(shown) == 1


def test_unexpected_dialog_fails_instead_of_hanging(qtbot, window) -> None:
    """The suite's guard (conftest): a modal dialog nobody expected raises, called directly
    or from a slot, so a faulty error path fails its test rather than stalling the run."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from gui.preferences import PreferencesDialog

    with pytest.raises(UnexpectedDialog, match="Render failed"):
        QMessageBox.warning(window, "Huebrush", "Render failed")
    with pytest.raises(UnexpectedDialog, match=r"QDialog\.exec"):
        PreferencesDialog(window.prefs, window).exec()
    with qtbot.captureExceptions() as raised:
        QTimer.singleShot(0, lambda: QMessageBox.critical(window, "Huebrush", "Export failed"))
        qtbot.waitUntil(lambda: bool(raised), timeout=TIMEOUT_MS)
    assert isinstance(raised[0][1], UnexpectedDialog)
