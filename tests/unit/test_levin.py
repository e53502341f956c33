"""Levin et al. 2004 hint propagation: edges stop colour, hints are exact, no hints is grey."""

from __future__ import annotations

import numpy as np
import pytest

import model.levin as levin
from model.levin import levin_colorize

H, W = 48, 64
RED = np.array([40.0, 30.0])
BLUE = np.array([10.0, -45.0])


def two_regions(noise: float = 0.5) -> np.ndarray:
    """Dark left half, bright right half, a sharp vertical edge, a little seeded noise."""
    rng = np.random.default_rng(1234)
    L = np.where(np.arange(W)[None, :] < W // 2, 30.0, 70.0) * np.ones((H, 1))
    return L + rng.normal(0.0, noise, (H, W))


def hints_each_side(half: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """One hint per region: a (2 * half + 1)² dab, like the app's brush (half=0: one pixel)."""
    hint = np.zeros((H, W, 2))
    mask = np.zeros((H, W), bool)
    for (y, x), ab in (((20, 10), RED), ((30, 50), BLUE)):
        box = np.s_[y - half : y + half + 1, x - half : x + half + 1]
        hint[box], mask[box] = ab, True
    return hint, mask


@pytest.mark.parametrize(("noise", "half"), [(0.5, 1), (0.0, 0)])
def test_each_region_takes_its_own_hint_without_bleeding(noise: float, half: int) -> None:
    # (A lone hinted pixel in a noisy region can be an L outlier its neighbours ignore, a
    # property of the method; hence single-pixel hints only on the noise-free image.)
    hint, mask = hints_each_side(half)
    ab = levin_colorize(two_regions(noise), hint, mask)
    # The other hint is ~80 ab units away; every pixel, including the columns right at the
    # edge, stays within a few units of its own region's hint.
    assert np.linalg.norm(ab[:, : W // 2] - RED, axis=-1).max() < 4.0
    assert np.linalg.norm(ab[:, W // 2 :] - BLUE, axis=-1).max() < 4.0


def test_without_an_edge_the_hints_blend() -> None:
    # Control for the test above: a flat image has nothing to stop the colour, so the far
    # side of the image mixes both hints. Shows the edge (not the solver) did the separating.
    hint, mask = hints_each_side()
    ab = levin_colorize(np.full((H, W), 50.0), hint, mask)
    mid = ab[:, W // 2]
    assert np.linalg.norm(mid - RED, axis=-1).min() > 10.0
    assert np.linalg.norm(mid - BLUE, axis=-1).min() > 10.0


def test_single_hint_colours_the_whole_connected_image() -> None:
    mask = np.zeros((H, W), bool)
    mask[5, 5] = True
    hint = np.zeros((H, W, 2))
    hint[5, 5] = RED
    ab = levin_colorize(two_regions(), hint, mask)
    # The only source of colour reaches even the other side of the edge (harmonic solution).
    np.testing.assert_allclose(ab, np.broadcast_to(RED, ab.shape), atol=1e-3)


def test_hinted_pixels_keep_exactly_their_hint() -> None:
    rng = np.random.default_rng(7)
    L = rng.uniform(0.0, 100.0, (H, W))
    mask = rng.random((H, W)) < 0.05
    hint = rng.uniform(-80.0, 80.0, (H, W, 2))
    ab = levin_colorize(L, hint, mask)
    np.testing.assert_array_equal(ab[mask], hint[mask].astype(np.float32))
    # Unhinted pixels are convex combinations of hints, so they stay within the hint range.
    lo, hi = hint[mask].min(axis=0), hint[mask].max(axis=0)
    assert np.all(ab >= lo - 1e-3) and np.all(ab <= hi + 1e-3)


def test_no_hints_gives_grey() -> None:
    hint = np.full((H, W, 2), 55.0)  # ignored where the mask is off
    ab = levin_colorize(two_regions(), hint, np.zeros((H, W), np.uint8))
    assert ab.shape == (H, W, 2) and ab.dtype == np.float32
    assert not ab.any()


def test_shape_dtype_and_integer_mask() -> None:
    hint, mask = hints_each_side()
    ab = levin_colorize(two_regions().astype(np.float32), hint, mask.astype(np.uint8))
    assert ab.shape == (H, W, 2)
    assert ab.dtype == np.float32
    assert np.isfinite(ab).all()


def test_every_pixel_hinted_returns_the_hints() -> None:
    rng = np.random.default_rng(3)
    hint = rng.normal(0.0, 30.0, (8, 9, 2))
    ab = levin_colorize(rng.uniform(0, 100, (8, 9)), hint, np.ones((8, 9), bool))
    np.testing.assert_array_equal(ab, hint.astype(np.float32))


def test_large_images_are_solved_reduced_and_keep_the_edge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Lower the threshold so the reduced path runs on a small image, quickly.
    monkeypatch.setattr(levin, "MAX_SOLVE_PIXELS", 800)
    hint, mask = hints_each_side()
    ab = levin_colorize(two_regions(), hint, mask)
    assert ab.shape == (H, W, 2) and ab.dtype == np.float32
    np.testing.assert_array_equal(ab[mask], hint[mask].astype(np.float32))
    # Away from the edge (one reduced cell is about two pixels) regions keep their colours.
    assert np.linalg.norm(ab[:, : W // 2 - 3] - RED, axis=-1).max() < 8.0
    assert np.linalg.norm(ab[:, W // 2 + 3 :] - BLUE, axis=-1).max() < 8.0


def test_rejects_mismatched_shapes() -> None:
    with pytest.raises(ValueError):
        levin_colorize(np.zeros((4, 5)), np.zeros((4, 4, 2)), np.zeros((4, 5), bool))
    with pytest.raises(ValueError):
        levin_colorize(np.zeros((4, 5)), np.zeros((4, 5, 2)), np.zeros((5, 4), bool))
