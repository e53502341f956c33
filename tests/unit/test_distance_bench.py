"""huebrush-bench distance: banding by distance to the nearest hint, and the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.hints.encoding import AB_SCALE
from tests.conftest import photo
from training.bench.cli import main
from training.bench.distance import band_of, error_by_distance
from training.evaluate import gray_predictor

pytestmark = pytest.mark.usefixtures("one_thread")


def test_bands_follow_euclidean_distance_to_the_nearest_hint() -> None:
    mask = np.zeros((40, 40), bool)
    mask[10, 10] = True
    band = band_of(mask, (0, 4, 8, 16))
    assert band[10, 10] == 0 and band[10, 13] == 0  # distance 0 and 3
    assert band[10, 14] == 1 and band[10, 17] == 1  # 4 and 7
    assert band[10, 18] == 2 and band[10 + 9, 10 + 9] == 2  # 8 and ~12.7
    assert band[39, 39] == 3
    assert (band_of(np.zeros((5, 5), bool), (0, 4)) == 1).all()  # no hint: all far


def _copy_hints(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
    """Hint colour where hinted, grey elsewhere: better than grey only near the points."""
    return local[:, :2] * AB_SCALE * local[:, 2:3]


def test_an_engine_that_only_knows_the_hints_wins_only_near_them() -> None:
    images = [photo(64, 64, seed=s) for s in range(3)]
    engines = {"copy": _copy_hints, "gray": gray_predictor}
    report = error_by_distance(engines, images, n_points=5, seed=0, bands=(0, 2, 8))
    rows = report["bands"]
    assert [r["band"] for r in rows] == ["0-2", "2-8", ">=8"]
    assert sum(r["pixels"] for r in rows) == pytest.approx(1.0)
    for name in engines:
        assert sum(r[name]["error_share"] for r in rows) == pytest.approx(1.0)
    assert rows[0]["copy"]["psnr"] > rows[0]["gray"]["psnr"] + 2.0
    assert rows[2]["copy"]["psnr"] == pytest.approx(rows[2]["gray"]["psnr"])


def test_distance_cli_writes_json_and_markdown(tmp_path: Path, tiny_weights: Path) -> None:
    data = tmp_path / "photos"
    data.mkdir()
    for s in range(2):
        Image.fromarray(photo(48, 48, seed=s)).save(data / f"p{s}.png")
    out = tmp_path / "bench"
    args = ["distance", "--data", str(data), "--points", "5", "--weights", str(tiny_weights)]
    assert main([*args, "--device", "cpu", "--out", str(out), "--seed", "3"]) == 0
    report = json.loads((out / "distance.json").read_text())
    assert report["points"] == 5 and report["photos"] == 2 and report["seed"] == 3
    assert set(report["bands"][0]) == {"band", "pixels", "net", "levin", "gray"}
    md = (out / "distance.md").read_text()
    assert "| 0-4 |" in md and "levin" in md
