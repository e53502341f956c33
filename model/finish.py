"""How a photo with points is finished: one pass, the mean of several views, or the network
fitted to the points first (model.views does it). Kept free of torch, so the CLI can offer
the choices before it loads anything."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from model.hints.document import Hints


class Finish(StrEnum):
    """What the final colours of a photo with points are (shown once the user pauses, and
    what exports, Export Folder and the CLI give)."""

    PASS = "pass"  # the one pass shown while editing
    VIEWS = "views"  # the mean of the six views (about 6 passes)
    REFINE = "refine"  # the last layers fitted to the points (model.refine), then the views

    def applied(self, hints: Hints) -> Finish:
        """The finish these hints get: one pass without points (the views do not help
        automatic colour, and there is nothing to fit)."""
        return self if hints.points else Finish.PASS

    def describe(self) -> str:
        """What it adds to an exported file's description."""
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Finish.PASS: "",
    Finish.VIEWS: ", averaged over six views",
    Finish.REFINE: ", refined to the points",
}

DEFAULT_FINISH = Finish.VIEWS
