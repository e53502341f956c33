import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.network.weights import load_network, read_metadata
from tests.conftest import photo
from training.cli import main as train_main
from training.config import TrainConfig, apply_overrides, to_overrides
from training.data import HintedCrops, colour_photos, is_colourful, old_print, tone_jitter
from training.evaluate import evaluate, gray_predictor, psnr
from training.simulate import MANY_POINTS, eval_points, simulate_points

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "train"
    (d / "sub").mkdir(parents=True)
    for i in range(6):
        Image.fromarray(photo(48, 64, seed=i)).save(d / ("sub" if i % 2 else ".") / f"c{i}.jpg")
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(d / "grey.jpg")
    return d


def test_grey_photos_are_skipped(data_dir: Path) -> None:
    assert not is_colourful(data_dir / "grey.jpg")
    files = colour_photos(data_dir)
    assert len(files) == 6 and all("grey" not in f.name for f in files)


def test_simulated_points_follow_the_recipe() -> None:
    rng = np.random.default_rng(0)
    ab = np.random.default_rng(1).normal(0, 20, (64, 64, 2)).astype(np.float32)
    counts = [len(simulate_points(ab, rng)) for _ in range(3000)]
    assert np.mean(np.array(counts) == 0) == pytest.approx(1 / 8, abs=0.02)
    assert np.mean(counts) == pytest.approx(7, rel=0.1)
    pts = [p for _ in range(200) for p in simulate_points(ab, rng)]
    assert {p.size for p in pts} == set(range(1, 10))
    xs = np.array([p.x for p in pts])
    assert 0.4 < np.median(xs) < 0.6 and xs.min() < 0.1  # central, but edges are reached too


def test_many_point_share_reaches_the_benchmark_counts() -> None:
    ab = np.random.default_rng(1).normal(0, 20, (64, 64, 2)).astype(np.float32)
    plain = [len(simulate_points(ab, np.random.default_rng(i))) for i in range(2000)]
    rng = np.random.default_rng(0)
    many = np.array([len(simulate_points(ab, rng, p_many=0.25)) for _ in range(4000)])
    hi = MANY_POINTS[1]
    assert np.mean(np.array(plain) >= 50) < 0.01  # why the option exists
    # P(n >= 50) = 0.25 * log(101/50)/log(101/10) + the geometric tail ~ 0.076
    assert np.mean(many >= 50) == pytest.approx(0.076, abs=0.015)
    assert np.mean(many == 0) == pytest.approx(0.75 / 8, abs=0.015)
    assert many.max() <= hi
    # Off by default and without touching the random stream, so old runs replay exactly.
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert simulate_points(ab, a) == simulate_points(ab, b, p_many=0.0)


def test_siggraph17_first_stage_settings_give_no_hints(data_dir: Path) -> None:
    # The README's two-stage recipe relies on these overrides switching every hint off.
    sim = {"p_geom": 1.0, "p_hist": 0.0, "p_saturation": 0.0}
    ds = HintedCrops(colour_photos(data_dir), 32, sim, seed=3)
    for i in range(len(ds)):
        s = ds[i]
        assert not s["local"].any() and not s["glob"].any()
    hinted = HintedCrops(colour_photos(data_dir), 32, {}, seed=3)
    assert any(hinted[i]["local"].any() for i in range(len(hinted)))


def test_patch_values_are_the_mean_true_colour() -> None:
    ab = np.random.default_rng(2).normal(0, 20, (32, 32, 2)).astype(np.float32)
    (p,) = eval_points(ab, 1, np.random.default_rng(3))
    assert p.size == 6
    col, row = int(p.x * 32) - 2, int(p.y * 32) - 2
    assert np.allclose(p.ab, ab[row : row + 6, col : col + 6].reshape(-1, 2).mean(0), atol=1e-4)


