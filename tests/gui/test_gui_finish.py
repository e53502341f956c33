"""Finishing the colours when the user pauses (Preferences: six views, or the fit to the
points first), and exports that match what is shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from guihelpers import TIMEOUT_MS, open_photo, wait_rendered, wait_result
from PIL import Image
from PySide6.QtCore import QSettings

import gui.worker as worker_mod
from gui.preferences import Preferences, PreferencesDialog
from model.finish import DEFAULT_FINISH, Finish
from model.refine import DEFAULT_REFINE
from model.views import VIEWS, finished_prediction, unprepared_views, view_input


@contextmanager
def like_the_worker() -> Iterator[None]:
    """The worker's one thread: bf16 sums over another number of threads differ by ~0.01."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


POINTS = ((0.3, 0.3, (30.0, 30.0)), (0.7, 0.6, (-20.0, 10.0)), (0.5, 0.8, (0.0, -30.0)))
SAID = {Finish.VIEWS: "Six views averaged", Finish.REFINE: "Refined to the points"}
NOTED = {Finish.VIEWS: "averaged over six views", Finish.REFINE: "refined to the points"}


@pytest.mark.parametrize("finish", [Finish.VIEWS, Finish.REFINE])
def test_a_pause_finishes_the_colours_and_the_export_matches(
    qtbot, window, photo, tmp_path, monkeypatch, finish
) -> None:
    monkeypatch.setattr(worker_mod, "FINISH_DELAY_S", 0.0)
    open_photo(qtbot, window, photo)
    window.apply_preferences(dataclasses.replace(window.prefs, finish=finish))
    assert window.worker.finish is finish
    results = []
    window.worker.resultReady.connect(results.append)
    for x, y, ab in POINTS:
        window.doc.add_point(x, y, ab)
    gen, hints = window.render_link.generation, window.doc.hints
    worker = window.worker
    done = lambda: worker._finished_for(worker._token, hints) is not None  # noqa: E731
    qtbot.waitUntil(done, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: sum(r.generation == gen for r in results) >= 2, timeout=TIMEOUT_MS
    )  # the plain answer first, the finished one after the pause
    col, prep = worker._colorizer, worker._prep
    with like_the_worker():
        expected = finished_prediction(col, prep, hints, finish).ab  # seeded fit, same views
        one_view = col.predict(prep, hints, col.adapted_head(prep, hints, DEFAULT_REFINE)).ab
        plain = col.predict(prep, hints).ab
    last = [r for r in results if r.generation == gen][-1]
    assert last.finished is finish
    assert np.allclose(last.prediction.ab, expected, atol=1e-4)
    assert not np.allclose(last.prediction.ab, plain, atol=1e-6)
    assert not np.allclose(last.prediction.ab, one_view, atol=1e-6)  # averaged over views
    label = window.render_link.latency_label
    qtbot.waitUntil(lambda: SAID[finish] in label.text(), timeout=TIMEOUT_MS)
    out = tmp_path / "out.png"
    with qtbot.waitSignal(worker.exported, timeout=TIMEOUT_MS):
        window.exports.export(out)
    assert NOTED[finish] in Image.open(out).text["Description"]


def test_an_export_before_the_pause_is_over_finishes_and_shows_the_colours(
    qtbot, window, photo, tmp_path, monkeypatch
) -> None:
    # The pause never ends here, as when an export stops a finish under way.
    monkeypatch.setattr(worker_mod, "FINISH_DELAY_S", 3600.0)
    open_photo(qtbot, window, photo)
    assert window.worker.finish is DEFAULT_FINISH is Finish.VIEWS  # fresh settings
    results = []
    window.worker.resultReady.connect(results.append)
    for x, y, ab in POINTS:
        window.doc.add_point(x, y, ab)
    gen, hints, worker = window.render_link.generation, window.doc.hints, window.worker
    qtbot.waitUntil(lambda: any(r.generation == gen for r in results), timeout=TIMEOUT_MS)
    assert not any(r.finished for r in results)
    with qtbot.waitSignal(worker.exported, timeout=TIMEOUT_MS):
        window.exports.export(tmp_path / "out.png")
    qtbot.waitUntil(lambda: results[-1].finished is Finish.VIEWS, timeout=TIMEOUT_MS)
    with like_the_worker():
        expected = finished_prediction(worker._colorizer, worker._prep, hints, Finish.VIEWS).ab
    assert results[-1].generation == gen
    assert np.allclose(results[-1].prediction.ab, expected, atol=1e-4)
    assert np.allclose(window.render_link.prediction.ab, expected, atol=1e-4)  # on screen


