"""Pack a photo folder small enough to travel: colour photos only, WebP, in size-capped parts.

`python -m training.pack SRC DST [--short 256] [--quality 75] [--part-mib 40]` writes
DST/part01, DST/part02, ... each holding at most --part-mib of WebP photos (the shorter side
capped at --short, never enlarged) and a `pack.json` listing them. Photos that fail the ab
range test are left out, so training on DST needs no test of its own
(`training.data.colour_photos` trusts the listings). Made for a lent GPU machine, which
receives at most 64 MiB per call: each part travels in its own call (README, Training).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image

from training.data import PACK_LISTING, is_colourful, list_images


def encode(path: Path, short: int, quality: int) -> bytes | None:
    """The photo as WebP with its shorter side at most `short`; None for a grey photo."""
    if not is_colourful(path):
        return None
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        s = short / min(w, h)
        if s < 1:
            im = im.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
        buf = io.BytesIO()
        im.save(buf, "WEBP", quality=quality, method=6)
    return buf.getvalue()


def _encode_job(job: tuple[Path, int, int]) -> bytes | None:
    return encode(*job)


def pack(
    src: str | Path,
    dst: str | Path,
    short: int = 256,
    quality: int = 75,
    part_mib: float = 40.0,
    workers: int | None = None,
) -> dict[str, object]:
    """Write the pack (replacing DST) and return its summary (also DST/summary.json)."""
    src, dst = Path(src), Path(dst)
    files = list_images(src)
    if not files:
        raise SystemExit(f"no photos under {src}")
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    cap = int(part_mib * 2**20)
    parts: list[dict[str, object]] = []
    names: list[str] = []
    used = 0
    skipped = 0
    total = 0

    def close_part() -> None:
        if names:
            part = dst / f"part{len(parts) + 1:02d}"
            (part / PACK_LISTING).write_text(json.dumps({"files": names}) + "\n")
            parts.append({"name": part.name, "photos": len(names), "bytes": used})

    jobs = [(f, short, quality) for f in files]
    with ProcessPoolExecutor(workers or os.cpu_count() or 1) as ex:
        for f, data in zip(files, ex.map(_encode_job, jobs, chunksize=16), strict=True):
            if data is None:
                skipped += 1
                continue
            if names and used + len(data) > cap:
                close_part()
                names, used = [], 0
            # Sources in different subfolders may share a name: keep the relative path.
            rel = f.relative_to(src).with_suffix(".webp")
            out = dst / f"part{len(parts) + 1:02d}" / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            names.append(rel.as_posix())
            used += len(data)
            total += 1
    close_part()
    summary: dict[str, object] = {
        "source": src.name,
        "short": short,
        "quality": quality,
        "photos": total,
        "skipped_grey": skipped,
        "parts": parts,
    }
    # Named apart from the parts' own listings, so the pack's root is not mistaken for one.
    (dst / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.pack", description=__doc__)
    ap.add_argument("src", help="folder of photos (searched recursively)")
    ap.add_argument("dst", help="pack folder to write (replaced)")
    ap.add_argument("--short", type=int, default=256, help="cap on the shorter side, px")
    ap.add_argument("--quality", type=int, default=75, help="WebP quality")
    ap.add_argument("--part-mib", type=float, default=40.0, help="size cap of one part")
    ap.add_argument("--workers", type=int, default=None)
    a = ap.parse_args(argv)
    s = pack(a.src, a.dst, a.short, a.quality, a.part_mib, a.workers)
    for p in s["parts"]:  # type: ignore[attr-defined]
        print(f"{p['name']}: {p['photos']} photos, {p['bytes'] / 2**20:.1f} MiB")
    print(f"{s['photos']} photos packed, {s['skipped_grey']} grey ones left out")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
