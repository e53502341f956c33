"""An exponential moving average of a network's weights during training (Polyak averaging).

The averaged copy smooths the last steps' noise out of the weights; validation scores it
beside the raw weights, and a run that keeps one exports it.
"""

from __future__ import annotations

import copy
from typing import Any

import torch


class WeightAverage:
    """A frozen copy of `net` whose float weights follow it as w ← d·w + (1 − d)·w_net.

    `decay` is d once warmed up; early on d = (1 + n) / (10 + n) after n updates, so the
    copy does not hold on to the weights it started from for thousands of steps. Buffers
    (batch-norm statistics, integer counters) are copied as they are.
    """

    def __init__(self, net: torch.nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.net = copy.deepcopy(net).eval().requires_grad_(False)

    def rate(self) -> float:
        """The decay the next update uses."""
        n = self.updates
        return min(self.decay, (1 + n) / (10 + n))

    @torch.no_grad()
    def update(self, net: torch.nn.Module) -> None:
        """Move the average one step towards `net`'s current weights."""
        d = self.rate()
        mine = dict(self.net.named_parameters())
        for k, p in net.named_parameters():
            mine[k].lerp_(p.detach(), 1.0 - d)
        own = dict(self.net.named_buffers())
        for k, b in net.named_buffers():
            own[k].copy_(b)
        self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps: the averaged weights and the update count."""
        return {"model": self.net.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` gave."""
        self.net.load_state_dict(state["model"])
        self.updates = int(state["updates"])
