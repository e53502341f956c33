"""Input enhancement: contrast stretching or histogram equalisation of L before colouring.

Faded, low-contrast scans give the network a lightness range it rarely saw in training.
Enhancing L first can help it recognise things; by default the output keeps the photo's
own L (only the network sees the enhanced one), so the result stays faithful to the
original tones. Qt-free: the CLI uses it, and `EnhanceSettings` is the option the GUI can
hold.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from model.hints.document import ENHANCE_MODES, Hints
from model.io.pixels import LoadedImage

__all__ = ["ENHANCE_MODES", "EnhanceSettings", "enhance", "equalize", "stretch"]
STRETCH_PERCENTILES = (1.0, 99.0)
EQUALIZE_BINS = 1024  # fine enough for 16-bit sources, cheap for 8-bit ones


def stretch(L: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Linear contrast stretch: the low/high percentiles of L map to 0/100, clipped.

    A flat image (no spread between the percentiles) is returned unchanged.
    """
    L = np.asarray(L, dtype=np.float32)
    lo, hi = np.percentile(L, [low, high])
    if hi - lo < 1e-6:
        return L.copy()
    return np.clip((L - lo) * (100.0 / (hi - lo)), 0.0, 100.0).astype(np.float32)


def equalize(L: np.ndarray, bins: int = EQUALIZE_BINS) -> np.ndarray:
    """Histogram equalisation of L (0..100): each value maps to its cumulative share.

    The histogram over the image's own range is accumulated and interpolated at the bin
    centres (as skimage's equalize_hist does), then rescaled so the darkest value maps to 0
    and the brightest to 100. A flat image is returned unchanged.
    """
    L = np.asarray(L, dtype=np.float32)
    lo, hi = float(L.min()), float(L.max())
    if hi - lo < 1e-6:
        return L.copy()
    hist, edges = np.histogram(L, bins=bins, range=(lo, hi))
    cdf = np.cumsum(hist, dtype=np.float64) / L.size
    centres = 0.5 * (edges[:-1] + edges[1:])
    out = np.interp(L.ravel(), centres, cdf).reshape(L.shape)
    first = cdf[0]
    out = (out - first) / max(1.0 - first, 1e-12)
    return np.clip(out * 100.0, 0.0, 100.0).astype(np.float32)


def enhance(L: np.ndarray, mode: str) -> np.ndarray:
    """L enhanced by `mode` (one of ENHANCE_MODES); 'none' returns L itself."""
    if mode == "none":
        return L
    if mode == "stretch":
        return stretch(L, *STRETCH_PERCENTILES)
    if mode == "equalize":
        return equalize(L)
    raise ValueError(f"unknown enhancement {mode!r} (one of {', '.join(ENHANCE_MODES)})")


@dataclass(frozen=True)
class EnhanceSettings:
    """The input-enhancement option: a mode, and whether the output takes the enhanced L.

    mode: 'none' (default), 'stretch' or 'equalize'. enhance_output: False keeps the
    photo's original L in the result (only the network sees the enhanced L).
    """

    mode: str = "none"
    enhance_output: bool = False

    def __post_init__(self) -> None:
        if self.mode not in ENHANCE_MODES:
            raise ValueError(
                f"unknown enhancement {self.mode!r} (one of {', '.join(ENHANCE_MODES)})"
            )

    @classmethod
    def of(cls, hints: Hints) -> EnhanceSettings:
        """The enhancement a session (its hint file) records."""
        return cls(hints.enhance, hints.enhance_output)

    @property
    def active(self) -> bool:
        return self.mode != "none"

    def network_input(self, image: LoadedImage) -> LoadedImage:
        """The image the engine colours: the same object when off, else one with L enhanced."""
        if not self.active:
            return image
        return dataclasses.replace(image, L=enhance(image.L, self.mode))

    def output_lightness(self, image: LoadedImage, work: LoadedImage) -> np.ndarray | None:
        """The L the result is rendered with: None (the engine's input L) or the original."""
        if not self.active or self.enhance_output:
            return None
        return image.L

    def describe(self) -> str:
        """For output metadata: '' when off."""
        if not self.active:
            return ""
        where = "network input and output" if self.enhance_output else "network input only"
        return f"lightness {self.mode} ({where})"
