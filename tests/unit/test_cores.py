"""usable_cores: CPUs allowed by the affinity, SMT siblings counted once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import model.device
from model.device import usable_cores


def _topology(root: Path, siblings: dict[int, str]) -> Path:
    for cpu, text in siblings.items():
        d = root / f"cpu{cpu}" / "topology"
        d.mkdir(parents=True)
        (d / "thread_siblings_list").write_text(text + "\n")
    return root


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux affinity API")
def test_smt_siblings_count_once_and_affinity_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 4 cores with 2 threads each: CPU i and i+4 are siblings.
    siblings = {i: f"{i % 4},{i % 4 + 4}" for i in range(8)}
    monkeypatch.setattr(model.device, "_TOPOLOGY", _topology(tmp_path, siblings))
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(8)))
    assert usable_cores() == (8, 4)
    # A container allowed CPUs 0, 4 (one core's two threads) and 1.
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 4, 1})
    assert usable_cores() == (3, 2)


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux affinity API")
def test_unreadable_topology_counts_every_allowed_cpu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model.device, "_TOPOLOGY", tmp_path / "missing")
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2})
    assert usable_cores() == (3, 3)


def test_without_an_affinity_api_both_are_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert usable_cores() == (6, 6)
