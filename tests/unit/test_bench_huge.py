"""training/bench/huge on a small photo: the CLI runs in a child, its numbers are recorded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from training.bench.huge import MD_HEADER, main, synthetic_band


def test_synthetic_band_is_seeded_and_has_texture() -> None:
    a = synthetic_band(slice(0, 40), 100, 120, np.random.default_rng(3))
    b = synthetic_band(slice(0, 40), 100, 120, np.random.default_rng(3))
    assert a.dtype == np.uint8 and a.shape == (40, 120)
    assert np.array_equal(a, b)
    assert a.std() > 10 and np.unique(a).size > 50


def test_small_run_records_time_memory_and_stages(tmp_path: Path, tiny_weights: Path) -> None:
    out = tmp_path / "bench"
    out.mkdir()
    (out / "huge.md").write_text(MD_HEADER + "| earlier row |\n", encoding="utf-8")
    argv = ["--height", "70", "--width", "100", "--points", "3", "--weights", str(tiny_weights)]
    assert main([*argv, "--out", str(out), "--workdir", str(tmp_path)]) == 0

    report = json.loads((out / "huge.json").read_text(encoding="utf-8"))
    assert report["exit_status"] == 0
    assert (report["width"], report["height"]) == (100, 70)
    assert report["output"] == {"width": 100, "height": 70, "mode": "RGB"}
    assert report["wall_s"] > 0 and report["cpu_s"] > 0
    assert 50 < report["peak_rss_mb"] < 8000  # a Python with torch, in MB
    stages = report["stages"]
    for key in ("load_s", "prepare_s", "predict_s", "render_s", "save_s"):
        assert stages[key] >= 0, key
    assert sum(v for k, v in stages.items() if k != "cli_total_s") <= report["wall_s"]
    assert "--hints" in report["command"]

    lines = (out / "huge.md").read_text(encoding="utf-8").splitlines()
    assert lines[-2] == "| earlier row |"  # appended, not overwritten
    assert lines[-1].startswith("| ") and "100x70" in lines[-1]
    assert not list(tmp_path.glob("huebrush-huge-*"))  # the work folder is cleaned up


def test_a_16_bit_tiff_run_is_labelled(tmp_path: Path, tiny_weights: Path) -> None:
    argv = ["--height", "40", "--width", "60", "--points", "2", "--weights", str(tiny_weights)]
    kept = tmp_path / "kept"
    kept.mkdir()
    assert main([*argv, "--tiff16", "--out", str(tmp_path), "--workdir", str(kept)]) == 0
    report = json.loads((tmp_path / "huge.json").read_text(encoding="utf-8"))
    assert report["input"] == "16-bit TIFF" and report["output"]["width"] == 60
    assert "16-bit TIFF" in (tmp_path / "huge.md").read_text(encoding="utf-8")
