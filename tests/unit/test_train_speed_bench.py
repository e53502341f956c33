"""`huebrush-bench train-speed` times real optimiser steps and records the machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from model.network.config import NetConfig
from training.bench.cli import main
from training.bench.train_speed import time_steps
from training.config import TrainConfig


def test_one_time_per_timed_step_warmup_excluded() -> None:
    cfg = TrainConfig(net=NetConfig(width=4, semantic="none"), crop=32, batch=2)
    torch.manual_seed(0)
    times = time_steps(cfg, bf16=False, steps=2, warmup=1)
    assert len(times) == 2 and all(t > 0 for t in times)


def test_writes_both_precisions_and_the_cpu(tmp_path: Path) -> None:
    args = ["train-speed", "--crop", "32", "--batch", "2", "--steps", "1", "--warmup", "0"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "train_speed.json").read_text())
    assert set(data["rows"]) == {"fp32", "bf16"}
    assert all(r["images_per_s"] > 0 for r in data["rows"].values())
    assert all(isinstance(data["machine"][k], bool) for k in ("avx512_bf16", "amx_bf16"))
    md = (tmp_path / "train_speed.md").read_text()
    assert "| fp32 |" in md and "| bf16 |" in md and "AMX-BF16" in md


def test_bf16_row_runs_bf16_even_where_the_loop_leaves_autocast_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On a CPU without AVX-512-BF16 or AMX the loop's autocast is a no-op; the bench must
    # still time bf16 there, not fp32 twice under a bf16 label.
    import model.device
    import training.loop

    monkeypatch.setattr(model.device, "cpu_has_bf16", lambda: False)
    seen: list[tuple[bool, torch.dtype]] = []
    real = training.loop.optimiser_step

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((torch.is_autocast_enabled("cpu"), torch.get_autocast_dtype("cpu")))
        return real(*args, **kwargs)

    monkeypatch.setattr(training.loop, "optimiser_step", spy)
    cfg = TrainConfig(net=NetConfig(width=4, semantic="none"), crop=32, batch=2)
    time_steps(cfg, bf16=True, steps=1, warmup=0)
    time_steps(cfg, bf16=False, steps=1, warmup=0)
    assert seen[0] == (True, torch.bfloat16)
    assert seen[1][0] is False
