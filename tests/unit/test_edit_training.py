"""Training the per-edit decoder: cached features, the three sample kinds, resumable runs,
export, and the locality measure it is judged by."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.hints.document import Point
from model.network.config import NetConfig
from model.network.edit import EditNet
from model.network.unet import ColorNet
from model.network.weights import load_network, save_weights
from training.bench.locality import locality_of, opposite
from training.edit.config import EditTrainConfig, with_overrides
from training.edit.export import build, head_state
from training.edit.features import compute
from training.edit.samples import Features, make_batch, recolour_sample
from training.edit.train import train


def colour_photo(seed: int, size: int = 96) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = np.zeros((size, size, 3), np.uint8)
    for _ in range(6):  # coloured blocks: segments with colour to turn
        y, x = rng.integers(0, size - 24, 2)
        img[y : y + 24, x : x + 24] = rng.integers(0, 256, 3)
    return Image.fromarray(img)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("edit")
    photos = root / "photos"
    photos.mkdir()
    for i in range(4):
        colour_photo(i).save(photos / f"p{i}.png")
    torch.manual_seed(0)
    save_weights(ColorNet(NetConfig(width=4, semantic="none")).eval(), root / "unet.safetensors")
    compute(str(photos), str(root / "unet.safetensors"), root / "feat", batch=3)
    return root


def test_features_are_complete_and_match_the_trunk(run_dir: Path) -> None:
    feat = Features(run_dir / "feat")
    assert feat.available() == 4
    assert feat.mm["c7"].shape == (4, 32, 32, 32) and feat.mm["c8"].shape == (4, 16, 64, 64)
    assert np.abs(feat.mm["ab"][0]).max() > 20  # the true colour is kept
    assert len(np.unique(feat.mm["seg"][0])) > 1


def test_sample_kinds_have_their_targets(run_dir: Path) -> None:
    feat = Features(run_dir / "feat")
    for kind, shares in (("recolour", (0, 1, 0)), ("consistent", (0, 0, 1)), ("true", (1, 0, 0))):
        b = make_batch(feat, 4, 3, np.random.default_rng(1), shares, crop=64)
        assert b.L.shape == (3, 1, 64, 64) and b.c7.shape == (3, 32, 8, 8)
        assert b.c8.shape == (3, 16, 16, 16) and b.local.shape == (3, 3, 64, 64)
        assert (b.local[:, 2].flatten(1).amax(1) > 0).all()  # every sample has a point
        for j, k in enumerate(b.kinds):
            if k == "consistent":
                assert torch.equal(b.target[j], b.base[j])
            if k == "recolour":
                moved = (b.target[j] - b.base[j]).norm(dim=0) > 1e-3
                assert 0 < moved.float().mean() <= 0.3  # one segment, the rest as shown
        assert kind in b.kinds or kind == "recolour"


def test_a_recolour_turns_one_segment_and_its_points_carry_the_new_colour() -> None:
    rng = np.random.default_rng(0)
    seg = np.zeros((32, 32), np.uint16)
    seg[8:16, 8:16] = 1
    gt = np.zeros((32, 32, 2), np.float32)
    gt[..., 0] = 40.0
    base = np.full((32, 32, 2), 5.0, np.float32)
    made = recolour_sample(seg, gt, base, rng)
    assert made is not None
    pts, target = made
    inside = seg == 1
    assert np.allclose(target[~inside], 5.0)
    assert target[inside][:, 0].mean() < 0  # turned at least 90 degrees from +a
    for p in pts:
        assert inside[int(p.y * 32), int(p.x * 32)]
        assert np.allclose(p.ab, target[inside].mean(0), atol=1e-3)


def test_a_run_trains_resumes_and_exports(run_dir: Path) -> None:
    cfg = with_overrides(
        EditTrainConfig(),
        [
            f"feat={run_dir / 'feat'}",
            f"weights={run_dir / 'unet.safetensors'}",
            f"val={run_dir / 'photos'}",
            f"out={run_dir / 'run'}",
            "steps=4",
            "batch=2",
            "crop=64",
            "val_every=4",
            "val_limit=2",
            "ckpt_every=2",
            "warmup=1",
        ],
    )
    before = build(
        run_dir / "unet.safetensors",
        train(cfg.__class__.from_dict(cfg.to_dict() | {"steps": 2})).state_dict(),
    )
    assert json.loads((run_dir / "run" / "config.json").read_text())["steps"] == 2
    head = train(cfg)  # resumes at step 2 and runs to 4
    log = [json.loads(x) for x in (run_dir / "run" / "log.jsonl").read_text().splitlines()]
    vals = [r["val"] for r in log if "val" in r]
    assert (
        vals
        and vals[-1]["step"] == 4
        and {"psnr1", "psnr10", "near", "rest", "same"} <= set(vals[-1])
    )
    assert any(
        not torch.equal(a, b)
        for a, b in zip(before.edit.state_dict().values(), head.state_dict().values(), strict=True)
    )
    net = build(run_dir / "unet.safetensors", head_state(run_dir / "run"))
    path = run_dir / "edit.safetensors"
    save_weights(net, path)
    back = load_network(path)
    assert isinstance(back, EditNet)
    for k, v in head.state_dict().items():
        assert torch.allclose(back.edit.state_dict()[k], v, atol=1e-2)
    # A new run (on a machine without the old run folder) starts from the exported file.
    again = cfg.from_dict(
        cfg.to_dict() | {"out": str(run_dir / "run2"), "init": str(path), "steps": 0}
    )
    started = train(again)
    for k, v in back.edit.state_dict().items():
        assert torch.equal(started.state_dict()[k], v)


def test_unknown_training_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        with_overrides(EditTrainConfig(), ["stpes=3"])
    with pytest.raises(ValueError):
        with_overrides(EditTrainConfig(), ["crop=100"])


def test_locality_measures_tell_a_local_edit_from_a_global_one() -> None:
    rng = np.random.default_rng(0)
    true_ab = rng.normal(0, 20, (64, 64, 2)).astype(np.float32)
    auto = np.zeros((64, 64, 2), np.float32)

    def everywhere(points: list[Point]) -> np.ndarray:
        out = auto.copy()
        for p in points:
            out[:] = p.ab
        return out

    def ignores(points: list[Point]) -> np.ndarray:
        return auto.copy()

    g = locality_of(everywhere, true_ab, 0, 0)
    assert g.near == pytest.approx(0.0, abs=1e-4) and g.rest >= 30 - 1e-3
    n = locality_of(ignores, true_ab, 0, 0)
    assert n.near >= 30 - 1e-3 and n.rest == 0 and n.same == 0
    assert np.hypot(*opposite(Point(0.5, 0.5, (3.0, 4.0), 6)).ab) == pytest.approx(30.0)
    assert opposite(Point(0.5, 0.5, (30.0, 40.0), 6)).ab == (-30.0, -40.0)
