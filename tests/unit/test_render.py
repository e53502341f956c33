"""The tiled full-resolution render (model.render, model.upsample.GuidedUpsample): the same
pixels as the guided filter and back-projections done whole-image, in any bands, on any
number of threads, and the photo's L kept in 8- and 16-bit output."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

import model.upsample as upsample
from model.colour.colorspace import rgb_to_l
from model.colour.gamut import lab_to_rgb_keep_l
from model.render import render_rgb
from model.upsample import downsample_area, map_bands, upsample_ab


def _bilinear(ab: np.ndarray, H: int, W: int) -> np.ndarray:
    t = torch.from_numpy(np.ascontiguousarray(ab, np.float32)).permute(2, 0, 1)[None]
    out = F.interpolate(t, size=(H, W), mode="bilinear", align_corners=False)
    return out[0].permute(1, 2, 0).numpy().astype(np.float64)


def reference_upsample(ab_low: np.ndarray, L: np.ndarray, r: int = 2, eps: float = 25.0):
    """The method written whole-image in float64: bilinear ab, He et al.'s guided filter under
    L (ndimage boxes, mirrored edges), then the area average pulled back to ab_low twice."""
    H, W = L.shape
    h, w = ab_low.shape[:2]

    def box(x: np.ndarray) -> np.ndarray:
        return ndi.uniform_filter(x, size=2 * r + 1, mode="reflect")

    g = L.astype(np.float64) - 50.0
    mean_g = box(g)
    var_g = box(g * g) - mean_g**2
    out = np.empty((H, W, 2))
    for c in range(2):
        p = _bilinear(ab_low[..., c : c + 1], H, W)[..., 0]
        mean_p = box(p)
        a = (box(g * p) - mean_g * mean_p) / (var_g + eps)
        out[..., c] = box(a) * g + box(mean_p - a * mean_g)
    for _ in range(2):
        out += _bilinear(ab_low - downsample_area(out, h, w), H, W)
    return out


def photo_scene(H: int, W: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """L with edges, grain, and black and white ends; strong ab so that the shadows and
    highlights leave the sRGB gamut (the conversion must cut chroma there, not L)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    L = 50 + 45 * np.sin(xx / 7.0) * np.cos(yy / 11.0) + rng.normal(0, 2, (H, W))
    L[xx > 0.6 * W + 0.3 * yy] = 97.0
    L[: H // 6] = 1.5
    L = np.clip(L, 0, 100).astype(np.float32)
    h, w = max(1, H // 5), max(1, W // 5)
    ab = rng.uniform(-70, 70, (h, w, 2)).astype(np.float32)
    return L, ab


def test_the_banded_filter_is_the_whole_image_method() -> None:
    L, ab = photo_scene(61, 83)
    want = reference_upsample(ab, L)
    np.testing.assert_allclose(upsample_ab(ab, L), want, atol=2e-3)


@pytest.mark.parametrize("band_pixels", [83, 83 * 3, 83 * 20])
@pytest.mark.parametrize("workers", [1, 3])
def test_bands_and_threads_do_not_change_the_render(
    band_pixels: int, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    L, ab = photo_scene(61, 83, seed=1)
    whole = render_rgb(ab, L, band_pixels=61 * 83)
    real_map = upsample.map_bands
    monkeypatch.setattr(
        "model.render.map_bands", lambda fn, bands, n=None: real_map(fn, bands, workers)
    )
    tiled = render_rgb(ab, L, band_pixels=band_pixels)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)


def test_float_render_is_the_keep_l_conversion_of_the_upsampled_ab() -> None:
    L, ab = photo_scene(40, 50, seed=2)
    lab = np.concatenate([L[..., None], upsample_ab(ab, L)], axis=-1)
    np.testing.assert_allclose(render_rgb(ab, L), lab_to_rgb_keep_l(lab), atol=2e-6)


@pytest.mark.parametrize(("depth", "tolerance"), [(8, 0.5), (16, 0.002)])
def test_quantised_output_keeps_the_photos_lightness(depth: int, tolerance: float) -> None:
    L, ab = photo_scene(50, 70, seed=3)
    out = render_rgb(ab, L, depth)
    assert out.dtype == (np.uint8 if depth == 8 else np.uint16)
    as_read = out.astype(np.float64) / (255.0 if depth == 8 else 65535.0)
    assert np.abs(rgb_to_l(as_read) - L).max() <= tolerance
    # And they are the float render rounded, to the last level.
    full = render_rgb(ab, L) * (255.0 if depth == 8 else 65535.0)
    assert np.abs(out - np.round(full)).max() <= 1


@pytest.mark.parametrize("shape", [(30, 40), (60, 80)])
def test_ab_at_or_above_the_photos_size_is_converted_or_area_shrunk(shape: tuple[int, int]):
    L = photo_scene(30, 40, seed=4)[0]
    ab = np.random.default_rng(5).uniform(-30, 30, (*shape, 2)).astype(np.float32)
    lab = np.concatenate([L[..., None], downsample_area(ab, 30, 40)], axis=-1)
    np.testing.assert_allclose(render_rgb(ab, L), lab_to_rgb_keep_l(lab), atol=2e-6)


def test_map_bands_keeps_the_order_and_runs_in_inference_mode() -> None:
    bands = [(i, i + 1) for i in range(9)]

    def fn(a: int, b: int) -> tuple[int, bool]:
        return a, torch.is_inference_mode_enabled()

    assert map_bands(fn, bands, 3) == [(i, True) for i in range(9)]
    assert map_bands(fn, bands, 1) == [(i, True) for i in range(9)]


def test_rejects_what_it_cannot_render() -> None:
    with pytest.raises(ValueError):
        render_rgb(np.zeros((4, 4, 2)), np.zeros((8, 8)), depth=12)
    with pytest.raises(ValueError):
        render_rgb(np.zeros((4, 4, 3)), np.zeros((8, 8)))
    with pytest.raises(ValueError):
        render_rgb(np.zeros((4, 4, 2)), np.zeros((8, 8, 1)))
