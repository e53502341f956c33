"""The ImageNet encoder's variants and the probe that compares them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.network.semantic import CHANNELS, SemanticEncoder
from training.semantic_probe import GRID, cell_features, fit_mlp, predict, score


def test_lite0_taps_the_blocks_the_network_was_trained_with() -> None:
    enc = SemanticEncoder()
    # Blocks 4 and 10 are the last at strides 8 and 16: what every released weights file fuses.
    assert (enc.tap8, enc.tap16) == (4, 10)
    assert sum(enc.channels) == CHANNELS
    s8, s16, head = enc(torch.rand(1, 1, 64, 64) * 100)
    assert s8.shape[-1] == 8 and s16.shape[-1] == 4 and head.shape[-2:] == (1, 1)


@pytest.mark.parametrize("variant", ["lite1", "lite2"])
def test_bigger_variants_tap_the_same_strides(variant: str) -> None:
    enc = SemanticEncoder(variant)
    s8, s16, head = enc.taps(torch.rand(1, 1, 64, 64) * 100)
    assert (s8.shape[1], s16.shape[1], head.shape[1]) == enc.channels
    assert (s8.shape[-1], s16.shape[-1], head.shape[-1]) == (8, 4, 2)
    assert enc.tap16 > enc.tap8 > 4  # deeper networks: more blocks before each stride


def test_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError, match="lite9"):
        SemanticEncoder("lite9")


def test_cell_features_lead_with_the_cells_lightness() -> None:
    enc = SemanticEncoder()
    L = torch.zeros(1, 1, 256, 256)
    L[..., :128, :] = 80.0  # top half bright
    f = cell_features(enc, L, spatial_head=True)
    assert f.shape == (1, 2 + CHANNELS + 1280, GRID, GRID)
    assert torch.allclose(f[0, 0, :8], torch.full((8, GRID), 0.8))
    assert torch.allclose(f[0, 0, 8:], torch.zeros(8, GRID))
    assert float(f[0, 1].abs().max()) < 1e-3  # each cell is flat


def test_the_probe_learns_a_colour_that_the_features_determine() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 8)).astype(np.float16)
    # ab follows the first feature; the rest is noise.
    y = np.stack([20 * x[:, 0], -10 * x[:, 0]], 1).astype(np.float32)
    mlp, mean, std, epochs = fit_mlp(x, y, n_fit=4800, max_epochs=3, batch=64)
    err = np.mean((predict(mlp, x[4800:], mean, std) - y[4800:]) ** 2)
    assert 1 <= epochs <= 3
    assert err < 0.05 * np.mean(y[4800:] ** 2)


def test_score_is_higher_for_the_true_colours_than_for_gray() -> None:
    from training.evaluate import to_labs

    rng = np.random.default_rng(1)
    img = np.zeros((64, 64, 3), np.uint8)
    img[:32] = (200, 40, 40)
    img[32:] = (40, 60, 190)
    img = np.clip(img + rng.integers(-5, 6, img.shape), 0, 255).astype(np.uint8)
    labs = to_labs([img])
    cells = torch.nn.functional.adaptive_avg_pool2d(
        torch.from_numpy(labs[0][..., 1:]).permute(2, 0, 1), GRID
    )
    truth = cells.permute(1, 2, 0).reshape(-1, 2).numpy()
    assert score(labs, [img], truth) > score(labs, [img], np.zeros_like(truth)) + 5
