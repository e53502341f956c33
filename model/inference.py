"""The Qt-free inference service: photo + hints -> colour photo at full resolution."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from model.colour.bins import top_modes
from model.colour.gamut import lab_to_rgb_keep_l
from model.device import (
    autocast,
    autocast_dtype,
    device_label,
    pick_device,
    precast_convolutions,
)
from model.hints.anchors import anchor_points
from model.hints.document import Hints
from model.hints.encoding import encode_hints
from model.io.load import load_image
from model.io.paths import default_weights_path
from model.io.pixels import LoadedImage
from model.network.unet import ColorNet
from model.network.weights import file_hash, load_network
from model.refine import DEFAULT_REFINE, RefineSettings, refine_head
from model.render import fit_ab_low, render_rgb
from model.upsample import upsample_ab

DEFAULT_WORKING_SIZE = 256
_MULTIPLE = 32  # the network pools to 1/32 (EfficientNet) and 1/8 (U-Net)


def working_shape(h: int, w: int, size: int = DEFAULT_WORKING_SIZE) -> tuple[int, int]:
    """Network resolution for an h x w photo: about size^2 pixels, sides multiples of 32."""
    scale = size / np.sqrt(h * w)
    wh = max(_MULTIPLE, int(round(h * scale / _MULTIPLE)) * _MULTIPLE)
    ww = max(_MULTIPLE, int(round(w * scale / _MULTIPLE)) * _MULTIPLE)
    return wh, ww


def resize_plane(x: np.ndarray, h: int, w: int) -> np.ndarray:
    """Area-average resize of an (H, W) or (H, W, C) float array."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    t = t[None, None] if t.ndim == 2 else t.permute(2, 0, 1)[None]
    out = F.interpolate(
        t,
        size=(h, w),
        mode="area" if h <= x.shape[0] else "bilinear",
        align_corners=None if h <= x.shape[0] else False,
    )
    out = out[0, 0] if x.ndim == 2 else out[0].permute(1, 2, 0)
    return out.numpy()


@dataclass
class Prepared:
    """A photo made ready for repeated inference: working-size L and cached features."""

    image: LoadedImage
    L_work: torch.Tensor  # (1, 1, h, w) on the device
    # What the network computes from the photo alone (its photo_state): every edit reuses it.
    state: Any = None
    cache: dict[str, Any] = field(default_factory=dict)

    @property
    def work_shape(self) -> tuple[int, int]:
        return int(self.L_work.shape[-2]), int(self.L_work.shape[-1])


@dataclass(frozen=True)
class Prediction:
    """The network's answer at working resolution.

    The colour distribution is only needed for suggestions at a point, so no softmax over
    the whole map (about 6 ms at 256) is paid on each edit: `probs_at` normalises one
    position.
    """

    ab: np.ndarray  # (h, w, 2)
    logits: torch.Tensor  # (313, h/4, w/4) float32 on the CPU

    @property
    def dist_shape(self) -> tuple[int, int]:
        """(h/4, w/4): the grid the distribution is predicted on."""
        return int(self.logits.shape[1]), int(self.logits.shape[2])

    def probs_at(self, row: int, col: int) -> np.ndarray:
        """(313,) probabilities over the ab bins at one position of the distribution grid."""
        with torch.inference_mode():
            return torch.softmax(self.logits[:, row, col], 0).numpy()

    @property
    def probs(self) -> np.ndarray:
        """(313, h/4, w/4) probabilities over the ab bins (the whole map, computed now)."""
        with torch.inference_mode():
            return torch.softmax(self.logits, 0).numpy()


