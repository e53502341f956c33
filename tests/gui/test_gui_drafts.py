"""Quick drafts: where a full update is slow, each edit is answered first at a smaller size."""

from __future__ import annotations

import threading

import pytest
from guihelpers import TIMEOUT_MS, open_photo, wait_rendered, wait_result
from PySide6.QtCore import QSettings

import gui.drafts as drafts_mod
import gui.worker as worker_mod
from gui.drafts import draft_size, scaled_points
from gui.preferences import Preferences, PreferencesDialog
from model.hints.document import Hints, Point


def test_draft_size_scales_with_the_measured_time(monkeypatch) -> None:
    monkeypatch.undo()  # the real thresholds, not the suite's no-drafts default
    assert draft_size(60.0, 256) is None  # bf16 or a GPU: fast enough without drafts
    assert draft_size(drafts_mod.DRAFT_TRIGGER_MS, 256) is None
    # fp32 on an AVX2-only CPU (~290 ms at 256): about DRAFT_TARGET_MS at 160
    assert draft_size(290.0, 256) == 160
    assert draft_size(200.0, 256) == 192
    assert draft_size(5000.0, 256) == drafts_mod.DRAFT_MIN_SIZE
    assert draft_size(400.0, 512) == 256
    assert draft_size(1000.0, drafts_mod.DRAFT_MIN_SIZE) is None  # nothing smaller to use
    for ms in (190.0, 300.0, 700.0, 3000.0):
        for size in (160, 256, 384, 512):
            d = draft_size(ms, size)
            assert d is None or (d % 32 == 0 and drafts_mod.DRAFT_MIN_SIZE <= d < size)


def test_scaled_points_keep_their_share_of_the_photo() -> None:
    hints = Hints((Point(0.2, 0.3, (10.0, -5.0), 9), Point(0.7, 0.1, (1.0, 2.0), 1)))
    half = scaled_points(hints, 0.5)
    assert [p.size for p in half.points] == [4, 1]  # 4.5 rounds to even; never below 1
    assert [(p.x, p.y, p.ab) for p in half.points] == [(p.x, p.y, p.ab) for p in hints.points]
    assert scaled_points(hints, 1.0) == hints


@pytest.fixture
def slow_machine(monkeypatch) -> None:
    """Every full update counts as slow, so drafts are used at the smallest size."""
    monkeypatch.setattr(drafts_mod, "DRAFT_TRIGGER_MS", -1.0)
    monkeypatch.setattr(drafts_mod, "DRAFT_TARGET_MS", 1e-3)


def test_drag_step_is_drafted_then_updated_at_full_size(qtbot, window, photo, slow_machine) -> None:
    open_photo(qtbot, window, photo)  # the first update is full size and timed
    qtbot.waitUntil(lambda: not window.render_link.last_result_draft, timeout=TIMEOUT_MS)
    full_shape = (*window.worker._prep.work_shape, 2)
    assert window.render_link.prediction.ab.shape == full_shape
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))  # a click: straight to full size
    wait_result(qtbot, results, window.render_link.generation)
    assert [r.draft for r in results] == [None] * len(results)
    window.doc.move_point(0, 0.6, 0.5, final=False)  # a drag step, then the pointer rests
    gen = window.render_link.generation
    mine = lambda: [r for r in results if r.generation == gen]  # noqa: E731
    qtbot.waitUntil(lambda: any(r.draft is None for r in mine()), timeout=TIMEOUT_MS)
    draft, final = mine()[0], next(r for r in mine() if r.draft is None)
    assert draft.draft == drafts_mod.DRAFT_MIN_SIZE
    assert draft.prediction.ab.shape[0] < full_shape[0]
    assert final.prediction.ab.shape == full_shape
    assert not draft.refined
    link = window.render_link
    qtbot.waitUntil(lambda: link.prediction.ab.shape == full_shape, timeout=TIMEOUT_MS)
    assert not window.render_link.last_result_draft
    assert "draft" in window.render_link.latency_label.text()  # "Updated in N ms (draft M ms)"


