"""What the GUI thread and the inference worker (gui.worker) hand each other: the requests
it queues, the results it sends back, and the one line a failure is reported in.

All of it is frozen data, so a value can cross the thread boundary in a queued signal and
neither side can change it under the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from model import __version__
from model.colour.enhance import EnhanceSettings
from model.engines import net_description
from model.finish import Finish
from model.hints.document import Hints
from model.inference import Colorizer, Prediction
from model.io.photometa import NO_META, PhotoMeta
from model.io.pixels import LoadedImage

# Makes the worker's colouriser for a device ("auto", "cpu", "cuda") and a working size.
ColorizerFactory = Callable[[str, int], Colorizer]


@dataclass(frozen=True)
class OpenedPhoto:
    """A photo loaded and prepared for the network, with its on-screen grey preview."""

    token: int
    image: LoadedImage
    path: Path | None
    preview_L: np.ndarray  # (h, w) lightness 0..100, at most gui.preview.PREVIEW_PIXELS
    gray: QImage
    work_shape: tuple[int, int]
    elapsed_ms: float


@dataclass(frozen=True)
class RenderResult:
    """One preview render for the hints of one generation."""

    generation: int
    token: int
    hints: Hints
    image: QImage
    prediction: Prediction
    latency_ms: float  # from the request to the finished preview
    refined: bool  # the edge-aware version (or one that needs none)
    draft: int | None = None  # the smaller working size of a quick first answer, else None
    finished: Finish | None = None  # a pause's follow-up: how the colours were finished


@dataclass(frozen=True)
class RenderRequest:
    """Colour photo `token` with `hints`; interim: one step of a drag, more will follow."""

    generation: int
    token: int
    hints: Hints
    t0: float  # when it was asked for
    interim: bool = False


@dataclass(frozen=True)
class ExportJob:
    """Render at full resolution and save, plus the hint file beside the output."""

    token: int
    path: Path
    hints: Hints
    bit_depth: int
    icc_profile: bytes | None = None
    photo_meta: PhotoMeta = NO_META  # the source photo's own metadata, to carry over


@dataclass(frozen=True)
class SuggestRequest:
    """The colours the network suggests at (x, y) from every hint but that point's own:
    with it, the distribution there only echoes the colour the user already chose."""

    token: int
    key: object  # handed back with the answer, so the asker can tell a stale one
    hints: Hints
    x: float
    y: float
    k: int


def export_note(
    colorizer: Colorizer, enhance: EnhanceSettings, finish: Finish = Finish.PASS
) -> dict[str, str]:
    """Huebrush's own metadata for an exported file: the program, weights, finish and
    enhancement."""
    name = f"Huebrush {__version__}"
    desc = net_description(colorizer, finish)
    if enhance.active:
        desc += f"; {enhance.describe()}"
    return {"Software": name, "Description": desc}


def describe_error(err: BaseException) -> str:
    """One line for the user: out-of-memory gets advice, the rest the exception's message."""
    if isinstance(err, MemoryError) or "out of memory" in str(err).lower():
        return "Out of memory. Try a smaller working resolution in Preferences."
    return str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
