"""Shared fixtures: tiny random-weight networks and generated photos (never the real weights)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from model.network.config import NetConfig
from model.network.unet import ColorNet
from model.network.weights import save_weights

TINY = NetConfig(width=4, semantic="none", prior=True)


def tiny_net(seed: int = 0, cfg: NetConfig = TINY) -> ColorNet:
    torch.manual_seed(seed)
    return ColorNet(cfg).eval()


@pytest.fixture
def one_thread() -> Iterator[None]:
    """torch on one thread: a background job may hold every core, and OpenMP spins."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_weights(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.safetensors"
    save_weights(tiny_net(), p)
    return p


def photo(h: int = 72, w: int = 96, seed: int = 0) -> np.ndarray:
    """A colourful uint8 RGB test image: smooth gradients plus two flat blocks."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    rgb = np.stack([0.2 + 0.6 * x, 0.3 + 0.5 * y, 0.8 - 0.5 * x * y], -1)
    rgb[h // 4 : h // 2, w // 4 : w // 2] = (0.9, 0.2, 0.1)
    rgb[h // 2 :, w // 2 :] = (0.1, 0.5, 0.9)
    rgb += rng.normal(0, 0.01, rgb.shape)
    return (np.clip(rgb, 0, 1) * 255).round().astype(np.uint8)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    d = tmp_path / "photos"
    d.mkdir()
    for i in range(3):
        Image.fromarray(photo(seed=i)).save(d / f"p{i}.png")
    return d
