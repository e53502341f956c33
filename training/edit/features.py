"""The frozen trunk's features of every training photo, computed once, fp16 on disk.

Each photo's centre square at 256 x 256 goes through the U-Net with no hints; kept per
photo: its 1/8- and 1/4-scale features (c7, c8), its automatic ab (base), L, the true ab
(int8) and a Felzenszwalb segmentation of the colour photo (for the recolour samples).
Resumable: `done.json` says how many photos are written, and a trainer may read the
first `done` while the rest are still being computed.

    python -m training.edit.features --data DIR --weights W.safetensors --out FEATDIR
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from skimage.segmentation import felzenszwalb

from model.colour.colorspace import rgb_to_lab
from model.network.weights import load_network
from training.data import colour_photos

SIZE = 256
NAMES = ("c7", "c8", "base", "L", "ab", "seg")


def centre_square(path: Path, size: int = SIZE) -> np.ndarray:
    """The photo's centre square at size x size, as float sRGB 0..1."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        W, H = im.size
        m = min(W, H)
        x, y = (W - m) // 2, (H - m) // 2
        im = im.resize((size, size), Image.BICUBIC, box=(x, y, x + m, y + m))
    return np.asarray(im, dtype=np.float32) / 255.0


def layout(n: int, width: int) -> dict[str, tuple[tuple[int, ...], type]]:
    """Shape and dtype of each array for n photos and a trunk of this width."""
    return {
        "c7": ((n, 8 * width, SIZE // 8, SIZE // 8), np.float16),
        "c8": ((n, 4 * width, SIZE // 4, SIZE // 4), np.float16),
        "base": ((n, 2, SIZE, SIZE), np.float16),
        "L": ((n, SIZE, SIZE), np.float16),
        "ab": ((n, 2, SIZE, SIZE), np.int8),
        "seg": ((n, SIZE, SIZE), np.uint16),
    }


def segments(rgb: np.ndarray) -> np.ndarray:
    """Object-sized regions of a colour photo (Felzenszwalb and Huttenlocher 2004)."""
    return felzenszwalb(rgb, scale=200, sigma=0.8, min_size=64).astype(np.uint16)


def compute(data: str, weights: str, out: Path, batch: int = 8) -> int:
    """Write (or continue) the features folder; returns the number of photos."""
    out.mkdir(parents=True, exist_ok=True)
    files = colour_photos(data, out / "files.json")
    n = len(files)
    net = load_network(weights).eval()
    mm = {}
    for k, (shape, dt) in layout(n, net.cfg.width).items():
        p = out / f"{k}.npy"
        mode = "r+" if p.exists() else "w+"
        mm[k] = np.lib.format.open_memmap(p, mode=mode, dtype=dt, shape=shape)
    done_path = out / "done.json"
    done = json.loads(done_path.read_text())["done"] if done_path.exists() else 0
    t0 = time.time()
    for s in range(done, n, batch):
        idx = range(s, min(n, s + batch))
        rgbs = [centre_square(files[i]) for i in idx]
        labs = [rgb_to_lab(r).astype(np.float32) for r in rgbs]
        L = torch.from_numpy(np.stack([lab[..., 0] for lab in labs]))[:, None]
        b = L.shape[0]
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            x10, prior, c7, c8 = net.trunk(
                L, torch.zeros(b, 3, SIZE, SIZE), torch.zeros(b, net.cfg.n_bins + 3)
            )
            base = net.head_ab(x10, prior)
        for j, i in enumerate(idx):
            mm["c7"][i] = c7[j].float().numpy().astype(np.float16)
            mm["c8"][i] = c8[j].float().numpy().astype(np.float16)
            mm["base"][i] = base[j].float().numpy().astype(np.float16)
            mm["L"][i] = labs[j][..., 0].astype(np.float16)
            ab = np.clip(np.round(labs[j][..., 1:]), -127, 127).astype(np.int8)
            mm["ab"][i] = ab.transpose(2, 0, 1)
            mm["seg"][i] = segments(rgbs[j])
        done = idx[-1] + 1
        if (s // batch) % 20 == 0 or done == n:
            for m in mm.values():
                m.flush()
            done_path.write_text(json.dumps({"done": done, "n": n}))
            print(f"{done}/{n} {time.time() - t0:.0f}s", flush=True)
    for m in mm.values():
        m.flush()
    done_path.write_text(json.dumps({"done": n, "n": n}))
    return n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder of colour training photos")
    ap.add_argument("--weights", required=True, help="the trunk's weights (the release)")
    ap.add_argument("--out", required=True, help="features folder (~2.2 MB a photo)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    compute(a.data, a.weights, Path(a.out), a.batch)


if __name__ == "__main__":
    main()