def test_a_newer_edit_cancels_the_full_update(qtbot, window, photo, slow_machine) -> None:
    open_photo(qtbot, window, photo)
    window.doc.add_point(0.1, 0.5, (30.0, 30.0))
    wait_rendered(qtbot, window)
    worker = window.worker
    colorizer = worker._colorizer
    real_predict = colorizer.predict
    entered, release = threading.Event(), threading.Event()
    shapes: list[tuple[int, int]] = []

    def held_first(prep, hints):
        if not hints.points:  # the picker's suggestions, from the hints without the point
            return real_predict(prep, hints)
        shapes.append(prep.work_shape)
        if len(shapes) == 1:
            entered.set()
            release.wait(TIMEOUT_MS / 1000)  # hold the network while the drag goes on
        return real_predict(prep, hints)

    results = []
    worker.resultReady.connect(results.append)
    colorizer.predict = held_first
    try:
        window.doc.move_point(0, 0.12, 0.5, final=False)
        qtbot.waitUntil(entered.is_set, timeout=TIMEOUT_MS)
        for i in range(10):  # the pointer then rests without a release
            window.doc.move_point(0, 0.15 + i * 0.05, 0.5, final=False)
        release.set()
        qtbot.waitUntil(
            lambda: any(
                r.draft is None and r.generation == window.render_link.generation for r in results
            ),
            timeout=TIMEOUT_MS,
        )
    finally:
        colorizer.predict = real_predict
    full = worker._prep.work_shape
    # The held draft, the last move's draft, then its full update once the pointer rests:
    # the moves in between were superseded and no full update ran for an older position.
    assert shapes == [shapes[0], shapes[0], full] and shapes[0] != full
    assert [r.draft is None for r in results if r.generation == window.render_link.generation][-1]


def test_drafts_can_be_turned_off(qtbot, window, photo, slow_machine, tmp_path) -> None:
    open_photo(qtbot, window, photo)
    window.apply_preferences(Preferences("cpu", 256, 5, drafts=False))
    assert window.worker.drafts is False
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.add_point(0.5, 0.5, (30.0, 30.0))
    wait_result(qtbot, results, window.render_link.generation)
    window.doc.move_point(0, 0.6, 0.5, final=False)
    wait_result(qtbot, results, window.render_link.generation)
    assert all(r.draft is None for r in results)
    settings = QSettings(str(tmp_path / "p.ini"), QSettings.Format.IniFormat)
    Preferences(drafts=False).save(settings)
    settings.sync()
    again = QSettings(str(tmp_path / "p.ini"), QSettings.Format.IniFormat)
    assert Preferences.load(again).drafts is False  # INI gives back the string "false"
    assert Preferences.load(
        QSettings(str(tmp_path / "none.ini"), QSettings.Format.IniFormat)
    ).drafts
    dialog = PreferencesDialog(Preferences(drafts=False))
    assert dialog.preferences().drafts is False
    dialog.drafts.setChecked(True)
    assert dialog.preferences().drafts is True


def test_drag_steps_are_drafted_and_the_release_is_full_size(
    qtbot, window, photo, slow_machine
) -> None:
    open_photo(qtbot, window, photo)
    window.doc.add_point(0.3, 0.5, (30.0, 30.0))
    wait_rendered(qtbot, window)
    seen: list[bool] = []
    window.doc.hintsChanged.connect(lambda: seen.append(window.doc.interim))
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.move_point(0, 0.4, 0.5, final=False)
    step = window.render_link.generation
    qtbot.waitUntil(lambda: any(r.generation == step for r in results), timeout=TIMEOUT_MS)
    assert next(r.draft for r in results if r.generation == step) is not None
    window.doc.move_point(0, 0.45, 0.5, final=True)  # the release
    release = window.render_link.generation
    qtbot.waitUntil(lambda: any(r.generation == release for r in results), timeout=TIMEOUT_MS)
    assert next(r.draft for r in results if r.generation == release) is None
    assert seen == [True, False]
    assert not window.doc.interim


