"""huebrush-bench suggestions: scoring the picker's suggestions against the true colour."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from model.colour.bins import N_BINS, SUGGEST_SEP, bin_centers, nearest_bin, top_modes
from model.colour.colorspace import lab_to_rgb
from model.network.unet import NetOutput
from training.bench.cli import main
from training.bench.suggestions import WRONG, suggestion_scores

pytestmark = pytest.mark.usefixtures("one_thread")

ORANGE = (30.0, 50.0)


class _Oracle(torch.nn.Module):
    """Shows grey everywhere, but its distribution puts most mass on grey and some on one
    colour: a suggestion can only be right if the suggestions reach past the grey peak."""

    def __init__(self, ab: tuple[float, float]) -> None:
        super().__init__()
        self.logits = torch.full((N_BINS,), -20.0)
        chroma = torch.from_numpy(np.hypot(*bin_centers().T))
        grey = chroma < 15  # the 3x3 bins around (0, 0), the most likely first
        self.logits[grey] = -chroma[grey] / 100
        self.logits[int(nearest_bin(np.array([ab], np.float32))[0])] = -0.5

    def forward(self, L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> NetOutput:
        b, _, h, w = L.shape
        logits = self.logits[None, :, None, None].expand(b, -1, h // 4, w // 4)
        return NetOutput(torch.zeros(b, 2, h, w), logits)


def _flat(ab: tuple[float, float], size: int = 64) -> np.ndarray:
    lab = np.zeros((size, size, 3), np.float32)
    lab[..., 0], lab[..., 1], lab[..., 2] = 60.0, *ab
    return (np.clip(lab_to_rgb(lab), 0, 1) * 255).round().astype(np.uint8)


def test_suggestions_stand_two_grid_steps_apart() -> None:
    modes = top_modes(np.asarray(_Oracle(ORANGE).logits.softmax(0), np.float64), 3)
    ab = np.array([m for m, _ in modes])
    d = np.hypot(*(ab[:, None] - ab[None]).transpose(2, 0, 1))
    # No two come from neighbouring bins, diagonal ones (14.1 apart) included.
    assert d[np.triu_indices(len(ab), 1)].min() > 15


def test_the_right_colour_is_found_only_past_the_grey_peak() -> None:
    images = [_flat(ORANGE)]
    report = suggestion_scores(
        _Oracle(ORANGE), images, separations=(12.0, SUGGEST_SEP), k=3, n_points=4, loo=2
    )
    assert report["groups"]["all"]["queries"] == 4 + 2
    wrong = report["groups"]["wrong"]
    assert wrong["queries"] == 6  # grey is far from orange everywhere
    assert wrong["shown_error"] > WRONG
    # Three suggestions one grid step apart are all grey; two steps apart reach the orange.
    assert wrong["by_separation"]["12"]["close_share"] == 0.0
    assert wrong["by_separation"]["20"]["close_share"] == 1.0
    assert wrong["by_separation"]["20"]["best_error"] < 10.0


def test_suggestions_cli_writes_json_and_markdown(
    tmp_path: Path, tiny_weights: Path, photo_dir: Path
) -> None:
    out = tmp_path / "bench"
    args = ["suggestions", "--data", str(photo_dir), "--points", "5", "--loo", "2"]
    args += ["--weights", str(tiny_weights), "--device", "cpu", "--min-sep", "12", "20"]
    assert main([*args, "--out", str(out), "--seed", "3"]) == 0
    report = json.loads((out / "suggestions.json").read_text())
    assert report["photos"] == 3 and report["seed"] == 3 and report["points"] == 5
    assert report["groups"]["all"]["queries"] == 3 * (5 + 2)
    assert set(report["groups"]["all"]["by_separation"]) == {"12", "20"}
    md = (out / "suggestions.md").read_text()
    assert "| 12 |" in md and "| 20 |" in md and "## All queries" in md
