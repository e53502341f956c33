"""Refining to the points when the user pauses (Preferences), and exports that match."""

from __future__ import annotations

import dataclasses

import numpy as np
from guihelpers import TIMEOUT_MS, open_photo
from PIL import Image

import gui.worker as worker_mod
from model.refine import DEFAULT_REFINE
from model.views import refined_prediction


def test_a_pause_fits_the_points_and_the_export_matches(
    qtbot, window, photo, tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(worker_mod, "ADAPT_DELAY_S", 0.0)
    open_photo(qtbot, window, photo)
    window.apply_preferences(dataclasses.replace(window.prefs, adapt=True))
    assert window.worker.adapt
    results = []
    window.worker.resultReady.connect(results.append)
    for x, y, ab in ((0.3, 0.3, (30.0, 30.0)), (0.7, 0.6, (-20.0, 10.0)), (0.5, 0.8, (0.0, -30.0))):
        window.doc.add_point(x, y, ab)
    gen, hints = window.generation, window.doc.hints
    worker = window.worker
    qtbot.waitUntil(lambda: worker._fitted(worker._token, hints) is not None, timeout=TIMEOUT_MS)
    qtbot.waitUntil(
        lambda: sum(r.generation == gen for r in results) >= 2, timeout=TIMEOUT_MS
    )  # the plain answer first, the fitted one after the pause
    col, prep = worker._colorizer, worker._prep
    fitted = refined_prediction(col, prep, hints).ab  # the same seeded fit, the same views
    one_view = col.predict(prep, hints, col.adapted_head(prep, hints, DEFAULT_REFINE)).ab
    plain = col.predict(prep, hints).ab
    shown = [r for r in results if r.generation == gen][-1].prediction.ab
    assert np.allclose(shown, fitted, atol=1e-4) and not np.allclose(shown, plain, atol=1e-6)
    assert not np.allclose(shown, one_view, atol=1e-6)  # averaged over the views
    assert [r for r in results if r.generation == gen][-1].adapted
    said = lambda: "Refined to the points" in window.latency_label.text()  # noqa: E731
    qtbot.waitUntil(said, timeout=TIMEOUT_MS)
    out = tmp_path / "out.png"
    with qtbot.waitSignal(worker.exported, timeout=TIMEOUT_MS):
        window.export(out)
    assert "refined to the points" in Image.open(out).text["Description"]
