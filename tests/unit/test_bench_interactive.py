"""`huebrush-bench interactive` and `locality` run end to end on tiny networks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.network.config import NetConfig
from model.network.unet import ColorNet
from model.network.weights import save_weights
from tests.unit.test_edit_network import tiny_edit_net
from training.bench.cli import main


def weights(tmp_path: Path) -> tuple[Path, Path]:
    torch.manual_seed(0)
    unet = tmp_path / "unet.safetensors"
    save_weights(ColorNet(NetConfig(width=4, semantic="none")).eval(), unet)
    edit = tmp_path / "edit.safetensors"
    save_weights(tiny_edit_net(), edit)
    return unet, edit


def test_interactive_counts_less_work_per_edit_for_the_split_network(tmp_path: Path) -> None:
    unet, edit = weights(tmp_path)
    args = ["interactive", "--weights", f"{unet},{edit}", "--size", "64", "--repeats", "3"]
    assert main([*args, "--warmup", "1", "--threads", "1", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "interactive.json").read_text())["rows"]
    assert [r["weights"] for r in rows] == ["unet.safetensors", "edit.safetensors"]
    assert rows[1]["gflop_per_edit"] < rows[0]["gflop_per_edit"]
    assert all(r["edit"]["n"] == 3 and r["finish_p50_ms"] > 0 for r in rows)
    assert "edit.safetensors" in (tmp_path / "interactive.md").read_text()


def test_locality_reports_each_network_with_and_without_keep_the_rest(tmp_path: Path) -> None:
    unet, edit = weights(tmp_path)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(photos / f"{i}.png")
    args = [
        "locality",
        "--data",
        str(photos),
        "--weights",
        f"{unet},{edit}",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--threads", "1"]) == 0
    report = json.loads((tmp_path / "locality.json").read_text())
    assert set(report["engines"]) == {
        "unet",
        "unet + Keep the Rest",
        "edit",
        "edit + Keep the Rest",
    }
    assert report["photos"] == 2
    for row in report["engines"].values():
        assert set(row) == {"near", "rest", "same"} and all(v >= 0 for v in row.values())


def test_enhancement_scores_each_mode_on_the_same_points(tmp_path: Path) -> None:
    unet, _ = weights(tmp_path)
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(2):
        low = rng.integers(100, 140, (32, 32, 3), dtype=np.uint8)  # a faded, low-contrast photo
        Image.fromarray(low).save(photos / f"{i}.png")
    args = ["enhancement", "--data", str(photos), "--weights", str(unet), "--points", "0,1"]
    assert main([*args, "--out", str(tmp_path), "--threads", "1"]) == 0
    report = json.loads((tmp_path / "enhancement.json").read_text())
    assert set(report["modes"]) == {"none", "stretch", "equalize"}
    scores = {m: r["0"] for m, r in report["modes"].items()}
    assert scores["stretch"] != scores["none"]  # the network saw another L
    assert "stretch" in (tmp_path / "enhancement.md").read_text()