def test_dataset_items(data_dir: Path) -> None:
    ds = HintedCrops(colour_photos(data_dir), 32, {}, seed=1)
    a, b = ds[0], ds[0]
    assert a["L"].shape == (1, 32, 32) and a["ab"].shape == (2, 32, 32)
    assert a["local"].shape == (3, 32, 32) and a["glob"].shape == (316,)
    assert all((a[k] == b[k]).all() for k in a)  # deterministic per (seed, epoch, index)


def test_tone_jitter_changes_lightness_only(data_dir: Path) -> None:
    L = np.linspace(0, 100, 500, dtype=np.float32).reshape(20, 25)
    out = [tone_jitter(L, np.random.default_rng(i)) for i in range(20)]
    assert all(o.dtype == L.dtype and o.min() >= 0 and o.max() <= 100 for o in out)
    assert all((np.diff(o.ravel()) >= 0).all() for o in out)  # monotone: edges keep their order
    assert np.mean([np.abs(o - L).mean() for o in out]) > 2  # and it does move the tones
    files = colour_photos(data_dir)
    plain = HintedCrops(files, 32, {}, seed=4)
    toned = HintedCrops(files, 32, {"p_tone": 1.0}, seed=4)
    off = HintedCrops(files, 32, {"p_tone": 0.0}, seed=4)
    for i in range(len(files)):
        a, b, c = plain[i], toned[i], off[i]
        assert all((a[k] == c[k]).all() for k in a)  # off replays the old random stream
        assert not (a["L"] == b["L"]).all()
        assert all((a[k] == b[k]).all() for k in ("ab", "local", "glob"))


def test_old_print_fades_softens_and_adds_grain() -> None:
    L = np.zeros((64, 64), np.float32)
    L[:, 32:] = 100.0  # black | white
    outs = [old_print(L, np.random.default_rng(i)) for i in range(10)]
    assert all(o.dtype == L.dtype and o.min() >= 0 and o.max() <= 100 for o in outs)
    for o in outs:
        black, white = o[:, 4:24], o[:, 40:60]
        assert black.mean() > 0.5 and white.mean() < 99.5  # blacks lifted, whites dulled
        assert black.std() > 0.3  # grain on what was flat
        assert white.mean() - black.mean() > 50  # still the same picture
    same = old_print(L, np.random.default_rng(3))
    assert (same == outs[3]).all()  # the generator decides everything


def test_old_print_crops_change_lightness_only(data_dir: Path) -> None:
    files = colour_photos(data_dir)
    plain = HintedCrops(files, 32, {}, seed=4)
    old = HintedCrops(files, 32, {"p_degrade": 1.0}, seed=4)
    for i in range(len(files)):
        a, b = plain[i], old[i]
        assert not (a["L"] == b["L"]).all()
        assert all((a[k] == b[k]).all() for k in ("ab", "local", "glob"))


def test_hue_turn_keeps_chroma_and_turns_points_with_the_photo(data_dir: Path) -> None:
    files = colour_photos(data_dir)
    many = {"p_many": 1.0}  # 10-100 points: every sample qualifies
    plain = HintedCrops(files, 32, many, seed=4)
    turned = HintedCrops(files, 32, {**many, "p_hue": 1.0}, seed=4)
    for i in range(len(files)):
        a, b = plain[i], turned[i]
        assert (a["L"] == b["L"]).all()
        chroma = [x["ab"].norm(dim=0) for x in (a, b)]
        assert torch.allclose(chroma[0], chroma[1], atol=1e-3)
        assert not torch.allclose(a["ab"], b["ab"], atol=1.0)
        mask = a["local"][2] > 0
        assert (mask == (b["local"][2] > 0)).all()
        # One angle for photo and points: the same turn maps the old hints onto the new.
        ha, hb = a["local"][:2][:, mask], b["local"][:2][:, mask]
        ang = torch.atan2(hb[1], hb[0]) - torch.atan2(ha[1], ha[0])
        big = ha.norm(dim=0) > 0.05
        pa, pb = a["ab"].flatten(1), b["ab"].flatten(1)
        j = int(pa.norm(dim=0).argmax())
        photo_ang = torch.atan2(pb[1, j], pb[0, j]) - torch.atan2(pa[1, j], pa[0, j])
        assert torch.allclose(torch.cos(ang[big]), torch.cos(photo_ang), atol=1e-3)
        assert torch.allclose(torch.sin(ang[big]), torch.sin(photo_ang), atol=1e-3)
        assert (b["glob"] == 0).all()


