"""Colourisation engines behind one call: the network, or the Levin et al. 2004 baseline."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from model.finish import DEFAULT_FINISH, Finish
from model.hints.document import Hints
from model.hints.encoding import AB_SCALE, encode_points
from model.inference import Colorizer, resize_plane, working_shape
from model.io.pixels import LoadedImage
from model.refine import DEFAULT_REFINE, RefineSettings
from model.render import render_rgb
from model.views import finished_prediction


class Engine(Protocol):
    def __call__(
        self,
        image: LoadedImage,
        hints: Hints,
        out_L: np.ndarray | None = None,
        depth: int | None = None,
    ) -> np.ndarray:
        """sRGB at full resolution under out_L (default: image.L): float32, or with depth 8
        or 16 the pixels of a file of that depth (model.render.render_rgb)."""
        ...

    def colours(self, image: LoadedImage, hints: Hints) -> np.ndarray:
        """ab (h, w, 2) at the working size, before the full-resolution render."""
        ...

    def describe(self, hints: Hints | None = None) -> str:
        """For the metadata of a photo coloured with these hints."""
        ...


def net_description(colorizer: Colorizer, finish: Finish = Finish.PASS) -> str:
    """What coloured a photo, for its metadata: the program, the weights, the finish."""
    from model import __version__

    desc = f"Colourised by Huebrush {__version__}, weights {colorizer.weights_id()}"
    return desc + finish.describe()


class _Rendered:
    """An engine's full-resolution output: its colours at the working size, rendered under L
    (model.render: edge-aware upsampling and the conversion keeping L, in one tiled pass)."""

    def colours(self, image: LoadedImage, hints: Hints) -> np.ndarray:
        """ab (h, w, 2) at the working size: the part a batch pipeline runs on its own."""
        raise NotImplementedError

    def __call__(
        self,
        image: LoadedImage,
        hints: Hints,
        out_L: np.ndarray | None = None,
        depth: int | None = None,
    ) -> np.ndarray:
        return render_rgb(self.colours(image, hints), image.L if out_L is None else out_L, depth)


class NetEngine(_Rendered):
    """The network: full-resolution float sRGB output with the original L, finished as
    `finish` says where a photo has points (model.views)."""

    def __init__(
        self,
        colorizer: Colorizer,
        finish: Finish = Finish.PASS,
        refine: RefineSettings = DEFAULT_REFINE,
    ) -> None:
        self.colorizer = colorizer
        self.finish = finish
        self.refine = refine

    def colours(self, image: LoadedImage, hints: Hints) -> np.ndarray:
        col = self.colorizer
        prep = col.prepare(image)
        pred = finished_prediction(col, prep, hints, self.finish, self.refine)
        assert pred is not None  # nothing to stop it
        return pred.ab

    def describe(self, hints: Hints | None = None) -> str:
        finish = self.finish if hints is None else self.finish.applied(hints)
        return net_description(self.colorizer, finish)


class LevinEngine(_Rendered):
    """Optimisation propagation of the same hints (no network): the classic baseline."""

    def __init__(self, working_size: int = 256) -> None:
        self.working_size = working_size

    def colours(self, image: LoadedImage, hints: Hints) -> np.ndarray:
        from model.levin import levin_colorize

        h, w = working_shape(image.L.shape[0], image.L.shape[1], self.working_size)
        L = resize_plane(image.L, h, w)
        local = encode_points(hints.points, h, w).numpy()
        return levin_colorize(L, local[:2].transpose(1, 2, 0) * AB_SCALE, local[2] > 0)

    def describe(self, hints: Hints | None = None) -> str:
        from model import __version__

        return f"Colourised by Huebrush {__version__}, Levin et al. 2004 propagation"


def make_engine(
    name: str,
    device: str = "auto",
    weights: str | None = None,
    working_size: int = 256,
    finish: Finish = DEFAULT_FINISH,
) -> Engine:
    """'net' (finished as `finish` says where a photo has points) or 'levin'."""
    if name == "levin":
        return LevinEngine(working_size)
    if name == "net":
        col = Colorizer.load(weights, device=device, working_size=working_size)
        _ = col.net  # load now so a bad weights file fails before any photo is read
        return NetEngine(col, finish)
    raise ValueError(f"unknown engine {name!r}")
