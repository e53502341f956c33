"""Contact sheet: validation and historical photos coloured with 0 and with 5 points.

The 5-point cells are finished as the app finishes a photo at a pause (model.views, its
default finish), so the sheet shows what a user sees once they stop editing.

python -m training.sheet --val DIR --bw DIR --hints docs/sheet_hints --out docs/contact_sheet.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from model.colour.colorspace import lab_to_rgb, rgb_to_lab
from model.engines import NetEngine
from model.finish import DEFAULT_FINISH
from model.hints.document import Hints, Point
from model.inference import Colorizer, to_uint8
from model.io.load import load_image
from training.evaluate import load_eval_images, points_for

CELL = 200


def _cell(rgb: np.ndarray, points: tuple[Point, ...] = ()) -> Image.Image:
    im = Image.fromarray(rgb)
    im = im.resize((int(CELL * im.width / im.height), CELL), Image.LANCZOS)
    d = ImageDraw.Draw(im)
    for p in points:
        x, y = p.x * im.width, p.y * im.height
        fill = tuple(int(v) for v in np.round(lab_to_rgb(np.array([60.0, *p.ab])) * 255))
        d.rectangle([x - 4, y - 4, x + 4, y + 4], fill=fill, outline=(255, 255, 255))
        d.rectangle([x - 5, y - 5, x + 5, y + 5], outline=(0, 0, 0))
    return im


def finished_rgb(col: Colorizer, image: np.ndarray | Path, hints: Hints) -> np.ndarray:
    """The photo with `hints`, finished as the app does by default when the user pauses."""
    return to_uint8(NetEngine(col, DEFAULT_FINISH)(load_image(image), hints))


def _grey(rgb: np.ndarray) -> np.ndarray:
    L = rgb_to_lab(rgb / 255.0)[..., :1]
    return (
        (lab_to_rgb(np.concatenate([L, np.zeros_like(L), np.zeros_like(L)], -1)) * 255)
        .round()
        .astype(np.uint8)
    )


def _row(cells: list[Image.Image], width: int) -> Image.Image:
    row = Image.new("RGB", (width, CELL), (255, 255, 255))
    x = 0
    for c in cells:
        row.paste(c, (x, 0))
        x += c.width + 4
    return row


def build(col: Colorizer, val: Path, bw: Path, hints_dir: Path, n_val: int = 10) -> Image.Image:
    rows = []
    for i, gt in enumerate(load_eval_images(val, n_val)):
        ab = rgb_to_lab(gt / 255.0)[..., 1:].astype(np.float32)
        pts = tuple(points_for(ab, 5, 7, i))
        auto = col.colorize(gt)
        hinted = finished_rgb(col, gt, Hints(pts))
        rows.append([_cell(_grey(gt)), _cell(auto), _cell(hinted, pts), _cell(gt)])
    for f in sorted(hints_dir.glob("*.hints.json")):
        photo = bw / f.name.replace(".hints.json", ".jpg")
        h = Hints.from_json(f)
        grey = np.asarray(Image.open(photo).convert("RGB"))
        rows.append(
            [_cell(grey), _cell(col.colorize(photo)), _cell(finished_rgb(col, photo, h), h.points)]
        )
    width = max(sum(c.width + 4 for c in r) for r in rows)
    sheet = Image.new("RGB", (width, (CELL + 4) * len(rows)), (255, 255, 255))
    for k, r in enumerate(rows):
        sheet.paste(_row(r, width), (0, k * (CELL + 4)))
    return sheet


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--val", required=True)
    ap.add_argument("--bw", required=True)
    ap.add_argument("--hints", default="docs/sheet_hints")
    ap.add_argument("--weights")
    ap.add_argument("--out", default="docs/contact_sheet.png")
    args = ap.parse_args(argv)
    col = Colorizer.load(args.weights, device="auto")
    build(col, Path(args.val), Path(args.bw), Path(args.hints)).save(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
