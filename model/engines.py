"""Colourisation engines behind one call: the network, or the Levin et al. 2004 baseline."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from model.encoding import AB_SCALE, encode_points
from model.hints import Hints
from model.imageio import LoadedImage
from model.inference import Colorizer, fit_ab, lab_to_rgb_rows, resize_plane, working_shape
from model.refine import RefineSettings
from model.views import refined_prediction


class Engine(Protocol):
    def __call__(
        self, image: LoadedImage, hints: Hints, out_L: np.ndarray | None = None
    ) -> np.ndarray:
        """Float sRGB at full resolution under out_L (default: image.L)."""
        ...

    def describe(self) -> str: ...


def net_description(colorizer: Colorizer, refined: bool = False) -> str:
    """What coloured a photo, for its metadata: the program, the weights, the refinement."""
    from model import __version__

    desc = f"Colourised by Huebrush {__version__}, weights {colorizer.weights_id()}"
    return desc + (", refined to the points" if refined else "")


class NetEngine:
    """The network: full-resolution float sRGB output with the original L; with `refine`,
    its last layers are adapted to each photo's points first."""

    def __init__(self, colorizer: Colorizer, refine: RefineSettings | None = None) -> None:
        self.colorizer = colorizer
        self.refine = refine

    def __call__(
        self, image: LoadedImage, hints: Hints, out_L: np.ndarray | None = None
    ) -> np.ndarray:
        col = self.colorizer
        prep = col.prepare(image)
        if self.refine is None:
            return col.render(prep, col.predict(prep, hints), out_L)
        pred = refined_prediction(col, prep, hints, self.refine)
        assert pred is not None  # nothing to stop it
        return col.render(prep, pred, out_L)

    def describe(self) -> str:
        return net_description(self.colorizer, self.refine is not None)


class LevinEngine:
    """Optimisation propagation of the same hints (no network): the classic baseline."""

    def __init__(self, working_size: int = 256) -> None:
        self.working_size = working_size

    def __call__(
        self, image: LoadedImage, hints: Hints, out_L: np.ndarray | None = None
    ) -> np.ndarray:
        from model.levin import levin_colorize

        h, w = working_shape(*image.L.shape, self.working_size)
        L = resize_plane(image.L, h, w)
        local = encode_points(hints.points, h, w).numpy()
        ab = levin_colorize(L, local[:2].transpose(1, 2, 0) * AB_SCALE, local[2] > 0)
        L_full = image.L if out_L is None else out_L
        return lab_to_rgb_rows(L_full, fit_ab(ab, L_full))

    def describe(self) -> str:
        from model import __version__

        return f"Colourised by Huebrush {__version__}, Levin et al. 2004 propagation"


def make_engine(
    name: str,
    device: str = "auto",
    weights: str | None = None,
    working_size: int = 256,
    refine: bool = False,
) -> Engine:
    """'net' (refined to each photo's points if `refine`) or 'levin'."""
    if name == "levin":
        return LevinEngine(working_size)
    if name == "net":
        col = Colorizer.load(weights, device=device, working_size=working_size)
        _ = col.net  # load now so a bad weights file fails before any photo is read
        return NetEngine(col, RefineSettings() if refine else None)
    raise ValueError(f"unknown engine {name!r}")