class Colorizer:
    """Loads the network lazily and colours photos with hints.

    One instance may be shared by threads: calls into the network are serialised.
    """

    def __init__(
        self,
        net: ColorNet | None = None,
        device: str = "auto",
        working_size: int = DEFAULT_WORKING_SIZE,
        weights_path: str | Path | None = None,
        fast_math: bool = True,
    ) -> None:
        self.device = pick_device(device)
        self.working_size = working_size
        self.weights_path = Path(weights_path) if weights_path else None
        self.fast_math = fast_math
        self._net = net
        self._lock = threading.Lock()
        if net is not None:
            self._setup(net)

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        device: str = "auto",
        working_size: int = DEFAULT_WORKING_SIZE,
        fast_math: bool = True,
    ) -> Colorizer:
        """A colorizer on the given weights (default: the shipped ones); loads on first use.

        fast_math: bf16 autocast on CPUs with AVX-512 BF16/AMX, fp16 on CUDA; False for fp32.
        """
        return cls(None, device, working_size, path or default_weights_path(), fast_math)

    # -- network --------------------------------------------------------------------------
    def _setup(self, net: ColorNet) -> None:
        net.eval().to(self.device)
        if self.device.type == "cpu" or self.fast_math:
            net.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
        # Every call into the network runs under autocast, so this changes no result.
        precast_convolutions(net, autocast_dtype(self.device, self.fast_math))
        self._net = net

    @property
    def net(self) -> ColorNet:
        if self._net is None:
            with self._lock:
                if self._net is None:
                    assert self.weights_path is not None
                    self._setup(load_network(self.weights_path))
        assert self._net is not None
        return self._net

    @property
    def can_refine(self) -> bool:
        """Whether the network's last layers can be fitted to a photo's points (model.refine);
        the per-edit network has no such layers and finishes with the views alone."""
        return bool(getattr(self.net, "refinable", False))

    @property
    def device_name(self) -> str:
        return device_label(self.device)

    def weights_id(self) -> str:
        """Short hash of the weights file (for provenance), or 'in-memory'."""
        return file_hash(self.weights_path) if self.weights_path else "in-memory"

    # -- the pipeline ---------------------------------------------------------------------
    def prepare(self, image: Any, working_size: int | None = None) -> Prepared:
        """Load the photo (path, PIL image, array or LoadedImage) and cache its features.

        working_size: another resolution than the colouriser's (e.g. a quick draft).
        """
        img = image if isinstance(image, LoadedImage) else load_image(image)
        h, w = working_shape(img.L.shape[0], img.L.shape[1], working_size or self.working_size)
        return self.prepare_L(img, resize_plane(img.L, h, w))

    def prepare_L(self, image: LoadedImage, L: np.ndarray) -> Prepared:
        """The photo with this working-size L (h, w) and its features (model.views feeds
        it the photo mirrored or at another size)."""
        L_t = torch.from_numpy(np.ascontiguousarray(L, dtype=np.float32))[None, None]
        L_t = L_t.to(self.device)
        prep = Prepared(image, L_t)
        net = self.net
        with self._lock, torch.inference_mode(), autocast(self.device, self.fast_math):
            prep.state = net.photo_state(self._cl(L_t))
        return prep

    def _cl(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last)

    def adapted_head(
        self,
        prep: Prepared,
        hints: Hints,
        settings: RefineSettings = DEFAULT_REFINE,
        stop: Callable[[], bool] | None = None,
    ) -> nn.Module | None:
        """The network's last layers adapted to the hints' points (model.refine: seconds on
        a CPU); None without points, for a network that cannot be refined (`can_refine`), or
        when `stop` abandoned the fit."""
        if not hints.points or not self.can_refine:
            return None
        hints = self.anchored(prep, hints)
        h, w = prep.work_shape
        glob = encode_hints(hints, h, w)[1][None].to(self.device)
        with self._lock:
            return refine_head(
                self.net, prep.L_work, hints.points, glob, prep.state, settings,
                self.fast_math, stop,
            )  # fmt: skip

    def anchored(self, prep: Prepared, hints: Hints) -> Hints:
        """The hints as the network gets them: with "keep the rest" on, the user's points
        plus anchors holding the automatic colours away from them (model.hints.anchors), and the
        setting off, so anchoring again adds nothing. Callers that rescale point sizes (the
        app's drafts) anchor first: a point's reach follows its size at full resolution."""
        if not hints.keep_rest or not hints.points:
            return hints
        # The automatic colours under the same palette and saturation; only the latest is
        # kept, as a saturation drag would otherwise leave one per value.
        base = replace(hints, points=(), keep_rest=False)
        key = (base.palette, base.saturation)
        cached = prep.cache.get("auto")
        if cached is None or cached[0] != key:
            cached = prep.cache["auto"] = (key, self.predict(prep, base).ab)
        anchors = anchor_points(cached[1], hints.points)
        return replace(hints, points=(*hints.points, *anchors), keep_rest=False)

    def predict(self, prep: Prepared, hints: Hints, head: nn.Module | None = None) -> Prediction:
        """Run the network once at working resolution; `head` (from adapted_head) stands in
        for its last layers."""
        hints = self.anchored(prep, hints)
        h, w = prep.work_shape
        local, glob = encode_hints(hints, h, w)
        glob = glob[None].to(self.device)
        net = self.net
        with self._lock, torch.inference_mode(), autocast(self.device, self.fast_math):
            out = net.from_state(
                prep.state,
                self._cl(prep.L_work),
                self._cl(local[None].to(self.device)),
                glob,
                head=head,
            )
            ab = out.ab[0].float().permute(1, 2, 0).cpu().numpy()
            logits = out.logits[0].float().cpu()
        return Prediction(ab, logits)

    def render(
        self,
        prep: Prepared,
        pred: Prediction,
        L: np.ndarray | None = None,
        depth: int | None = None,
    ) -> np.ndarray:
        """(H, W, 3) sRGB: ab upsampled edge-aware under the original L (or this L), in one
        tiled pass (model.render). depth None gives float32 in 0..1; 8 or 16 the uint8 /
        uint16 pixels of a file of that depth, without a float copy of the photo."""
        L_full = prep.image.L if L is None else L
        return render_rgb(pred.ab, L_full, depth)

    def colorize(self, image: Any, hints: Hints | None = None) -> np.ndarray:
        """Colour a photo; returns (H, W, 3) uint8 at the input's full resolution."""
        prep = self.prepare(image)
        return self.render(prep, self.predict(prep, hints or Hints()), depth=8)


