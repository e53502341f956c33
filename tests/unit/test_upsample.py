"""L-guided ab upsampling: identity, shapes, constants, and sharper edges than bilinear."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import model.upsample as upsample
from model.upsample import downsample_area, upsample_ab


def edge_scene(H: int, W: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """L and ab with a shared, slightly diagonal edge that falls inside low-res cells."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    inside = xx > 0.45 * W + 0.2 * yy  # not aligned with any 4x4 cell grid
    L = np.where(inside, 75.0, 25.0) + rng.normal(0.0, 0.5, (H, W))
    ab = np.where(inside[..., None], [[[-20.0, 45.0]]], [[[35.0, 10.0]]])
    return L, ab


def bilinear(ab_low: np.ndarray, H: int, W: int) -> np.ndarray:
    """Plain bilinear upsampling (half-pixel centres), the baseline guided upsampling beats."""
    t = torch.from_numpy(np.ascontiguousarray(ab_low, dtype=np.float32)).permute(2, 0, 1)[None]
    out = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False)
    return out[0].permute(1, 2, 0).numpy()


def test_same_size_returns_a_float32_copy() -> None:
    rng = np.random.default_rng(1)
    ab = rng.normal(0.0, 30.0, (20, 30, 2))
    out = upsample_ab(ab, rng.uniform(0, 100, (20, 30)))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, ab.astype(np.float32))
    out[0, 0, 0] = 999.0
    assert ab[0, 0, 0] != 999.0  # a copy, not a view


def test_non_integer_scale_shapes() -> None:
    rng = np.random.default_rng(2)
    ab = rng.normal(0.0, 20.0, (37, 53, 2)).astype(np.float32)
    out = upsample_ab(ab, rng.uniform(0, 100, (150, 211)))
    assert out.shape == (150, 211, 2)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()


def test_constant_ab_stays_constant() -> None:
    rng = np.random.default_rng(3)
    ab = np.broadcast_to(np.array([12.5, -33.0], np.float32), (37, 53, 2))
    L = rng.uniform(0.0, 100.0, (150, 211))  # wild guide: no edge may invent colour
    out = upsample_ab(ab, L)
    np.testing.assert_allclose(out, np.broadcast_to(ab[0, 0], out.shape), atol=1e-3)


def test_guided_reconstructs_an_edge_better_than_bilinear() -> None:
    H, W, s = 96, 128, 4
    L, ab = edge_scene(H, W)
    ab_low = downsample_area(ab, H // s, W // s)
    guided = upsample_ab(ab_low, L)
    plain = bilinear(ab_low, H, W)
    err_g = np.sqrt(np.mean((guided - ab) ** 2))
    err_b = np.sqrt(np.mean((plain - ab) ** 2))
    assert err_g < 0.75 * err_b  # measured 1.77 vs 2.92
    # Not just on average: the pixels that straddle the edge are where it must win.
    near_edge = np.abs(plain - ab).max(axis=-1) > 5.0
    assert near_edge.sum() > 100
    assert np.abs(guided - ab)[near_edge].mean() < 0.65 * np.abs(plain - ab)[near_edge].mean()


def test_result_is_consistent_with_the_low_res_input() -> None:
    # Back-projection: the area average of the output reproduces ab_low closely.
    H, W = 96, 128
    L, ab = edge_scene(H, W, seed=4)
    ab_low = downsample_area(ab, 24, 32)
    out = upsample_ab(ab_low, L)
    assert np.abs(downsample_area(out, 24, 32) - ab_low).max() < 2.0


def test_bands_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large images are processed in row bands; tiny bands must not change the answer.
    L, ab = edge_scene(60, 80, seed=5)
    ab_low = downsample_area(ab, 17, 23)
    whole = upsample_ab(ab_low, L)
    monkeypatch.setattr(upsample, "_BAND_ELEMENTS", 80 * 7)
    monkeypatch.setattr(upsample, "BAND_PIXELS", 80 * 3)  # bands thinner than the halo
    np.testing.assert_allclose(upsample_ab(ab_low, L), whole, atol=1e-4)
    np.testing.assert_allclose(downsample_area(ab, 17, 23), ab_low, atol=1e-4)


def test_downsample_area_averages_blocks_and_handles_any_ratio() -> None:
    rng = np.random.default_rng(6)
    x = rng.normal(size=(12, 20, 2))
    np.testing.assert_allclose(
        downsample_area(x, 3, 5), x.reshape(3, 4, 5, 4, 2).mean(axis=(1, 3)), atol=1e-5
    )
    y = rng.normal(size=(37, 53))
    small = downsample_area(y, 10, 13)
    assert small.shape == (10, 13)
    # Each cell covers the same area, so the mean is preserved for any ratio.
    assert small.mean() == pytest.approx(y.mean(), abs=1e-5)


def test_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        upsample_ab(np.zeros((10, 10, 2)), np.zeros((5, 20)))  # smaller than the input
    with pytest.raises(ValueError):
        upsample_ab(np.zeros((10, 10, 3)), np.zeros((20, 20)))
