"""Training data: any folder tree of colour photos, as random crops with simulated hints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from model.colour.colorspace import rgb_to_lab
from model.hints.document import Point
from model.hints.encoding import hsv_saturation
from training.simulate import simulate_global, simulate_points

# Hue turns only where enough points say what the colours are: photos with few or no points
# must keep teaching the real colours of things.
HUE_MIN_POINTS = 5

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")


def list_images(root: str | Path) -> list[Path]:
    """All photos under root, sorted for determinism."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)


def is_colourful(path: Path, min_chroma: float = 4.0) -> bool:
    """The ab range test: the 95th percentile of chroma on a thumbnail must reach min_chroma."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (64, 64))
            im = im.convert("RGB")
            im.thumbnail((64, 64))
            rgb = np.asarray(im, dtype=np.float32) / 255.0
    except (OSError, ValueError):
        return False
    lab = rgb_to_lab(rgb)
    chroma = np.hypot(lab[..., 1], lab[..., 2])
    return float(np.percentile(chroma, 95)) >= min_chroma


# Each part of a folder written by `python -m training.pack` lists its photos, all tested.
PACK_LISTING = "pack.json"


def packed_photos(root: str | Path) -> list[Path] | None:
    """The photos a pack's listings name (root's own, else its parts'), or None if unpacked."""
    root = Path(root)
    own = root / PACK_LISTING
    listings = [own] if own.is_file() else sorted(root.glob(f"*/{PACK_LISTING}"))
    if not listings:
        return None
    files: list[Path] = []
    for listing in listings:
        files += [listing.parent / p for p in json.loads(listing.read_text())["files"]]
    return sorted(files)


def colour_photos(root: str | Path, cache: Path | None = None) -> list[Path]:
    """Photos under root that pass the ab range test (cached in `cache` when given).

    A pack's listings are trusted instead: testing 8.6k photos one by one would hold a
    time-boxed GPU run up for half a minute.
    """
    packed = packed_photos(root)
    if packed is not None:
        return packed
    if cache is not None and cache.is_file():
        data = json.loads(cache.read_text())
        if data.get("root") == str(Path(root).resolve()):
            return [Path(p) for p in data["files"]]
    files = [p for p in list_images(root) if is_colourful(p)]
    if cache is not None:
        cache.write_text(
            json.dumps({"root": str(Path(root).resolve()), "files": [str(p) for p in files]})
        )
    return files


def random_resized_crop(
    im: Image.Image, size: int, scale_min: float, rng: np.random.Generator
) -> Image.Image:
    """A crop covering scale_min..1 of the area (aspect 3/4..4/3), resized to size x size."""
    W, H = im.size
    area = W * H
    for _ in range(10):
        s = rng.uniform(scale_min, 1.0) * area
        ar = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        w = int(round(np.sqrt(s * ar)))
        h = int(round(np.sqrt(s / ar)))
        if 0 < w <= W and 0 < h <= H:
            x = int(rng.integers(0, W - w + 1))
            y = int(rng.integers(0, H - h + 1))
            return im.resize((size, size), Image.BICUBIC, box=(x, y, x + w, y + h))
    m = min(W, H)
    x, y = (W - m) // 2, (H - m) // 2
    return im.resize((size, size), Image.BICUBIC, box=(x, y, x + m, y + m))


class HintedCrops(Dataset):
    """Random crops of colour photos with simulated local and global hints.

    Each item is seeded from (seed, epoch, index) so runs are reproducible and resumable.
    """

    def __init__(
        self, files: list[Path], crop: int, cfg_sim: dict, seed: int = 0, scale_min: float = 0.35
    ):
        self.files = files
        self.crop = crop
        self.sim = cfg_sim
        self.seed = seed
        self.scale_min = scale_min
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, i])
        with Image.open(self.files[i]) as im:
            im = im.convert("RGB")
            im = random_resized_crop(im, self.crop, self.scale_min, rng)
        if rng.random() < 0.5:
            im = im.transpose(Image.FLIP_LEFT_RIGHT)
        rgb = np.asarray(im, dtype=np.float32) / 255.0
        return make_sample(rgb, rng, self.sim)


