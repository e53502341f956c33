"""python -m training.bench.upsample on two small generated photos: every method scored, the
guided upsampling ahead of bilinear, and the report written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from training.bench.upsample import main


def test_bench_scores_every_method(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:64, 0:96]
    for i in range(2):
        inside = xx > 30 + 0.3 * yy + 8 * i
        rgb = np.where(inside[..., None], [200, 60, 40], [40, 90, 200]) + rng.normal(
            0, 3, (64, 96, 3)
        )
        Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(tmp_path / f"p{i}.png")
    assert main(["--data", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    report = json.loads((tmp_path / "out" / "upsample.json").read_text())
    assert set(report["psnr_db"]) == {"bilinear", "guided", "fast-s2"}
    assert report["lead_over_bilinear_db"]["guided"] > 0.5
    assert "| guided |" in (tmp_path / "out" / "upsample.md").read_text()