def grid_cell(x: float, y: float, h: int, w: int) -> tuple[int, int]:
    """(row, col) of fractional (x, y) on an h x w grid."""
    return min(int(y * h), h - 1), min(int(x * w), w - 1)


def suggestions_at(
    pred: Prediction, x: float, y: float, k: int
) -> list[tuple[tuple[float, float], float]]:
    """Top-k colour modes of the predicted distribution at fractional (x, y)."""
    row, col = grid_cell(x, y, *pred.dist_shape)
    return [((float(ab[0]), float(ab[1])), p) for ab, p in top_modes(pred.probs_at(row, col), k)]


def shown_at(pred: Prediction, x: float, y: float) -> tuple[float, float]:
    """The ab the prediction shows at fractional (x, y): what a new point should pin.

    Not the distribution's top mode: where the network is unsure that mode is often near
    grey, and a grey point would wash the colour out of the region the user just clicked.
    """
    a, b = pred.ab[grid_cell(x, y, *pred.ab.shape[:2])]
    return float(a), float(b)


def fit_ab(ab: np.ndarray, L: np.ndarray) -> np.ndarray:
    """ab at working size -> ab at L's size: area-shrunk where the photo is smaller, else
    upsampled edge-aware under L."""
    return upsample_ab(fit_ab_low(ab, *L.shape), L)


def lab_to_rgb_rows(L: np.ndarray, ab: np.ndarray, rows: int = 512) -> np.ndarray:
    """L (H, W) + ab (H, W, 2) -> sRGB float32, in row bands so huge photos stay in memory."""
    H, W = L.shape
    out = np.empty((H, W, 3), dtype=np.float32)
    for r in range(0, H, rows):
        lab = np.concatenate([L[r : r + rows, :, None], ab[r : r + rows]], axis=-1)
        out[r : r + rows] = lab_to_rgb_keep_l(lab)
    return out


def to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)
