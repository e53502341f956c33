"""Refinement: the last layers adapted to a photo's own points (tiny random networks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.cli import main
from model.hints.document import Hints, Point
from model.hints.encoding import GLOBAL_DIM, encode_points
from model.inference import Colorizer
from model.refine import RefineSettings, patch_means, refine_head
from tests.conftest import tiny_net

# A tiny random network learns fast enough for a test only at a larger step.
QUICK = RefineSettings(steps=40, lr=1e-2, seed=3)


def _scene() -> tuple[torch.Tensor, tuple[Point, ...]]:
    """A 64x64 lightness ramp whose true colour is one orange; eight points of it."""
    y, x = np.mgrid[0:64, 0:64]
    L = torch.from_numpy((30 + 40 * x / 63 + 5 * np.sin(y / 5)).astype(np.float32))[None, None]
    spots = [(0.15, 0.2), (0.5, 0.15), (0.85, 0.25), (0.2, 0.6), (0.6, 0.5), (0.8, 0.8),
             (0.35, 0.85), (0.5, 0.5)]  # fmt: skip
    return L, tuple(Point(px, py, (25.0, 40.0), 5) for px, py in spots)


def _left_out_error(net, L, points, head=None) -> float:
    """Mean ab error at each point when it is predicted from the others."""
    glob = torch.zeros(1, GLOBAL_DIM)
    errs = []
    with torch.no_grad():
        for i, p in enumerate(points):
            others = points[:i] + points[i + 1 :]
            local = encode_points(others, 64, 64)[None]
            ab = net(L, local, glob, head=head).ab
            errs.append(float((patch_means(ab, [p])[0] - torch.tensor(p.ab)).abs().mean()))
    return float(np.mean(errs))


def test_trunk_and_head_are_the_forward_pass() -> None:
    net = tiny_net()
    L, points = _scene()
    local, glob = encode_points(points, 64, 64)[None], torch.zeros(1, GLOBAL_DIM)
    with torch.no_grad():
        x10, prior, _, _ = net.trunk(L, local, glob)
        assert torch.equal(net.head_ab(x10, prior), net(L, local, glob).ab)


def test_refined_head_predicts_left_out_points_better_and_leaves_the_net_alone() -> None:
    net = tiny_net()
    L, points = _scene()
    before_weights = [p.detach().clone() for p in net.parameters()]
    head = refine_head(net, L, points, torch.zeros(1, GLOBAL_DIM), settings=QUICK, fast=False)
    before = _left_out_error(net, L, points)
    after = _left_out_error(net, L, points, head)
    assert after < 0.5 * before, (before, after)
    assert all(torch.equal(a, b) for a, b in zip(before_weights, net.parameters(), strict=True))
    assert not any(p.requires_grad for p in head.parameters())
    # The same settings give the same head; no points, the network's own layers.
    again = refine_head(net, L, points, torch.zeros(1, GLOBAL_DIM), settings=QUICK, fast=False)
    assert all(
        torch.equal(a, b) for a, b in zip(head.parameters(), again.parameters(), strict=True)
    )
    plain = refine_head(net, L, (), torch.zeros(1, GLOBAL_DIM), settings=QUICK, fast=False)
    for a, b in zip(
        plain.parameters(), [*net.dec10.parameters(), *net.out.parameters()], strict=True
    ):
        assert torch.equal(a, b)


def test_colorizer_refines_only_when_asked_and_only_with_points() -> None:
    col = Colorizer(tiny_net(), device="cpu", working_size=64)
    L, points = _scene()
    photo = np.repeat((L[0, 0].numpy() * 2.55).astype(np.uint8)[..., None], 3, -1)
    prep = col.prepare(photo)
    hints = Hints(points)
    plain = col.predict(prep, hints).ab
    assert np.array_equal(col.predict(prep, hints).ab, plain)
    refined = col.predict(prep, hints, col.adapted_head(prep, hints, QUICK)).ab
    assert np.abs(refined - plain).mean() > 0.5
    assert col.adapted_head(prep, Hints(), QUICK) is None  # nothing to fit without points


def test_cli_refine(photo_dir: Path, tmp_path: Path, tiny_weights: Path) -> None:
    hints = tmp_path / "h.json"
    Hints(_scene()[1]).to_json(hints)
    outs = []
    for extra in ([], ["--refine"]):
        out = tmp_path / f"out{len(extra)}"
        args = [str(photo_dir / "p0.png"), "-o", str(out), "--weights", str(tiny_weights)]
        assert main([*args, "--hints", str(hints), "--no-progress", *extra]) == 0
        outs.append(np.asarray(Image.open(out / "p0_color.png")).astype(int))
    assert np.abs(outs[0] - outs[1]).mean() > 0.1  # the adapted layers change the colours


def test_a_stopped_fit_gives_no_head() -> None:
    net = tiny_net()
    L, points = _scene()
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3  # the user's next edit arrives during the fourth step

    head = refine_head(net, L, points, torch.zeros(1, GLOBAL_DIM), settings=QUICK, stop=stop)
    assert head is None and len(asked) == 4
