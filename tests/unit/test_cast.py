"""The colour-cast measure: a lean of automatic colour shows against the truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from tests.conftest import photo
from training.cast import ab_stats, main, measure
from training.evaluate import to_labs


def _warm(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
    """A predictor with a sepia wash: a* = 10, b* = 20 everywhere."""
    ab = torch.zeros(L.shape[0], 2, *L.shape[-2:])
    ab[:, 0], ab[:, 1] = 10.0, 20.0
    return ab


def test_ab_stats_are_pixel_means() -> None:
    ab = np.zeros((2, 4, 4, 2), np.float32)
    ab[0, ..., 0] = 3.0
    ab[0, ..., 1] = 4.0
    # Half the pixels tinted, half grey: the tint is all the colour there is, so cast 1.
    assert ab_stats(ab) == pytest.approx({"a": 1.5, "b": 2.0, "chroma": 2.5, "cast": 1.0})
    ab[1, ..., 0] = -3.0
    ab[1, ..., 1] = -4.0  # opposite hues cancel: no cast
    assert ab_stats(ab)["cast"] == pytest.approx(0.0)


def test_a_warm_predictor_shows_its_cast_on_both_sets() -> None:
    val = to_labs([photo(32, 32, seed=s) for s in range(3)])
    bw_rgb = np.repeat(photo(32, 32, seed=9).mean(-1, keepdims=True), 3, -1).astype(np.uint8)
    out = measure(_warm, val, to_labs([bw_rgb]))
    assert out["val_auto"]["a"] == pytest.approx(10.0) and out["bw_auto"]["b"] == pytest.approx(20)
    assert out["bw_auto"]["cast"] == pytest.approx(1.0)
    assert out["val_truth"]["cast"] < 1.0
    truth = np.stack([lab[..., 1:] for lab in val])
    assert out["val_truth"]["b"] == pytest.approx(float(truth[..., 1].mean()), abs=1e-4)


def test_main_measures_each_weights_file(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, n in (("val", 5), ("bw", 2)):
        (tmp_path / name).mkdir()
        for i in range(n):
            Image.fromarray(photo(40, 48, seed=i)).save(tmp_path / name / f"p{i}.png")
    argv = [str(tiny_weights), "--val", str(tmp_path / "val"), "--bw", str(tmp_path / "bw")]
    assert main([*argv, "--subset", "2"]) == 0
    rec = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert rec["weights"] == tiny_weights.name
    assert set(rec) == {"weights", "val_truth", "val_auto", "bw_auto"}
    assert rec["val_auto"]["chroma"] >= 0
