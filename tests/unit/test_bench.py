"""huebrush-bench on tiny inputs: the protocol's points, `quality` end to end, `speed --quick`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.colour.colorspace import rgb_to_lab
from tests.conftest import photo
from training.bench.cli import main
from training.bench.quality import PALETTE_KEY, protocol_hints, protocol_palette

pytestmark = pytest.mark.usefixtures("one_thread")


def _ab(rgb: np.ndarray) -> np.ndarray:
    return rgb_to_lab(rgb / 255.0)[..., 1:].astype(np.float32)


def test_protocol_points_are_deterministic_per_seed_and_photo() -> None:
    ab = _ab(photo(64, 64))
    first = protocol_hints(ab, 10, seed=0, index=0)
    assert len(first.points) == 10
    assert protocol_hints(ab, 10, seed=0, index=0) == first
    assert protocol_hints(ab, 10, seed=1, index=0) != first
    assert protocol_hints(ab, 10, seed=0, index=1) != first
    assert all(p.size == 6 for p in first.points)
    assert protocol_palette(ab, 0, 0) == protocol_palette(ab, 0, 0)
    assert len(protocol_palette(ab, 0, 0)) == 6


def _two_regions(size: int = 64) -> np.ndarray:
    """Two flat regions of one hue at two lightnesses: any true hint beats grey everywhere."""
    rgb = np.empty((size, size, 3), np.uint8)
    rgb[: size // 2] = (230, 160, 150)
    rgb[size // 2 :] = (120, 50, 40)
    return rgb


def test_quality_end_to_end(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "photos"
    data.mkdir()
    Image.fromarray(_two_regions()).save(data / "a_regions.png")
    Image.fromarray(photo(64, 64, seed=1)).save(data / "b_photo.png")
    out = tmp_path / "bench"
    args = ["quality", "--data", str(data), "--points", "0,2", "--engines", "gray,levin,net,views"]
    args += ["--weights", str(tiny_weights), "--device", "cpu", "--out", str(out), "--no-progress"]
    args += ["--size", "64", "--working-size", "64"]
    assert main(args) == 0

    report = json.loads((out / "quality.json").read_text())
    meta = report["meta"]
    assert meta["dataset"] == {"folder": "photos", "images": 2, "limit": None}
    assert meta["points"] == [0, 2] and meta["seed"] == 0
    assert meta["weights"]["id"] and meta["machine"]["cpu_count"]
    res = report["results"]
    assert set(res) == {"gray", "levin", "net", "views", PALETTE_KEY}
    assert set(res["net"]) == {"0", "2"} and set(res[PALETTE_KEY]) == {"0", "10"}
    for by_n in res.values():
        for row in by_n.values():
            assert row["images"] == 2
            assert {
                "psnr",
                "psnr_se",
                "ssim",
                "ssim_se",
                "colourfulness",
                "colourfulness_se",
            } <= set(row)
    # Grey ignores the hints; with no points Levin has nothing to propagate, so it is grey too.
    assert res["gray"]["0"] == res["gray"]["2"]
    assert res["gray"]["0"]["colourfulness"] < 1.0
    assert res["levin"]["0"]["psnr"] == pytest.approx(res["gray"]["0"]["psnr"])
    per = report["per_image_psnr"]
    # The app's default finish: one pass without points, the mean of six views with them.
    assert per["views"]["0"] == per["net"]["0"] and per["views"]["2"] != per["net"]["2"]
    assert len(per["levin"]["2"]) == 2
    assert per["levin"]["2"][0] > per["levin"]["0"][0] + 1.0  # the two-region photo
    assert report["ground_truth"]["colourfulness"] > 10
    assert (out / "quality.png").stat().st_size > 1000
    md = (out / "quality.md").read_text()
    assert "| levin | 2 |" in md and md in capsys.readouterr().out


def test_quality_is_deterministic(tmp_path: Path) -> None:
    data = tmp_path / "photos"
    data.mkdir()
    Image.fromarray(_two_regions(32)).save(data / "a.png")
    args = ["quality", "--data", str(data), "--points", "3", "--engines", "levin", "--no-progress"]
    args += ["--size", "32", "--working-size", "32"]
    runs = []
    for name in ("x", "y"):
        assert main([*args, "--out", str(tmp_path / name)]) == 0
        runs.append(json.loads((tmp_path / name / "quality.json").read_text())["results"])
    assert runs[0] == runs[1]


def test_quality_rejects_unknown_engines_and_empty_folders(tmp_path: Path) -> None:
    assert main(["quality", "--data", str(tmp_path), "--engines", "magic"]) == 2
    assert (
        main(
            ["quality", "--data", str(tmp_path), "--engines", "gray", "--out", str(tmp_path / "o")]
        )
        == 2
    )


def test_speed_quick_writes_json(tmp_path: Path, tiny_weights: Path) -> None:
    out = tmp_path / "speed"
    args = [
        "speed",
        "--quick",
        "--weights",
        str(tiny_weights),
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    args += ["--sizes", "32,64", "--repeats", "3", "--warmup", "1", "--render-mp", "0.01"]
    args += ["--thread-study", "1", "--no-progress"]
    assert main(args) == 0
    report = json.loads((out / "speed.json").read_text())
    (cpu,) = report["devices"]
    assert cpu["device"] == "cpu" and cpu["load_s"] > 0
    # 2 precisions x 2 sizes x (prepare, predict, predict+render)
    assert len(cpu["latency"]) == 12
    assert {r["working_size"] for r in cpu["latency"]} == {32, 64}
    assert all(0 < r["p50_ms"] <= r["p95_ms"] for r in cpu["latency"] + cpu["threads"])
    assert [r["threads"] for r in cpu["threads"]] == [1]
    assert report["export"] == {"skipped": "--quick"}
    assert report["memory"]["peak_rss_mb"] > 0
    if not torch.cuda.is_available():
        assert report["cuda"] == "no CUDA device"
    assert "| cpu | fp32 |" in (out / "speed.md").read_text()


def test_quality_reuses_baseline_rows_only_under_the_same_protocol(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "photos"
    data.mkdir()
    Image.fromarray(_two_regions(32)).save(data / "a.png")
    common = ["quality", "--data", str(data), "--no-progress", "--size", "32"]
    common += ["--working-size", "32", "--device", "cpu", "--weights", str(tiny_weights)]
    base = tmp_path / "base"
    assert main([*common, "--points", "0,3", "--engines", "levin,gray", "--out", str(base)]) == 0
    old = json.loads((base / "quality.json").read_text())

    new = tmp_path / "new"
    args = [*common, "--points", "0,3", "--engines", "net", "--out", str(new)]
    assert main([*args, "--reuse", str(base / "quality.json")]) == 0
    report = json.loads((new / "quality.json").read_text())
    assert list(report["results"]) == ["net", PALETTE_KEY, "levin", "gray"]
    assert report["results"]["levin"] == old["results"]["levin"]
    assert report["per_image_psnr"]["gray"] == old["per_image_psnr"]["gray"]
    assert report["meta"]["reused"] == {"engines": ["levin", "gray"], "date": old["meta"]["date"]}
    assert "reused from the run of" in (new / "quality.md").read_text()

    # Other points: the old rows would describe another protocol, so they are refused.
    other = [*common, "--points", "0,5", "--engines", "net", "--out", str(tmp_path / "x")]
    assert main([*other, "--reuse", str(base / "quality.json")]) == 2
    assert "protocol differs in points" in capsys.readouterr().err
    assert not (tmp_path / "x" / "quality.json").exists()
