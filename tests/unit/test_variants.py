"""The research variants train through the real loop, reload from their weights
alone and are compared by `huebrush-bench variants`; class rebalancing and input
enhancement check out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.colour.bins import bin_centers, nearest_bin
from model.colour.colorspace import lab_to_rgb, rgb_to_lab
from model.colour.enhance import EnhanceSettings, enhance, equalize, stretch
from model.network.registry import arch_config, arch_names, arch_of, build_network, get_arch
from model.network.weights import WeightsError, load_any, load_network, save_weights
from tests.conftest import photo
from training.cli import main as train_main
from training.config import TrainConfig, apply_overrides
from training.loop import CKPT, FINAL, build_model, train
from training.rebalance import (
    PRIOR_FILE,
    class_weights,
    empirical_counts,
    rebalance_weights,
    smooth,
)

# The smallest useful shape of each architecture, so a few steps take a fraction of a second.
TINY: dict[str, list[str]] = {
    "huebrush": ["net.width=4", "net.semantic=none"],
    "ae": ["net.width=4", "net.depth=2"],
    "class": ["net.width=4"],
    "fusion": ["net.width=4", "net.global_size=32", "net.global_dim=8"],
    "koala": ["net.width=4", "net.sem_size=32"],
    "pix2pix": ["net.width=4", "net.depth=3", "disc_width=4", "disc_layers=2"],
}
RUN = [
    "crop=32", "batch=2", "threads=1", "workers=0", "warmup_steps=1", "log_every=1",
    "lr=1e-3", "ckpt_every=1000",
]  # fmt: skip

# The research variants: the architectures training registers (training.variants), not the app's.
RESEARCH_ARCHS = [
    a for a in arch_names() if get_arch(a).net.__module__.startswith("training.variants.")
]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("variant_data")
    for i in range(4):
        Image.fromarray(photo(40, 48, seed=i)).save(d / f"c{i}.png")
    return d


def _cfg(arch: str, data: Path, out: Path, *extra: str) -> TrainConfig:
    return apply_overrides(
        TrainConfig(), [f"arch={arch}", *TINY[arch], *RUN, f"data={data}", f"out={out}", *extra]
    )


def _log(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize(
    ("arch", "loss"),
    [
        ("ae", "l2"),
        ("ae", "l1"),
        ("class", "ce"),
        ("fusion", "l2"),
        ("koala", "l2"),
        ("pix2pix", "gan"),
        ("huebrush", "huebrush"),
    ],
)
def test_variant_trains_and_reloads_from_its_weights(
    arch: str, loss: str, data_dir: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    cfg = _cfg(arch, data_dir, run, f"loss={loss}", "steps=3")
    if arch == "huebrush":
        cfg = apply_overrides(cfg, ["rebalance=1"])  # the rebalancing also drives the default
    res = train(cfg, progress=False)
    assert res["step"] == 3
    losses = [r["loss"] for r in _log(run) if "loss" in r]
    assert len(losses) == 3 and all(np.isfinite(losses))
    saved = json.loads((run / "config.json").read_text())
    assert saved["arch"] == arch and saved["loss"] == loss
    assert set(saved["net"]) == set(json.loads(arch_config(arch).to_json()))

    net = load_any(run / FINAL)  # from the file alone: arch and config are in its header
    assert arch_of(net) == arch and net.cfg == cfg.net
    torch.manual_seed(cfg.seed)  # the loop seeds the same way before building the network
    init = build_model(cfg).state_dict()
    trained = net.state_dict()
    changed = max(float((trained[k].float() - init[k].float()).abs().max()) for k in init)
    assert changed > 5e-4  # fp16 storage rounds at ~1e-4 here; training moved further
    frozen = [k for k in init if k.startswith("semantic.")]
    for k in frozen:  # ImageNet features stay as they were
        assert torch.allclose(trained[k].float(), init[k].float(), atol=2e-3, rtol=2e-3)
    with torch.no_grad():
        out = net(torch.rand(1, 1, 32, 32) * 100, torch.zeros(1, 3, 32, 32), torch.zeros(1, 316))
    assert out.ab.shape == (1, 2, 32, 32) and torch.isfinite(out.ab).all()
    if cfg.rebalance:
        assert (run / PRIOR_FILE).is_file()


def test_cli_arch_and_loss_flags(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "cli"
    args = ["--data", str(data_dir), "--out", str(run), "--no-progress"]
    extra = [*TINY["ae"], *RUN, "steps=2"]
    assert train_main([*args, "--arch", "ae", "--loss", "l1", *extra]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert (saved["arch"], saved["loss"], saved["net"]["depth"]) == ("ae", "l1", 2)
    assert train_main([*args, "--resume", "steps=3"]) == 0  # resumes as an ae, not huebrush
    assert [r["step"] for r in _log(run) if "loss" in r] == [1, 2, 3]


def test_arch_presets_and_validation() -> None:
    cls = apply_overrides(TrainConfig(), ["net.width=8", "arch=class"])  # arch goes first
    assert (cls.loss, cls.rebalance, cls.net.width) == ("ce", 1.0, 8)
    assert apply_overrides(cls, ["arch=ae"]).rebalance == 0.0  # presets do not leak
    assert apply_overrides(TrainConfig(), ["arch=pix2pix"]).loss == "gan"
    assert TrainConfig().arch == "huebrush" and TrainConfig().loss == "huebrush"
    for bad in (["arch=ae", "loss=ce"], ["arch=nope"], ["arch=ae", "net.semantic=none"]):
        with pytest.raises(ValueError):
            apply_overrides(TrainConfig(), bad)
    with pytest.raises(ValueError, match="rebalance"):
        apply_overrides(TrainConfig(), ["arch=ae", "rebalance=1"])


def test_gan_resume_restores_the_discriminator(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "gan"
    train(_cfg("pix2pix", data_dir, run, "steps=2"), progress=False)
    first = torch.load(run / CKPT, weights_only=True)["criterion"]
    assert set(first) == {"disc", "disc_opt"}
    steps = {int(s["step"]) for s in first["disc_opt"]["state"].values()}
    assert steps == {2}
    cfg = TrainConfig.from_dict({**json.loads((run / "config.json").read_text()), "steps": 4})
    train(cfg, resume=True, progress=False)
    second = torch.load(run / CKPT, weights_only=True)["criterion"]
    # Adam's counter continued from 2: the discriminator and its optimiser were restored.
    assert {int(s["step"]) for s in second["disc_opt"]["state"].values()} == {4}
    assert [r["step"] for r in _log(run) if "loss" in r] == [1, 2, 3, 4]
    assert any(
        not torch.equal(first["disc"][k], second["disc"][k])
        for k in first["disc"]
        if k.endswith("weight")
    )


@pytest.mark.parametrize("arch", RESEARCH_ARCHS)
def test_saved_variant_reloads_into_an_equal_network(arch: str, tmp_path: Path) -> None:
    torch.manual_seed(3)
    cfg = arch_config(arch, json.loads(_cfg(arch, Path(), tmp_path).net.to_json()))
    net = build_network(arch, cfg).eval()
    p = tmp_path / f"{arch}.safetensors"
    save_weights(net, p, half=False)
    back = load_any(p)
    assert type(back) is type(net) and back.cfg == net.cfg
    x = torch.rand(2, 1, 40, 24) * 100  # not a multiple of 8: the variants take any size
    with torch.no_grad():
        a, b = net(x), back(x)
    assert a.ab.shape == (2, 2, 40, 24)
    assert torch.equal(a.ab, b.ab)
    with pytest.raises(WeightsError, match="load_any"):
        load_network(p)  # the app's loader refuses a variant instead of misreading it


# --------------------------------------------------------------------------- rebalancing


def test_rebalancing_weights_by_hand() -> None:
    q = len(bin_centers())
    a, b = 10, 200
    p = np.zeros(q)
    p[a], p[b] = 0.75, 0.25
    w = rebalance_weights(p, lam=0.5)  # no smoothing here: the formula alone
    raw = 1.0 / (0.5 * p + 0.5 / q)  # 1 / ((1 - lambda) p + lambda / Q)
    z = 0.75 * raw[a] + 0.25 * raw[b]  # the expectation of the raw weights under p
    assert w[a] == pytest.approx(raw[a] / z) and w[b] == pytest.approx(raw[b] / z)
    assert w[0] == pytest.approx(2.0 * q / z)  # an unseen colour: 1 / (lambda / Q)
    assert (p * w).sum() == pytest.approx(1.0)
    assert w[b] > w[a]  # the rarer colour weighs more


def test_smoothing_spreads_a_bin_by_a_gaussian_of_sigma_5() -> None:
    c = bin_centers()
    centre = int(np.flatnonzero((c == (0.0, 0.0)).all(1))[0])
    side = int(np.flatnonzero((c == (10.0, 0.0)).all(1))[0])
    diag = int(np.flatnonzero((c == (10.0, 10.0)).all(1))[0])
    p = np.zeros(len(c))
    p[centre] = 1.0
    s = smooth(p, 5.0)
    assert s.sum() == pytest.approx(1.0)
    assert s[side] / s[centre] == pytest.approx(np.exp(-(10**2) / (2 * 5**2)))  # e^-2
    assert s[diag] / s[centre] == pytest.approx(np.exp(-(200) / (2 * 5**2)))  # e^-4
    assert np.array_equal(smooth(p, 0.0), p)


def test_prior_counts_the_training_colours(tmp_path: Path) -> None:
    # A photo that is 3/4 one colour and 1/4 another: counts 3:1 at their nearest bins.
    lab = np.zeros((16, 16, 3), np.float32)
    lab[..., 0] = 50.0
    lab[:, :12, 1:] = (30.0, 20.0)
    lab[:, 12:, 1:] = (-20.0, -30.0)
    rgb = (np.clip(lab_to_rgb(lab), 0, 1) * 255).round().astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "two.png")
    ab = rgb_to_lab(rgb / 255.0)[..., 1:]
    ia, ib = int(nearest_bin(ab[0, 0])), int(nearest_bin(ab[0, 15]))
    counts = empirical_counts([tmp_path / "two.png"])
    assert counts[ia] == 192 and counts[ib] == 64 and counts.sum() == 256

    run = tmp_path / "run"
    run.mkdir()
    w = class_weights([tmp_path / "two.png"], run, sigma=5.0, lam=0.5)
    rec = json.loads((run / PRIOR_FILE).read_text())
    assert rec["counts"][ia] == 192 and rec["lambda"] == 0.5 and rec["sigma"] == 5.0
    assert np.allclose(w, rebalance_weights(smooth(counts / 256, 5.0), 0.5))
    other = tmp_path / "other"
    other.mkdir()
    again = class_weights([], other, reuse=run / PRIOR_FILE)  # no photos needed: reused
    assert np.allclose(again, w)
    assert json.loads((other / PRIOR_FILE).read_text())["reused_from"].endswith(PRIOR_FILE)


# --------------------------------------------------------------------------- enhancement


def test_stretch_maps_the_percentiles_to_0_and_100() -> None:
    rng = np.random.default_rng(0)
    lum = rng.uniform(30.0, 60.0, (64, 64)).astype(np.float32)
    out = stretch(lum, 1.0, 99.0)
    lo, hi = np.percentile(lum, [1.0, 99.0])
    assert np.percentile(out, 1.0) == pytest.approx(0.0, abs=1e-3)
    assert np.percentile(out, 99.0) == pytest.approx(100.0, abs=1e-3)
    inside = (lum > lo) & (lum < hi)
    assert np.allclose(out[inside], (lum[inside] - lo) / (hi - lo) * 100, atol=1e-3)
    assert out.min() == 0.0 and out.max() == 100.0  # the tails are clipped
    flat = np.full((8, 8), 42.0, np.float32)
    assert np.array_equal(stretch(flat), flat) and np.array_equal(equalize(flat), flat)
    assert enhance(lum, "none") is lum


def test_equalize_gives_a_nearly_uniform_histogram() -> None:
    rng = np.random.default_rng(1)
    L = (100.0 * rng.beta(2.0, 6.0, (128, 128))).astype(np.float32)  # mostly dark
    before = np.histogram(L, bins=10, range=(0, 100))[0] / L.size
    out = equalize(L)
    after = np.histogram(out, bins=10, range=(0, 100))[0] / L.size
    assert np.abs(before - 0.1).max() > 0.1  # far from uniform to start with
    assert np.abs(after - 0.1).max() < 0.01
    assert out.min() == 0.0 and out.max() == pytest.approx(100.0)
    order = np.argsort(L.ravel())
    assert np.all(np.diff(out.ravel()[order]) >= 0)  # monotonic: no tone is inverted
    with pytest.raises(ValueError):
        EnhanceSettings("sharpen")


def _low_contrast(tmp_path: Path) -> Path:
    rgb = photo(48, 64, seed=4).astype(np.float32)
    rgb = (rgb * 0.3 + 90).round().astype(np.uint8)  # a faded print
    d = tmp_path / "faded"
    d.mkdir()
    Image.fromarray(rgb).save(d / "f.png")
    return d / "f.png"


def test_cli_keeps_the_original_lightness_unless_asked(tmp_path: Path, tiny_weights: Path) -> None:
    from model.cli import main as colorize

    src = _low_contrast(tmp_path)
    L_in = rgb_to_lab(np.asarray(Image.open(src)) / 255.0)[..., 0]
    common = ["--weights", str(tiny_weights), "--no-progress", "--enhance", "stretch"]
    assert colorize([str(src), "-o", str(tmp_path / "a"), *common]) == 0
    L_a = rgb_to_lab(np.asarray(Image.open(tmp_path / "a" / "f_color.png")) / 255.0)[..., 0]
    assert np.median(np.abs(L_a - L_in)) < 0.5  # the network saw stretched L; output did not
    assert colorize([str(src), "-o", str(tmp_path / "b"), *common, "--enhance-output"]) == 0
    L_b = rgb_to_lab(np.asarray(Image.open(tmp_path / "b" / "f_color.png")) / 255.0)[..., 0]
    assert np.median(np.abs(L_b - stretch(L_in))) < 1.0
    assert np.median(np.abs(L_b - L_in)) > 5.0
    bad = [str(src), "-o", str(tmp_path / "c"), "--weights", str(tiny_weights), "--enhance-output"]
    assert colorize(bad) == 2  # --enhance-output alone would silently do nothing


# --------------------------------------------------------------------------- bench + runner


def test_variants_bench_writes_its_table_and_sheet(
    data_dir: Path, tmp_path: Path, tiny_weights: Path
) -> None:
    from training.bench.cli import main as bench_main
    from training.run_variants import doc_markdown

    photos = tmp_path / "val"
    photos.mkdir()
    for i in range(2):
        Image.fromarray(photo(64, 64, seed=10 + i)).save(photos / f"v{i}.png")
    run = tmp_path / "var_ae"
    train(_cfg("ae", data_dir, run, "steps=2"), progress=False)
    out = tmp_path / "bench"
    args = ["variants", "--runs", str(run), str(tiny_weights), "--data", str(photos)]
    assert bench_main([*args, "--out", str(out), "--no-progress"]) == 0
    report = json.loads((out / "variants.json").read_text())
    rows = {r["label"]: r for r in report["variants"]}
    assert set(rows) == {"var_ae", "tiny"}
    assert rows["var_ae"]["arch"] == "ae" and rows["var_ae"]["step"] == 2
    assert "psnr_10" not in rows["var_ae"]  # automatic: no hint score
    assert rows["tiny"]["interactive"] and 5 < rows["tiny"]["psnr_10"] < 60
    assert report["meta"]["dataset"]["images"] == 2 and report["sheet"]["photos"] == [0, 1]
    for r in rows.values():
        assert 5 < r["psnr"] < 60 and r["ab_mae"] >= 0 and r["colourfulness"] >= 0
    table = (out / "variants.md").read_text()
    assert "| var_ae | ae | l2 | 2 |" in table and "| grey (ab = 0) |" in table
    with Image.open(out / "variants_sheet.png") as sheet:
        # input, var_ae, tiny, tiny + 10 points, truth; a label row over two photo rows
        assert sheet.size == (5 * 132, 28 + 2 * 132)
    settings = {
        "variants": ["ae_l2"],
        "configs": {"ae_l2": json.loads((run / "config.json").read_text())},
        "minutes": 6,
        "data": "train",
        "train_photos": 4,
        "common": ["crop=128"],
        "sets": [],
        "command": "python -m training.run_variants --minutes 6",
        "date": "2026-11-22",
    }
    doc = doc_markdown(report, settings, table)
    assert "| var_ae | ae | l2 | 2 |" in doc and "variants/variants_sheet.png" in doc
    assert "32x32 random resized crops" in doc and "batch 2;" in doc and "ae_l2 0.001" in doc


def test_runner_gives_every_variant_the_same_budget(capsys: pytest.CaptureFixture[str]) -> None:
    from training.run_variants import VARIANTS
    from training.run_variants import main as run_main

    argv = ["--data", "train", "--val", "val", "--minutes", "6", "--dry-run"]
    assert run_main(argv) == 0
    cmds = capsys.readouterr().out.strip().splitlines()
    assert len(cmds) == len(VARIANTS)
    for c in cmds:
        for same in ("max_minutes=6", "crop=128", "batch=32", "bf16=true", "channels_last=true"):
            assert same in c.split()
    archs = [c.split("--arch ")[1].split()[0] for c in cmds]
    assert sorted(set(archs)) == sorted(["huebrush", *RESEARCH_ARCHS])