def test_hue_turn_spares_photos_with_few_points(data_dir: Path) -> None:
    files = colour_photos(data_dir)
    none = {"p_geom": 1.0}  # geometric count with P(0) = 1: no points
    a_set = HintedCrops(files, 32, none, seed=4)
    b_set = HintedCrops(files, 32, {**none, "p_hue": 1.0}, seed=4)
    for i in range(len(files)):
        a, b = a_set[i], b_set[i]
        assert all((a[k] == b[k]).all() for k in a)


def test_psnr_and_gray_baseline() -> None:
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0] = 10
    assert psnr(a, b) == pytest.approx(10 * np.log10(255**2 / (100 / 48)))
    imgs = [photo(32, 32, s) for s in range(2)]
    res = evaluate(gray_predictor, imgs, points=(0, 5))
    assert res[0] == res[5] and 10 < res[0] < 40


def test_overrides(tmp_path: Path) -> None:
    cfg = apply_overrides(
        TrainConfig(), ["batch=4", "net.width=8", "bf16=false", "val_points=0,10"]
    )
    assert cfg.batch == 4 and cfg.net.width == 8 and cfg.bf16 is False and cfg.val_points == (0, 10)
    with pytest.raises(ValueError, match="unknown"):
        apply_overrides(TrainConfig(), ["bacth=4"])
    with pytest.raises(ValueError, match="unknown"):
        apply_overrides(TrainConfig(), ["net.depth=4"])


@pytest.mark.parametrize(
    "overrides",
    [
        [],
        ["batch=4", "net.width=8", "bf16=false", "val_points=0,10", "lr=5e-05", "init=w.st"],
        ["arch=ae", "loss=l1", "crop=96"],
        ["arch=class", "rebalance=0.5", "net.width=16"],
    ],
)
def test_overrides_round_trip(overrides: list[str]) -> None:
    # The model card prints a run's command from its saved config: it must rebuild that config.
    cfg = apply_overrides(TrainConfig(data="d", val="v", out="o"), overrides)
    again = apply_overrides(TrainConfig(data="d", val="v", out="o"), to_overrides(cfg.to_dict()))
    assert again == cfg
    assert len(to_overrides(cfg.to_dict())) <= len(overrides)  # only what differs


TINY_RUN = [
    "crop=32", "batch=2", "net.width=4", "net.semantic=none", "val_images=2", "val_every=2",
    "val_points=0,5", "ckpt_every=2", "log_every=1", "threads=1", "workers=0", "warmup_steps=1",
]  # fmt: skip


