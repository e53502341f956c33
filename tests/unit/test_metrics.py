"""The benchmark's metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.metrics import colourfulness, mean_and_se, psnr, ssim, standard_error


def test_psnr_of_a_constant_offset() -> None:
    a = np.full((4, 4, 3), 100, np.uint8)
    b = np.full((4, 4, 3), 110, np.uint8)
    # MSE = 10^2 = 100, so PSNR = 10 log10(255^2 / 100).
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 / 100))
    assert psnr(a, a) == 100.0  # identical images are capped, not infinite


def test_ssim_of_identical_and_of_flat_images() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert ssim(a, a) == pytest.approx(1.0)
    # 7x7 flat images: one window covers all, variances and covariance are 0, so per channel
    # SSIM = (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1) with C1 = (0.01 * 255)^2.
    x = np.full((7, 7, 3), 100, np.uint8)
    y = np.full((7, 7, 3), 110, np.uint8)
    c1 = (0.01 * 255) ** 2
    assert ssim(x, y) == pytest.approx((2 * 100 * 110 + c1) / (100**2 + 110**2 + c1))


def test_ssim_refuses_different_shapes() -> None:
    with pytest.raises(ValueError):
        ssim(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8))


def test_colourfulness_of_grey_is_zero() -> None:
    assert colourfulness(np.full((3, 5, 3), 77, np.uint8)) == 0.0


def test_colourfulness_of_a_two_by_two_image() -> None:
    rgb = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 0]]], np.uint8)
    # rg = R - G = [255, -255, 0, 0]; yb = (R + G) / 2 - B = [127.5, 127.5, -255, 255].
    # mean_rg = 0, std_rg^2 = (255^2 + 255^2) / 4 = 32512.5
    # mean_yb = 127.5 / 2 = 63.75, std_yb^2 = mean(yb^2) - 63.75^2
    #         = (2 * 127.5^2 + 2 * 255^2) / 4 - 63.75^2 = 40640.625 - 4064.0625 = 36576.5625
    expected = math.sqrt(32512.5 + 36576.5625) + 0.3 * 63.75
    assert colourfulness(rgb) == pytest.approx(expected)
    assert colourfulness(rgb.astype(np.float32)) == pytest.approx(expected)  # dtype-agnostic


def test_standard_error() -> None:
    # [1, 2, 3, 4]: sample variance 5/3, so SE = sqrt(5/3) / 2.
    assert standard_error([1, 2, 3, 4]) == pytest.approx(math.sqrt(5 / 3) / 2)
    assert standard_error([5.0]) == 0.0
    assert standard_error([]) == 0.0
    assert mean_and_se([2.0, 4.0]) == pytest.approx((3.0, 1.0))  # std sqrt(2), /sqrt(2)
