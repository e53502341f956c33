"""The background worker: latest request wins, failures are reported, previews are small."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from guihelpers import TIMEOUT_MS, open_photo, wait_rendered
from PIL import Image

import gui.worker as worker_mod
from gui.preview import PREVIEW_PIXELS, fast_preview, needs_refining, preview_plane, refined_preview
from model.hints.document import Hints, Point
from model.inference import resize_plane, to_uint8


def test_overtaken_results_show_progress_and_never_step_back(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    worker = window.worker
    colorizer = worker._colorizer
    real_predict = colorizer.predict
    entered, release = threading.Event(), threading.Event()

    def slow_first(prep, hints):
        if not entered.is_set():
            entered.set()
            release.wait(TIMEOUT_MS / 1000)  # hold the network until all edits are in
        return real_predict(prep, hints)

    colorizer.predict = slow_first
    delivered_before = worker.delivered
    shown: list[int] = []
    window.canvas.resultShown.connect(shown.append)
    try:
        window.doc.add_point(0.1, 0.1, (10.0, 10.0))
        qtbot.waitUntil(entered.is_set, timeout=TIMEOUT_MS)
        for i in range(20):
            window.doc.move_point(0, 0.1 + i * 0.04, 0.5, final=i == 19)
        release.set()
        wait_rendered(qtbot, window)
    finally:
        colorizer.predict = real_predict
    assert worker.last_delivered == window.render_link.generation == worker.latest_generation
    assert worker.overtaken >= 1  # the held render finished after newer requests
    assert worker.superseded >= 18  # the moves replaced each other while waiting
    # The held result is still newer than the screen, so it is shown (a drag would show
    # nothing otherwise), then the newest; none of the 18 superseded moves is computed.
    assert worker.delivered - delivered_before == 2
    assert len(shown) == 2 and shown[0] < shown[1] == window.render_link.generation


def test_worker_survives_an_exception_in_prediction(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    colorizer = window.worker._colorizer
    real_predict = colorizer.predict
    calls = {"n": 0}

    def fail_once(prep, hints):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom in the network")
        return real_predict(prep, hints)

    colorizer.predict = fail_once
    try:
        with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT_MS) as blocker:
            window.doc.add_point(0.5, 0.5, (20.0, 20.0))
        assert "boom" in blocker.args[0]
        assert "boom" in window.statusBar().currentMessage()
        window.doc.add_point(0.2, 0.2, (-20.0, 20.0))
        wait_rendered(qtbot, window)
    finally:
        colorizer.predict = real_predict
    assert window.worker.isRunning()


def test_out_of_memory_is_explained(qtbot, window, photo) -> None:
    open_photo(qtbot, window, photo)
    colorizer = window.worker._colorizer

    def oom(prep, hints):
        raise MemoryError

    colorizer.predict = oom
    failures: list[str] = []
    window.worker.failed.connect(failures.append)
    with qtbot.waitSignal(window.worker.failed, timeout=TIMEOUT_MS) as blocker:
        window.doc.add_point(0.5, 0.5, (20.0, 20.0))
    assert "memory" in blocker.args[0].lower()
    # The picker's suggestions fail too, silently: the user is told once per edit.
    qtbot.waitUntil(lambda: window.worker.mailbox.suggestion is None, timeout=TIMEOUT_MS)
    qtbot.wait(300)
    assert len(failures) == 1
    del colorizer.predict


def test_gpu_failure_falls_back_to_cpu(qtbot, window, photo, monkeypatch) -> None:
    open_photo(qtbot, window, photo)
    colorizer = window.worker._colorizer

    def cuda_error(prep, hints):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    colorizer.predict = cuda_error
    monkeypatch.setattr(worker_mod, "_is_device_failure", lambda err, c: c is colorizer)
    with qtbot.waitSignal(window.worker.notice, timeout=TIMEOUT_MS) as blocker:
        window.doc.add_point(0.5, 0.5, (20.0, 20.0))
    assert "CPU" in blocker.args[0]
    wait_rendered(qtbot, window)
    assert window.worker._colorizer is not colorizer


def test_preview_and_render_sizes(factory) -> None:
    big = np.random.default_rng(0).uniform(0, 100, (3000, 2000)).astype(np.float32)
    small = preview_plane(big)
    assert small.shape[0] * small.shape[1] <= PREVIEW_PIXELS
    assert small.shape[0] / small.shape[1] == pytest.approx(1.5, rel=0.01)

    colorizer = factory("cpu", 256)
    tiny = np.tile(np.linspace(0, 1, 40, dtype=np.float32), (30, 1))
    prep = colorizer.prepare(tiny)  # smaller than the network's working size
    pred = colorizer.predict(prep, Hints((Point(0.5, 0.5, (30.0, 30.0)),)))
    assert colorizer.render(prep, pred).shape == (30, 40, 3)
    assert fast_preview(pred.ab, prep.image.L).shape == (30, 40, 3)


def test_previews_match_the_core_render(factory) -> None:
    colorizer = factory("cpu", 128)
    y, x = np.mgrid[0:300, 0:400]
    grey = (0.5 + 0.45 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.float32)
    prep = colorizer.prepare(grey)
    pred = colorizer.predict(prep, Hints((Point(0.3, 0.3, (40.0, 50.0)),)))
    L = prep.image.L
    assert needs_refining(pred.ab, L)
    core = to_uint8(colorizer.render(prep, pred))
    assert np.abs(refined_preview(pred.ab, L).astype(int) - core).max() <= 2
    fast = fast_preview(pred.ab, L).astype(int)
    assert np.percentile(np.abs(fast - core), 50) <= 2  # bilinear differs only near edges


def test_big_preview_is_refined_when_idle(qtbot, window, tmp_path) -> None:
    y, x = np.mgrid[0:300, 0:400]
    path = tmp_path / "big.png"
    Image.fromarray((128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.uint8)).save(path)
    open_photo(qtbot, window, path)
    results: list[tuple[int, bool]] = []
    window.worker.resultReady.connect(lambda r: results.append((r.generation, r.refined)))
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))
    qtbot.waitUntil(lambda: (window.render_link.generation, True) in results, timeout=TIMEOUT_MS)
    assert results[0] == (window.render_link.generation, False)  # the quick look came first
    qtbot.waitUntil(lambda: window.render_link.last_result_refined, timeout=TIMEOUT_MS)


def test_fast_preview_matches_the_core_conversion() -> None:
    from gui.preview import FastPreview
    from model.colour.gamut import lab_to_rgb_keep_l

    rng = np.random.default_rng(3)
    L = rng.uniform(0, 100, (90, 120)).astype(np.float32)
    # Strong colours too, so the out-of-gamut branch (chroma cut at fixed L) is exercised.
    ab = rng.normal(0, 40, (23, 30, 2)).astype(np.float32)
    lab = np.concatenate([L[..., None], resize_plane(ab, *L.shape)], -1)
    want = to_uint8(lab_to_rgb_keep_l(lab)).astype(int)
    got = FastPreview(L)(ab).astype(int)
    diff = np.abs(got - want)
    assert np.percentile(diff, 99.9) <= 1
    # The preview cuts chroma by a boundary table, the core by bisection; they part only
    # at the gamut's sharp corners, for a few pixels in ten thousand.
    assert np.mean(diff > 2) < 1e-3


def test_big_scan_answers_small_then_sharp(qtbot, window, tmp_path, monkeypatch) -> None:
    # The quick look of a big scan is drawn at about view size; the sharp one follows.
    monkeypatch.setattr(worker_mod, "FAST_PIXELS", 20_000)
    y, x = np.mgrid[0:300, 0:400]
    path = tmp_path / "scan.png"
    Image.fromarray((128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.uint8)).save(path)
    open_photo(qtbot, window, path)
    sizes: list[tuple[bool, int]] = []
    window.worker.resultReady.connect(
        lambda r: sizes.append((r.refined, r.image.width() * r.image.height()))
    )
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))
    qtbot.waitUntil(lambda: any(refined for refined, _ in sizes), timeout=TIMEOUT_MS)
    quick, sharp = sizes[0], sizes[-1]
    assert not quick[0] and quick[1] <= 20_000
    assert sharp[0] and sharp[1] == 300 * 400


def test_background_requests_do_not_cut_the_quiet_spell_short(
    qtbot, window, tmp_path, monkeypatch
) -> None:
    # Suggestions and folder exports wake the worker without screen work; the sharp preview
    # must still wait until the user has paused.
    import time

    from gui.workitems import SuggestRequest
    from model.hints.document import Hints

    monkeypatch.setattr(worker_mod, "REFINE_DELAY_S", 0.6)
    y, x = np.mgrid[0:300, 0:400]
    path = tmp_path / "big.png"
    Image.fromarray((128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)).astype(np.uint8)).save(path)
    open_photo(qtbot, window, path)
    qtbot.waitUntil(lambda: window.render_link.last_result_refined, timeout=TIMEOUT_MS)
    times: dict[bool, float] = {}

    def seen(r) -> None:
        if r.generation != window.render_link.generation or r.refined in times:
            return
        times[r.refined] = time.monotonic()
        if not r.refined:  # the worker now waits out the spell: wake it with background work
            for _ in range(3):
                window.worker.request_suggestions(SuggestRequest(-1, None, Hints(), 0.5, 0.5, 8))
                qtbot.wait(50)

    window.worker.resultReady.connect(seen)
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))
    qtbot.waitUntil(lambda: True in times, timeout=TIMEOUT_MS)
    assert times[True] - times[False] >= 0.5
