import numpy as np
import pytest
import torch
from skimage import color

from model.colour.colorspace import (
    hex_to_ab,
    hex_to_rgb,
    lab_to_rgb,
    rgb_to_l,
    rgb_to_lab,
)


@pytest.fixture
def rgb() -> np.ndarray:
    return np.random.default_rng(0).random((500, 3))


def test_rgb_to_lab_matches_skimage_numpy_and_torch(rgb: np.ndarray) -> None:
    ref = color.rgb2lab(rgb)
    assert np.abs(rgb_to_lab(rgb) - ref).max() < 1e-4
    got = rgb_to_lab(torch.from_numpy(rgb)).numpy()
    assert np.abs(got - ref).max() < 1e-4


def test_lab_to_rgb_matches_skimage_in_gamut(rgb: np.ndarray) -> None:
    lab = color.rgb2lab(rgb)
    assert np.abs(lab_to_rgb(lab) - color.lab2rgb(lab)).max() < 1e-4
    assert np.abs(lab_to_rgb(torch.from_numpy(lab)).numpy() - rgb).max() < 1e-4


def test_round_trip_and_l_only(rgb: np.ndarray) -> None:
    assert np.abs(lab_to_rgb(rgb_to_lab(rgb)) - rgb).max() < 1e-6
    assert np.abs(rgb_to_l(rgb) - rgb_to_lab(rgb)[..., 0]).max() < 1e-9


def test_grey_has_zero_ab() -> None:
    grey = np.linspace(0, 1, 11)[:, None].repeat(3, 1)
    lab = rgb_to_lab(grey)
    assert np.abs(lab[:, 1:]).max() < 1e-2  # skimage-compatible constants leave ~5e-3
    assert lab[0, 0] == pytest.approx(0, abs=1e-6) and lab[-1, 0] == pytest.approx(100, abs=1e-3)


def test_hex_helpers() -> None:
    assert hex_to_rgb("#ff8000") == pytest.approx((1.0, 128 / 255, 0.0))
    assert hex_to_rgb("f80") == hex_to_rgb("#ff8800")
    _, b = hex_to_ab("#3a6fb0")
    assert b < -20  # a blue
    with pytest.raises(ValueError):
        hex_to_rgb("#12345z")
