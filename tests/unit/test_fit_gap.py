from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import photo
from training.evaluate import gray_predictor, load_eval_images
from training.fit_gap import gap, held_out_files, main


def _folder(d: Path, n: int, offset: int) -> Path:
    d.mkdir()
    for i in range(n):
        Image.fromarray(photo(40, 48, seed=offset + i)).save(d / f"p{i:02d}.png")
    return d


def test_held_out_photos_are_those_validation_never_scores(tmp_path: Path) -> None:
    val = _folder(tmp_path / "val", 9, 0)
    held = held_out_files(val, 4)
    assert len(held) == 5
    subset = load_eval_images(val, 4)
    held_imgs = [
        np.asarray(Image.open(f).convert("RGB").resize((256, 256), Image.BICUBIC)) for f in held
    ]
    assert not any((a == b).all() for a in subset for b in held_imgs)


def test_gap_is_train_minus_held_out_and_zero_on_the_same_photos() -> None:
    a = [photo(32, 32, seed=s) for s in range(3)]
    b = [photo(32, 32, seed=s) for s in range(10, 13)]
    same = gap(gray_predictor, a, a, (0, 1), seed=5)
    assert all(v == 0 for v in same["gap"].values())
    r = gap(gray_predictor, a, b, (0, 1), seed=5)
    assert r["gap"][0] == r["train"][0] - r["held_out"][0] != 0


def test_cli_prints_a_row_per_engine(tmp_path: Path, tiny_weights: Path, capsys) -> None:
    train = _folder(tmp_path / "train", 5, 20)
    val = _folder(tmp_path / "val", 6, 40)
    args = ["--train", str(train), "--val", str(val), "--n-train", "3", "--subset", "2"]
    assert main([str(tiny_weights), *args, "--points", "0", "5"]) == 0
    out = capsys.readouterr().out
    assert "3 training photos, 4 held-out validation photos" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "engine" not in line]
    assert [r.split(" | ")[0] for r in rows] == ["| gray", "| levin", f"| {tiny_weights}"]
    assert all(len(r.split(" | ")[1].split(" / ")) == 2 for r in rows)
    assert main([str(tiny_weights), *args, "--points", "0", "--no-baselines"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "engine" not in line]
    assert [r.split(" | ")[0] for r in rows] == [f"| {tiny_weights}"]  # no gray, no Levin