def make_sample(rgb: np.ndarray, rng: np.random.Generator, sim: dict) -> dict[str, torch.Tensor]:
    """Tensors for one (H, W, 3) sRGB crop: L, ab, local hints, global hints."""
    from training.simulate import encode_sample

    lab = rgb_to_lab(rgb).astype(np.float32)
    ab = lab[..., 1:]
    h, w = ab.shape[:2]
    points = simulate_points(
        ab,
        rng,
        sim.get("p_geom", 0.125),
        sim.get("p_gauss", 0.75),
        p_many=sim.get("p_many", 0.0),
    )
    sat = float(hsv_saturation(torch.from_numpy(rgb).permute(2, 0, 1)))
    glob = simulate_global(
        ab,
        sat,
        rng,
        sim.get("p_hist", 0.2),
        sim.get("p_palette", 0.5),
        sim.get("p_saturation", 0.2),
    )
    # Drawn last and only when asked, so runs without it replay their random stream exactly.
    p_tone = sim.get("p_tone", 0.0)
    if p_tone > 0 and rng.random() < p_tone:
        lab[..., 0] = tone_jitter(lab[..., 0], rng)
    p_degrade = sim.get("p_degrade", 0.0)
    if p_degrade > 0 and rng.random() < p_degrade:
        lab[..., 0] = old_print(lab[..., 0], rng)
    p_hue = sim.get("p_hue", 0.0)
    if p_hue > 0 and len(points) >= HUE_MIN_POINTS and rng.random() < p_hue:
        ab, points = rotate_hue(ab, points, float(rng.uniform(-np.pi, np.pi)))
        # The histogram and saturation were taken before the turn; no global hint is safer.
        glob = torch.zeros_like(glob)
    return {
        "L": torch.from_numpy(lab[..., :1].copy()).permute(2, 0, 1),
        "ab": torch.from_numpy(ab.copy()).permute(2, 0, 1),
        "local": encode_sample(points, h, w),
        "glob": glob,
    }


def rotate_hue(ab: np.ndarray, points: list[Point], angle: float) -> tuple[np.ndarray, list[Point]]:
    """ab (H, W, 2) and the points' ab turned by `angle` radians about neutral (chroma kept).

    A photo in the wrong hues with points that say so: only following the points scores
    there, which is what the network must do where its memorised priors are wrong.
    """
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, s], [-s, c]], dtype=np.float32)  # row vectors: ab @ rot
    turned = [p.recoloured(tuple((np.asarray(p.ab, np.float32) @ rot).tolist())) for p in points]
    return np.ascontiguousarray(ab @ rot), turned


def tone_jitter(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """L (0..100) through a random monotone tone curve: gamma 0.7..1.4, contrast 0.8..1.2.

    Old prints and scans differ in tone while the colours stay; crops that vary the lightness
    alone are meant to keep the network from memorising one photo's exact L-to-colour mapping.
    """
    gamma = float(np.exp(rng.uniform(np.log(0.7), np.log(1.4))))
    contrast = float(rng.uniform(0.8, 1.2))
    x = (np.clip(L, 0.0, 100.0) / 100.0) ** gamma
    m = float(x.mean())
    return (np.clip(m + contrast * (x - m), 0.0, 1.0) * 100.0).astype(L.dtype)


def old_print(L: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """L (0..100) made to look like an old print: softened, faded and grainy (ab is kept).

    The historical photos the product is for are blurred, have lifted blacks and dulled
    whites, and carry film grain; on such inputs the ImageNet features say less about what is
    where and the network falls back on one warm tint (docs/quality.md, "The sepia wash").
    Blur sigma 0..1.5 px, blacks lifted to 0..20 and whites dulled to 80..100, then grain of
    1..5 L units, itself slightly blurred as film grain is.
    """
    from scipy.ndimage import gaussian_filter

    x = np.clip(L, 0.0, 100.0).astype(np.float32)
    sigma = float(rng.uniform(0.0, 1.5))
    if sigma > 0.3:
        x = gaussian_filter(x, sigma)
    lo, hi = float(rng.uniform(0.0, 20.0)), float(rng.uniform(80.0, 100.0))
    x = lo + (hi - lo) * x / 100.0
    grain = gaussian_filter(rng.standard_normal(x.shape).astype(np.float32), 0.7)
    grain *= float(rng.uniform(1.0, 5.0)) / max(float(grain.std()), 1e-6)
    return np.clip(x + grain, 0.0, 100.0).astype(L.dtype)
