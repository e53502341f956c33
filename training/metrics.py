"""Image-quality metrics for the benchmark: PSNR, SSIM, colourfulness and standard errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from training.evaluate import psnr

__all__ = ["colourfulness", "mean_and_se", "psnr", "ssim", "standard_error"]


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two uint8 RGB images (skimage defaults: 7x7 uniform window, data range 255)."""
    from skimage.metrics import structural_similarity

    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    # data_range is fixed so that the score does not depend on the images' own min and max.
    return float(structural_similarity(a, b, channel_axis=-1, data_range=255))


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Süsstrunk (2003) colourfulness M of an RGB image with values in 0..255.

    rg = R - G, yb = (R + G) / 2 - B, M = sqrt(std_rg² + std_yb²) + 0.3 sqrt(mean_rg² + mean_yb²),
    with population standard deviations over all pixels.
    """
    x = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def standard_error(values: Sequence[float] | np.ndarray) -> float:
    """Standard error of the mean (sample std with ddof=1 over sqrt(n)); 0.0 below two values."""
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        # No spread can be estimated; 0 keeps the JSON free of NaN.
        return 0.0
    return float(v.std(ddof=1) / np.sqrt(v.size))


def mean_and_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """(mean, standard error) of a list of per-image scores."""
    v = np.asarray(values, dtype=np.float64)
    return (float(v.mean()) if v.size else float("nan")), standard_error(v)