def test_a_release_that_changes_nothing_still_ends_the_draft(
    qtbot, window, photo, slow_machine, monkeypatch
) -> None:
    monkeypatch.setattr(worker_mod, "FINAL_DELAY_S", 3600.0)  # only the release can end it
    open_photo(qtbot, window, photo)
    window.doc.add_point(0.3, 0.5, (30.0, 30.0))
    wait_rendered(qtbot, window)
    results = []
    window.worker.resultReady.connect(results.append)
    ended: list[bool] = []
    window.doc.dragEnded.connect(lambda: ended.append(True))
    window.doc.move_point(0, 0.4, 0.5, final=False)
    step = window.render_link.generation
    qtbot.waitUntil(lambda: any(r.generation == step for r in results), timeout=TIMEOUT_MS)
    window.doc.move_point(0, 0.4, 0.5, final=True)  # released where the last step was
    assert ended == [True] and window.render_link.generation == step  # no new request
    qtbot.waitUntil(
        lambda: any(r.generation == step and r.draft is None for r in results),
        timeout=TIMEOUT_MS,
    )
    qtbot.waitUntil(lambda: not window.render_link.last_result_draft, timeout=TIMEOUT_MS)


def test_clicks_are_drafted_only_where_a_full_update_is_very_slow(
    qtbot, window, photo, slow_machine, monkeypatch
) -> None:
    monkeypatch.setattr(worker_mod, "FINAL_DELAY_S", 3600.0)  # a click's must not wait
    open_photo(qtbot, window, photo)
    results = []
    window.worker.resultReady.connect(results.append)
    window.doc.add_point(0.3, 0.5, (30.0, 30.0))
    wait_result(qtbot, results, window.render_link.generation)
    assert all(r.draft is None for r in results if r.generation == window.render_link.generation)
    monkeypatch.setattr(drafts_mod, "CLICK_DRAFT_MS", -1.0)  # now every update is "very slow"
    window.doc.add_point(0.7, 0.5, (-30.0, 30.0))
    gen = window.render_link.generation
    qtbot.waitUntil(
        lambda: any(r.generation == gen and r.draft is None for r in results),
        timeout=TIMEOUT_MS,
    )
    drafts = [r.draft for r in results if r.generation == gen]
    assert drafts[0] == drafts_mod.DRAFT_MIN_SIZE and drafts[-1] is None


def test_suggestions_are_drafted_where_full_updates_are_slow(
    qtbot, window, photo, slow_machine
) -> None:
    open_photo(qtbot, window, photo)
    qtbot.waitUntil(lambda: not window.render_link.last_result_draft, timeout=TIMEOUT_MS)
    colorizer = window.worker._colorizer
    real_predict = colorizer.predict
    shapes: list[tuple[int, int]] = []

    def recording(prep, hints, head=None):
        if len(hints.points) == 1:  # the suggestions' prediction leaves the selected point out
            shapes.append(prep.work_shape)
        return real_predict(prep, hints, head)

    window.doc.add_point(0.3, 0.5, (30.0, 30.0))
    window.doc.add_point(0.7, 0.5, (-30.0, 30.0))
    wait_rendered(qtbot, window)
    colorizer.predict = recording
    try:
        window.doc.select(0)  # the screen shows both points: its suggestions need a pass
        qtbot.waitUntil(lambda: bool(shapes), timeout=TIMEOUT_MS)
    finally:
        colorizer.predict = real_predict
    worker = window.worker
    assert worker._draft_prep is not None and worker._draft_prep[0] == drafts_mod.DRAFT_MIN_SIZE
    assert shapes[0] == worker._draft_prep[1].work_shape != worker._prep.work_shape


def test_drafts_keep_the_rest_at_the_full_sizes_reach(qtbot, window, photo, slow_machine) -> None:
    from model.hints.anchors import point_reach

    open_photo(qtbot, window, photo)
    qtbot.waitUntil(lambda: not window.render_link.last_result_draft, timeout=TIMEOUT_MS)
    seen: list[Hints] = []
    colorizer = window.worker._need_colorizer()
    real = colorizer.predict
    colorizer.predict = lambda prep, hints, head=None: seen.append(hints) or real(prep, hints)
    user = Point(0.5, 0.5, (30.0, 30.0), 9)
    hints = Hints((user,), keep_rest=True)
    window.worker._draft_predict(drafts_mod.DRAFT_MIN_SIZE, hints)
    sent = seen[-1]
    assert sent.points[0].size < user.size  # the draft's smaller patch...
    anchors = sent.points[1:]
    assert anchors and not sent.keep_rest
    # ...but no anchor nearer than the full-size point's reach.
    near = min((a.x - 0.5) ** 2 + (a.y - 0.5) ** 2 for a in anchors) ** 0.5
    assert near >= point_reach(user.size) * 0.999
