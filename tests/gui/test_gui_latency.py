"""The interaction benchmark (`python -m gui.latency`) runs and reports what a drag shows."""

from __future__ import annotations

import math

from model.network.weights import save_weights


def test_drag_benchmark_paints_results_while_dragging(tiny_net, photo, tmp_path) -> None:
    from gui.latency import measure_drag

    weights = tmp_path / "tiny.safetensors"
    save_weights(tiny_net, weights)
    r = measure_drag(photo, weights, threads=1, seconds=1.0, size=64, drafts=True)
    assert r["per_s"] > 0  # the colour follows the point while it moves
    assert 0 < r["age_p50"] <= r["age_p95"] < 10_000
    assert not math.isnan(r["final_ms"]) and r["final_ms"] >= 0