def test_the_views_are_prepared_while_the_pause_runs(qtbot, window, photo, monkeypatch) -> None:
    # A pause that never ends: the views' features must be ready before it is over.
    monkeypatch.setattr(worker_mod, "FINISH_DELAY_S", 3600.0)
    open_photo(qtbot, window, photo)
    worker = window.worker
    qtbot.waitUntil(lambda: not worker._busy, timeout=TIMEOUT_MS)  # idle, nothing deferred
    prep = worker._prep
    assert len(unprepared_views(prep)) == len(VIEWS) - 1  # no points, no finish: none made
    results = []
    worker.resultReady.connect(results.append)
    window.doc.add_point(0.3, 0.3, (30.0, 30.0))
    qtbot.waitUntil(lambda: not unprepared_views(prep), timeout=TIMEOUT_MS)
    # The edit's answer came before the views were prepared, but this test's slot gets it
    # only once the GUI thread runs its queued call.
    wait_result(qtbot, results, window.render_link.generation)
    deferred = worker.mailbox.deferred
    assert deferred is not None and deferred[0] == "finish"  # still pausing
    assert not any(r.finished for r in results)
    cached = prep.cache["views"]
    fresh = dataclasses.replace(prep, cache={})
    with like_the_worker():
        for view in VIEWS[1:]:
            made = view_input(worker._colorizer, fresh, view)
            kept = cached[(view, prep.work_shape)]
            assert torch.equal(kept.L_work, made.L_work)
            if made.state is None:  # the tests' tiny network has no ImageNet branch
                assert kept.state is None
            else:
                assert kept.state is not None
                assert torch.allclose(kept.state.float(), made.state.float(), atol=1e-3)


def test_views_that_fail_to_prepare_are_left_to_the_finish(
    qtbot, window, photo, monkeypatch
) -> None:
    monkeypatch.setattr(worker_mod, "FINISH_DELAY_S", 0.3)
    calls = []

    def broken(*args: object) -> None:
        calls.append(args)
        raise MemoryError("no room for the views")

    monkeypatch.setattr(worker_mod, "view_input", broken)  # the finish keeps its own
    monkeypatch.setattr("traceback.print_exception", lambda err: None)
    open_photo(qtbot, window, photo)
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.add_point(0.3, 0.3, (30.0, 30.0))
    qtbot.waitUntil(lambda: any(r.finished for r in results), timeout=TIMEOUT_MS)
    assert len(calls) == 1  # tried once, not over and over while the pause lasted


def test_one_pass_is_not_followed_by_anything(qtbot, window, photo, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(worker_mod, "FINISH_DELAY_S", 0.0)
    open_photo(qtbot, window, photo)
    window.apply_preferences(dataclasses.replace(window.prefs, finish=Finish.PASS))
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.add_point(0.3, 0.3, (30.0, 30.0))
    hints, worker = window.doc.hints, window.worker
    wait_rendered(qtbot, window)
    with qtbot.waitSignal(worker.exported, timeout=TIMEOUT_MS):
        window.exports.export(tmp_path / "out.png")
    assert results[-1].hints == hints and not any(r.finished for r in results)
    with like_the_worker():
        plain = worker._colorizer.predict(worker._prep, hints).ab
    assert np.allclose(results[-1].prediction.ab, plain, atol=1e-6)
    assert "six views" not in Image.open(tmp_path / "out.png").text["Description"]


def test_the_finish_is_remembered_and_the_old_switch_still_read(tmp_path) -> None:
    def settings(name: str) -> QSettings:
        return QSettings(str(tmp_path / name), QSettings.Format.IniFormat)

    assert Preferences.load(settings("none.ini")).finish is DEFAULT_FINISH
    old = settings("old.ini")
    old.setValue("adapt", "true")  # the refinement's on/off switch before the finish
    assert Preferences.load(old).finish is Finish.REFINE
    Preferences(finish=Finish.PASS).save(old)
    old.sync()
    again = settings("old.ini")
    assert Preferences.load(again).finish is Finish.PASS and again.value("adapt") is None
    bad = settings("bad.ini")
    bad.setValue("finish", "sparkle")
    assert Preferences.load(bad).finish is DEFAULT_FINISH
    dialog = PreferencesDialog(Preferences(finish=Finish.REFINE))
    assert dialog.preferences().finish is Finish.REFINE
    dialog.finish.setCurrentIndex(dialog.finish.findData(Finish.VIEWS.value))
    assert dialog.preferences().finish is Finish.VIEWS
