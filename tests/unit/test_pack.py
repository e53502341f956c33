"""`python -m training.pack`: colour photos only, shorter side capped, size-capped parts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import photo
from training.data import HintedCrops, colour_photos
from training.pack import main, pack

CAP = 600  # bytes: a few of these small WebP photos


def _photos(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    for i in range(5):
        Image.fromarray(photo(72, 96, seed=i)).save(src / f"c{i}.png")
    # The same name in a subfolder must not overwrite the first.
    Image.fromarray(photo(40, 30, seed=9)).save(src / "sub" / "c0.jpg")
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(src / "grey.png")
    return src


def test_pack_splits_caps_and_lists(tmp_path: Path) -> None:
    src, dst = _photos(tmp_path), tmp_path / "pack"
    (dst / "stale").mkdir(parents=True)  # an older pack is replaced, not merged
    s = pack(src, dst, short=48, quality=80, part_mib=CAP / 2**20, workers=1)
    assert s["photos"] == 6 and s["skipped_grey"] == 1
    parts = sorted(p for p in dst.iterdir() if p.is_dir())
    assert [p.name for p in parts] == [f"part{i + 1:02d}" for i in range(len(parts))]
    assert len(parts) >= 2 and not (dst / "stale").exists()
    listed = []
    for part, info in zip(parts, s["parts"], strict=True):  # type: ignore[call-overload]
        names = json.loads((part / "pack.json").read_text())["files"]
        sizes = [(part / n).stat().st_size for n in names]
        assert sum(sizes) == info["bytes"]
        # A part closes before it overflows, unless one photo alone is bigger than the cap.
        assert sum(sizes) <= CAP or len(names) == 1
        listed += [part / n for n in names]
    assert sorted(colour_photos(dst)) == sorted(listed) and len(listed) == 6
    by_name = {Path(*p.relative_to(dst).parts[1:]).as_posix(): p for p in listed}
    assert "c0.webp" in by_name and "sub/c0.webp" in by_name
    with Image.open(by_name["c1.webp"]) as im:
        assert im.format == "WEBP" and min(im.size) == 48 and im.size == (64, 48)
    with Image.open(by_name["sub/c0.webp"]) as im:
        assert im.size == (30, 40)  # smaller than the cap: never enlarged
    assert json.loads((dst / "summary.json").read_text())["photos"] == 6


def test_training_reads_a_pack(tmp_path: Path) -> None:
    dst = tmp_path / "pack"
    assert main([str(_photos(tmp_path)), str(dst), "--short", "48", "--workers", "1"]) == 0
    files = colour_photos(dst)
    assert len(files) == 6
    ds = HintedCrops(files, 32, {}, seed=0)
    item = ds[0]
    assert item["L"].shape == (1, 32, 32) and item["ab"].abs().max() > 5
