"""The batch pipeline (model.pipeline) and huebrush-colorize on it: items in order, failures
skip the later stages, early stops wait for the work under way, messages land on their own
photo, and a batch's files are byte for byte those of one photo at a time."""

from __future__ import annotations

import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.cli import main
from model.cli_report import library_messages
from model.pipeline import Pipeline, current_notes


def _stages(log: list[tuple[str, int]]) -> list:
    def load(i: int) -> int:
        time.sleep(0.001 * (i % 3))  # uneven stage times must not reorder anything
        log.append(("load", i))
        return i * 10

    def net(v: int) -> int:
        if v == 30:
            raise ValueError("bad photo")
        log.append(("net", v))
        return v + 1

    def write(v: int) -> int:
        log.append(("write", v))
        return v * 2

    return [load, net, write]


@pytest.mark.parametrize("threads", [True, False])
def test_order_values_and_failures(threads: bool) -> None:
    log: list[tuple[str, int]] = []
    jobs = list(Pipeline(_stages(log), threads=threads).run(range(6)))
    assert [j.item for j in jobs] == list(range(6))
    assert [j.value for j in jobs if j.error is None] == [2, 22, 42, 82, 102]
    failed = [j for j in jobs if j.error is not None]
    assert len(failed) == 1 and failed[0].item == 3 and str(failed[0].error) == "bad photo"
    assert ("write", 31) not in log and ("net", 30) not in log  # later stages skipped it


def test_stages_overlap_on_threads() -> None:
    inside: set[str] = set()
    overlapped = threading.Event()
    lock = threading.Lock()

    def stage(name: str):
        def run(v: int) -> int:
            with lock:
                inside.add(name)
                if len(inside) > 1:
                    overlapped.set()
            time.sleep(0.02)
            with lock:
                inside.discard(name)
            return v

        return run

    list(Pipeline([stage("a"), stage("b"), stage("c")]).run(range(6)))
    assert overlapped.is_set()


def test_closing_early_stops_and_waits_for_the_work_under_way() -> None:
    started: list[int] = []
    finished: list[int] = []

    def slow(v: int) -> int:
        started.append(v)
        time.sleep(0.05)
        finished.append(v)
        return v

    pipeline = Pipeline([slow, slow])
    run = pipeline.run(range(100))
    assert next(run).item == 0
    run.close()
    assert pipeline.stopped
    assert sorted(started) == sorted(finished)  # nothing left half done
    assert len(set(started)) < 10  # and no more taken on
    assert not any(
        t.is_alive() for t in threading.enumerate() if t.daemon and t.name.startswith("Thread")
    )


def test_poll_runs_while_waiting() -> None:
    polls: list[int] = []
    jobs = list(Pipeline([lambda v: time.sleep(0.35) or v]).run([1], poll=lambda: polls.append(1)))
    assert jobs[0].value == 1 and len(polls) >= 2


def test_messages_go_to_the_photo_whose_stage_emitted_them() -> None:
    def stage(v: int) -> int:
        warnings.warn(f"photo {v} is odd", UserWarning, stacklevel=1)
        return v

    with library_messages(current_notes) as batch:
        jobs = list(Pipeline([stage, stage]).run(range(4)))
    assert [j.notes for j in jobs] == [[f"photo {i} is odd"] * 2 for i in range(4)]
    assert batch == []


def _photo(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(20, 230, 64)[None, :] + rng.normal(0, 8, (48, 64))
    Image.fromarray(np.clip(ramp, 0, 255).astype(np.uint8)).save(path)


def test_a_batch_writes_what_one_photo_at_a_time_writes(tmp_path: Path, tiny_weights: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        _photo(folder / f"p{i}.png", i)
    opts = ["--weights", str(tiny_weights), "--no-progress", "--device", "cpu"]
    assert main([str(folder), "-o", str(tmp_path / "batch"), *opts]) == 0
    for i in range(4):
        src = folder / f"p{i}.png"
        assert main([str(src), "-o", str(tmp_path / "single"), *opts]) == 0
    batch = sorted((tmp_path / "batch").iterdir())
    assert [p.name for p in batch] == [f"p{i}_color.png" for i in range(4)]
    for p in batch:
        assert p.read_bytes() == (tmp_path / "single" / p.name).read_bytes()


@pytest.mark.parametrize("in_flight", [1, 2, 3])
def test_no_more_than_in_flight_photos_are_held(in_flight: int) -> None:
    held = 0
    most = 0
    lock = threading.Lock()

    def read(v: int) -> int:
        nonlocal held, most
        with lock:
            held += 1
            most = max(most, held)
        return v

    def write(v: int) -> int:
        time.sleep(0.01)
        return v

    for job in Pipeline([read, write], in_flight=in_flight).run(range(12)):
        with lock:
            held -= 1
        assert job.error is None
    assert most == in_flight
