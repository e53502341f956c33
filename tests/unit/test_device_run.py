"""training/device_run.sh, the lent-GPU recipe, runs end to end (here on the CPU, tiny)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from PIL import Image

from model.network.weights import load_any, read_metadata
from tests.conftest import photo
from training.pack import pack

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, out: Path, extra2: str = "") -> subprocess.CompletedProcess[str]:
    tiny = "net.width=4 net.semantic=none val_images=2 val_points=0,5 log_every=1 threads=1"
    env = {
        **os.environ,
        "OUT": str(out),
        "PY": sys.executable,
        "PYTHONPATH": str(ROOT),
        "RUNS": "runs",
        "S1_MIN": "0.05",
        "S2_MIN": "0.03",
        "EXTRA": tiny,
        "EXTRA1": "batch=2 crop=32 val_every=2 warmup_steps=1",
        "EXTRA2": f"batch=2 crop=48 val_every=2 warmup_steps=1 {extra2}",
    }
    return subprocess.run(
        ["bash", str(ROOT / "training" / "device_run.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _pack(tmp_path: Path) -> None:
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(6):
        Image.fromarray(photo(72, 96, seed=i)).save(src / f"p{i}.png")
    pack(src, tmp_path / ".pack" / "train", short=64, part_mib=0.001, workers=1)
    val = tmp_path / ".pack" / "val"
    val.mkdir()
    for i in range(2):
        Image.fromarray(photo(64, 64, seed=10 + i)).save(val / f"v{i}.png")


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_two_time_boxed_stages_come_back_in_out(tmp_path: Path) -> None:
    _pack(tmp_path)
    out = tmp_path / "out"
    r = _run(tmp_path, out)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    run_log = (out / "run.log").read_text()
    assert "no GPU" in run_log
    # The closing screen scores both stages and the shipped weights side by side.
    rows = [ln for ln in run_log.splitlines() if ln.startswith("| ") and "safetensors" in ln]
    assert [r.split(" | ")[0].rsplit("/", 1)[-1] for r in rows] == [
        "s1.safetensors",
        "s2.safetensors",
        "huebrush-default.safetensors",
    ]
    for s in ("s1", "s2"):
        net = load_any(out / f"{s}.safetensors")
        assert net.cfg.hint_attn and net.cfg.width == 4
    # Stage 2 starts from stage 1's best weights, and its lineage says so.
    stages = json.loads(read_metadata(out / "s2.safetensors")["lineage"])
    assert [st["run"] for st in stages] == ["s1", "s2"] and stages[0]["crop"] == 32
    whole = tmp_path / "s1-best.safetensors"
    with whole.open("wb") as f:
        for part in sorted(out.glob("s1-best.safetensors.part-*")):
            f.write(part.read_bytes())
    assert load_any(whole).cfg.width == 4
    with tarfile.open(out / "text.tar.gz") as t:
        names = t.getnames()
        log = t.extractfile("runs/s1/log.jsonl")
        assert log is not None
        steps = [json.loads(line) for line in log.read().decode().splitlines()]
    assert {"runs/export/s2.md", "runs/s2/config.json", "runs/s2/log.jsonl"} <= set(names)
    # Stopped by the clock, long before its 15,000 steps, yet decayed to the floor.
    lrs = [rec["lr"] for rec in steps if "lr" in rec]
    assert len(lrs) >= 2 and lrs[-1] < 0.5 * 3e-4
    assert all(rec["step"] < 15000 for rec in steps)
    # Trained with a weight average, scored beside the raw weights.
    vals = [rec for rec in steps if rec.get("val")]
    assert vals and all("psnr_raw" in rec for rec in vals)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_part_that_did_not_arrive_stops_the_run_before_training(tmp_path: Path) -> None:
    _pack(tmp_path)
    shutil.rmtree(tmp_path / ".pack" / "train" / "part02")
    r = _run(tmp_path, tmp_path / "out")
    assert r.returncode != 0
    assert "missing on this machine: ['part02']" in r.stdout + r.stderr
    assert not (tmp_path / "runs" / "s1").exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_stage_one_comes_back_when_stage_two_fails(tmp_path: Path) -> None:
    _pack(tmp_path)
    out = tmp_path / "out"
    r = _run(tmp_path, out, extra2="no_such_key=1")
    assert r.returncode != 0 and "no_such_key" in r.stdout + r.stderr
    assert (out / "s1.safetensors").is_file() and not (out / "s2.safetensors").exists()
    with tarfile.open(out / "text.tar.gz") as t:
        assert "runs/s1/log.jsonl" in t.getnames()
