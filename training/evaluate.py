"""Validation under the benchmark protocol: PSNR (8-bit sRGB) at N simulated points."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from model.colour.colorspace import lab_to_rgb, rgb_to_lab
from model.hints.document import Point
from model.hints.encoding import GLOBAL_DIM, encode_points
from training.data import list_images
from training.simulate import eval_points

EVAL_SIZE = 256

# (L (B,1,H,W), local (B,3,H,W), glob (B,316)) -> ab (B,2,H,W)
Predictor = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def load_eval_images(
    root: str | Path, limit: int | None = None, size: int = EVAL_SIZE
) -> list[np.ndarray]:
    """Photos squashed to size x size (the SIGGRAPH17 protocol), as uint8 RGB."""
    files = list_images(root)
    return load_photos(spread_subset(files, limit) if limit else files, size)


def spread_subset(files: Sequence[Path], limit: int) -> list[Path]:
    """`limit` files spread over the whole list rather than its first sources."""
    idx = np.linspace(0, len(files) - 1, min(limit, len(files))).round().astype(int)
    return [files[i] for i in sorted(set(idx.tolist()))]


def load_photos(files: Sequence[Path], size: int = EVAL_SIZE) -> list[np.ndarray]:
    """Photos squashed to size x size (the SIGGRAPH17 protocol), as uint8 RGB."""
    out = []
    for f in files:
        with Image.open(f) as im:
            out.append(np.asarray(im.convert("RGB").resize((size, size), Image.BICUBIC)))
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR in dB between two uint8 images (capped at 100 dB for identical images)."""
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 100.0 if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def points_for(ab: np.ndarray, n: int, seed: int, index: int) -> list[Point]:
    """The protocol's n points for image `index`, identical for every engine and run."""
    return eval_points(ab, n, np.random.default_rng([seed, index, n]))


def evaluate(
    predict: Predictor,
    images: Sequence[np.ndarray],
    points: Sequence[int] = (0, 1, 5, 10, 50),
    seed: int = 0,
    batch: int = 8,
) -> dict[int, float]:
    """Mean PSNR per point count."""
    labs = to_labs(images)
    result = {}
    for n in points:
        scores = []
        for chunk, L, local, glob in protocol_batches(labs, n, seed, batch):
            ab = predict(L, local, glob).float()
            for j, i in enumerate(chunk):
                scores.append(psnr(with_ab(labs[i], ab[j]), images[i]))
        result[n] = float(np.mean(scores))
    return result


def to_labs(images: Sequence[np.ndarray]) -> list[np.ndarray]:
    """uint8 RGB photos -> float32 CIELAB (H, W, 3)."""
    return [rgb_to_lab(im.astype(np.float32) / 255.0).astype(np.float32) for im in images]


def protocol_batches(
    labs: Sequence[np.ndarray], n: int, seed: int, batch: int
) -> Iterator[tuple[range, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(indices, L, local hints with the protocol's n points, empty global hints) per batch."""
    for s in range(0, len(labs), batch):
        chunk = range(s, min(s + batch, len(labs)))
        L = torch.stack([torch.from_numpy(labs[i][..., 0])[None] for i in chunk])
        h, w = L.shape[-2:]
        local = torch.stack(
            [encode_points(points_for(labs[i][..., 1:], n, seed, i), h, w) for i in chunk]
        )
        yield chunk, L, local, torch.zeros(len(chunk), GLOBAL_DIM)


def with_ab(lab: np.ndarray, ab: torch.Tensor) -> np.ndarray:
    """The photo's L with a predicted ab (2, H, W), as uint8 sRGB."""
    out = np.concatenate([lab[..., :1], ab.permute(1, 2, 0).cpu().numpy()], -1)
    return np.clip(np.round(lab_to_rgb(out) * 255), 0, 255).astype(np.uint8)


def gray_predictor(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
    return torch.zeros(L.shape[0], 2, *L.shape[-2:])


def levin_predictor(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
    from model.hints.encoding import AB_SCALE
    from model.levin import levin_colorize

    outs = []
    for i in range(L.shape[0]):
        hint = (local[i, :2] * AB_SCALE).permute(1, 2, 0).numpy()
        ab = levin_colorize(L[i, 0].numpy(), hint, local[i, 2].numpy() > 0)
        outs.append(torch.from_numpy(ab).permute(2, 0, 1))
    return torch.stack(outs)


def net_predictor(net: torch.nn.Module, device: torch.device, fast: bool = True) -> Predictor:
    from model.device import autocast

    def predict(L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
        cl = torch.channels_last
        with torch.inference_mode(), autocast(device, fast):
            out = net(
                L.to(device).contiguous(memory_format=cl),
                local.to(device).contiguous(memory_format=cl),
                glob.to(device),
            )
        return out.ab.float().cpu()

    return predict