def test_train_resume_export(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["--data", str(data_dir), "--val", str(data_dir), "--out", str(run), "--no-progress"]
    assert train_main([*args, "steps=3", *TINY_RUN]) == 0
    saved = json.loads((run / "config.json").read_text())
    assert saved["batch"] == 2 and saved["net"]["width"] == 4
    assert train_main([*args, "--resume", "steps=5"]) == 0
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in log if "loss" in r]
    assert steps == [1, 2, 3, 4, 5]  # resumed at 4, not from scratch
    # Every 2 steps, and where each segment stopped off that grid (3 and 5).
    assert [r["step"] for r in log if r.get("val")] == [2, 3, 4, 5]
    here = json.loads((run / "machine.json").read_text())
    assert len(here) == 1 and "no GPU" in here[0]  # resumed on the same machine: one entry
    # Pretend stage 1 trained elsewhere, so the history has to say where.
    (run / "machine.json").write_text(json.dumps(["64 threads on Elsewhere CPU, no GPU"]))
    dest = tmp_path / "release" / "w.safetensors"
    assert train_main(["--out", str(run), "--export", str(dest)]) == 0
    net = load_network(dest)
    assert net.cfg.width == 4
    card = dest.with_suffix(".md").read_text()
    assert "| engine |" in card and "Steps:" in card and "| **Huebrush" in card
    best = int(read_metadata(dest)["step"])  # the best validated step is what ships
    first = json.loads(read_metadata(dest)["lineage"])
    assert [(s["run"], s["init"], s["steps"], s["crop"]) for s in first] == [("run", "", best, 32)]
    assert "Training history" not in card  # one stage: nothing to trace
    assert "of training on 64 threads on Elsewhere CPU, no GPU" in card

    # Fine-tune the release and export over it: the history is taken when the run starts, so
    # the new file has both stages even though it replaces the one the run began from.
    run2 = tmp_path / "run2"
    args2 = ["--data", str(data_dir), "--val", str(data_dir), "--out", str(run2), "--no-progress"]
    stage2 = ["steps=2", *TINY_RUN, "crop=48", "p_points_many=0.5", f"init={dest}"]
    assert train_main([*args2, *stage2]) == 0
    assert train_main(["--out", str(run2), "--export", str(dest)]) == 0
    stages = json.loads(read_metadata(dest)["lineage"])
    assert [(s["run"], s["init"], s["steps"], s["crop"]) for s in stages] == [
        ("run", "", best, 32),
        ("run2", "w.safetensors", 2, 48),
    ]
    card = dest.with_suffix(".md").read_text()
    assert "Training history" in card and f"{best + 2} steps" in card
    assert "crop=48" in card and "init=" in card  # the command that made the stage
    assert "| 2 (run2) | run | 2 | 2 | 48 |" in card  # started from the stage above
    assert "Stage 2: 50% of training samples carry 10-100 points" in card  # the hint mix
    assert f"of training on {here[0]}," in card  # this stage's machine, not the exporter's guess
    assert "Stage 1 trained on 64 threads on Elsewhere CPU, no GPU." in card

    # Start from weights a run wrote but nobody exported (its final.safetensors has no
    # history in it): the run folder beside them still says how they were made.
    run3 = tmp_path / "run3"
    args3 = ["--data", str(data_dir), "--val", str(data_dir), "--out", str(run3), "--no-progress"]
    assert train_main([*args3, "steps=2", *TINY_RUN, f"init={run2 / 'final.safetensors'}"]) == 0
    dest3 = tmp_path / "w3.safetensors"
    assert train_main(["--out", str(run3), "--export", str(dest3)]) == 0
    stages3 = json.loads(read_metadata(dest3)["lineage"])
    assert [(s["run"], s["steps"], s["crop"]) for s in stages3] == [
        ("run", best, 32),
        ("run2", 2, 48),
        ("run3", 2, 32),
    ]
    assert stages3[1]["val"] == stages[1]["val"]  # run2's validation at its last step
    assert "| 3 (run3) | run2 | 2 |" in dest3.with_suffix(".md").read_text()


