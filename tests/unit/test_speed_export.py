"""huebrush-bench speed's disk-to-disk export and batch rows, on small photos and a tiny
network: huebrush-colorize runs in process with its stages timed, and the rows read back."""

from __future__ import annotations

from pathlib import Path

import pytest

import training.bench.speed as speed
from training.bench.reports import batch_line, export_line


def test_export_and_batch_rows(
    tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(speed, "EXPORT_SHAPE", (60, 90))
    monkeypatch.setattr(speed, "BATCH_SHAPE", (40, 60))
    exp = speed.bench_export(tiny_weights, tmp_path / "e", repeats=3)
    assert len(exp["totals_s"]) == 3 and exp["total_s"] == exp["totals_s"][1]
    parts = ("load_s", "network_s", "render_s", "save_s")
    assert all(exp[k] > 0 for k in parts)
    assert exp["total_s"] == pytest.approx(sum(exp[k] for k in parts))
    assert exp["png_mb"] > 0 and (exp["width"], exp["height"]) == (90, 60)
    assert "90x60 grey JPEG, 5 points" in export_line(exp)

    row = speed.bench_batch(tiny_weights, tmp_path / "b", count=3, points=10)
    assert row["photos"] == 3 and row["per_minute"] > 0
    assert len(list((tmp_path / "b" / "out10").glob("*_color.png"))) == 3
    assert "10 points each" in batch_line(row) and "photos a minute" in batch_line(row)


def test_the_stage_timers_are_taken_off_again(tmp_path: Path, tiny_weights: Path) -> None:
    import model.cli as cli

    before = cli.render_rgb
    src = speed.write_photos(tmp_path / "in", (30, 40), 1, 0)[0]
    speed.run_cli([str(src), "-o", str(tmp_path / "out"), "--weights", str(tiny_weights)])
    assert cli.render_rgb is before


def test_a_held_instruction_set_is_named_in_the_report() -> None:
    import json

    from training.bench.reports import speed_markdown

    root = Path(__file__).resolve().parents[2]
    report = json.loads((root / "docs/bench/avx2/speed.json").read_text(encoding="utf-8"))
    assert "held to ATEN_CPU_CAPABILITY=avx2" in speed_markdown(report).splitlines()[0]
    report["meta"]["isa_held"] = {}
    assert "held to" not in speed_markdown(report)
