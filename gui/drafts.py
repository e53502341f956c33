"""Quick drafts: where one full update is slow, an edit is answered first from a smaller
working size, and the full-size update follows (gui.worker decides when).

Where one full update is slow (fp32 on a CPU without bf16: ~0.3 s at 256), each step of a
drag is answered from a smaller working size so the colour keeps up with the pointer; the
full-size update follows on the release, or when the pointer rests. A draft at 160 instead
of 256 costs ~0.2 dB.
"""

from __future__ import annotations

import dataclasses
import math

from model.hints.document import Hints

DRAFT_TRIGGER_MS = 180.0
DRAFT_TARGET_MS = 120.0
DRAFT_MIN_SIZE = 128
# Clicks and other single edits are drafted too only where a full update is slower than
# this (e.g. a 512 working size without bf16: 1.3 s): a draft first delays the full answer
# by the draft's time, worth it only when that answer is far off.
CLICK_DRAFT_MS = 500.0


def draft_size(full_ms: float, working_size: int, interim: bool = True) -> int | None:
    """Working size of a quick first answer when a full update takes full_ms, or None.

    Scaled so the draft takes about DRAFT_TARGET_MS (time grows with the pixel count),
    rounded down to the network's multiple of 32 and no smaller than DRAFT_MIN_SIZE. A
    single edit (not `interim`, a step of a drag) only past CLICK_DRAFT_MS.
    """
    if full_ms <= DRAFT_TRIGGER_MS or (not interim and full_ms <= CLICK_DRAFT_MS):
        return None
    size = int(working_size * math.sqrt(DRAFT_TARGET_MS / full_ms)) // 32 * 32
    size = max(size, DRAFT_MIN_SIZE)
    return size if size < working_size else None


def scaled_points(hints: Hints, ratio: float) -> Hints:
    """The hints with each point's patch width scaled by ratio (at least 1 pixel), so a
    draft at a smaller working size covers the same share of the photo."""
    points = tuple(dataclasses.replace(p, size=max(1, round(p.size * ratio))) for p in hints.points)
    return dataclasses.replace(hints, points=points)