def test_export_the_last_raw_weights_of_an_averaged_run(data_dir: Path, tmp_path: Path) -> None:
    """--export-from final_raw ships the last step's raw weights with their own logged score."""
    run = tmp_path / "run"
    args = ["--data", str(data_dir), "--val", str(data_dir), "--out", str(run), "--no-progress"]
    # A large learning rate moves the raw weights far from the average in two steps.
    assert train_main([*args, "steps=2", "ema=0.5", *TINY_RUN, "lr=0.05"]) == 0
    rec = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    last = [r for r in rec if r.get("val")][-1]
    assert last["step"] == 2 and "psnr_raw" in last
    dest = tmp_path / "w.safetensors"
    assert train_main(["--out", str(run), "--export", str(dest), "--export-from", "final_raw"]) == 0
    meta = read_metadata(dest)
    assert meta["step"] == "2" and json.loads(meta["val"]) == last["psnr_raw"]
    shipped = load_network(dest).state_dict()
    raw = load_network(run / "final_raw.safetensors").state_dict()
    avg = load_network(run / "final.safetensors").state_dict()
    moved = [k for k in raw if raw[k].is_floating_point() and not torch.equal(raw[k], avg[k])]
    assert moved  # the average really differs, so the check below can tell them apart
    # Shipped kernels are rounded (int8, fp16), so it is the nearer of the two, not equal.
    to_raw = sum(float((shipped[k].float() - raw[k].float()).abs().sum()) for k in moved)
    to_avg = sum(float((shipped[k].float() - avg[k].float()).abs().sum()) for k in moved)
    assert to_raw < to_avg / 2
    card = dest.with_suffix(".md").read_text()
    assert "raw weights, not the weight average" in card
    assert "--export-from final_raw" in card  # the command that rebuilds this file
    # A run without an average has no raw file to ship: a clear stop, not a wrong file.
    run2 = tmp_path / "plain"
    args2 = ["--data", str(data_dir), "--val", str(data_dir), "--out", str(run2), "--no-progress"]
    assert train_main([*args2, "steps=2", *TINY_RUN]) == 0
    with pytest.raises(SystemExit, match="final_raw"):
        train_main(["--out", str(run2), "--export", str(dest), "--export-from", "final_raw"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_process_distributed_training(data_dir: Path, tmp_path: Path) -> None:
    run = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_port", str(_free_port()),
        "-m", "training.cli", "--data", str(data_dir), "--out", str(run), "--no-progress",
        "steps=2", "ema=0.9", *TINY_RUN,
    ]  # fmt: skip
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stderr[-2000:]
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if "loss" in r] == [1, 2]
    # The main process alone keeps the weight average, updated once a step.
    assert torch.load(run / "last.pt", weights_only=True)["ema"]["updates"] == 2


def test_wall_time_adds_up_resumed_segments() -> None:
    from training.lineage import wall_minutes

    log = [
        {"step": 20, "elapsed_min": 2.0},
        {"step": 40, "elapsed_min": 4.0, "img_s": 3.0},
        {"step": 40, "val": True},
        {"step": 60, "elapsed_min": 1.5},  # resumed: this process's own clock
        {"step": 80, "elapsed_min": 3.0},
        {"step": 100, "elapsed_min": 5.0},
    ]
    assert wall_minutes(log, 80) == 7.0
    assert wall_minutes(log, 100) == 9.0
    assert wall_minutes(log, 40) == 4.0


def test_time_boxed_decay_follows_the_clock_or_the_steps() -> None:
    from training.loop import lr_at

    cfg = TrainConfig(lr=1e-3, warmup_steps=10, lr_decay_steps=1000, max_minutes=10.0)
    boxed = apply_overrides(cfg, ["decay_by_time=true"])
    # Early in steps but at the end of the time box: fully decayed, as if at the last step.
    assert lr_at(100, boxed, minutes=10.0) == pytest.approx(lr_at(1000, cfg))
    assert lr_at(100, boxed, minutes=5.0) < lr_at(100, cfg)
    # Steps further along than the clock: the steps decide, as without the option.
    assert lr_at(900, boxed, minutes=1.0) == lr_at(900, cfg)
    assert lr_at(5, boxed, minutes=9.0) == lr_at(5, cfg)  # warm-up is by steps
    assert lr_at(100, cfg, minutes=10.0) == lr_at(100, cfg)  # off by default
    with pytest.raises(ValueError, match="max_minutes"):
        TrainConfig(decay_by_time=True)
