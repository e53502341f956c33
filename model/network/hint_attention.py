"""Carry each hint's colour to similar-looking places anywhere in the photo.

Convolutions spread a hint only as far as their receptive field and only by position; a
point on one tree says nothing, to them, about another tree across the photo. Here every
1/8-scale cell attends over the cells that hold a hint, by the similarity of their features
(which include the ImageNet semantics), and adds what it reads. A learned "no hint" slot
lets a cell read nothing. The last projection starts at zero, so a network grown with this
block computes exactly what it computed before until training moves it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.network.propagate import pool_hints


class HintAttention(nn.Module):
    """features (B,C,h,w) at 1/8 scale + local hints (B,3,H,W) -> features with hint colour."""

    def __init__(self, channels: int, dim: int = 64, heads: int = 4) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must be a multiple of heads {heads}")
        self.heads, self.dim = heads, dim
        self.q = nn.Conv2d(channels, dim, 1)
        self.k = nn.Conv2d(channels, dim, 1)
        # Values see the hint's own ab and coverage beside the features at its cell.
        self.v = nn.Conv2d(channels + 3, dim, 1)
        self.null_k = nn.Parameter(torch.zeros(heads, 1, dim // heads))
        self.null_v = nn.Parameter(torch.zeros(heads, 1, dim // heads))
        self.out = nn.Conv2d(dim, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)  # type: ignore[arg-type]  # Conv2d has one

    @staticmethod
    def hint_cells(local: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(B,3,h,w): mean hint ab over each cell's hinted pixels, and the hinted share."""
        ab_sum, cover = pool_hints(local, size)
        return torch.cat([ab_sum / cover.clamp_min(1e-6), cover], 1)

    def forward(self, x: torch.Tensor, local: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        cells = self.hint_cells(local, (h, w))
        hinted = cells[:, 2].flatten(1) > 0  # (B, N)
        most = int(hinted.sum(1).max())
        if most == 0:
            return x
        # Hinted cells first (stable), then as many as the most-hinted photo has, rounded up to
        # a power of two (masked): a new key count per step would rebuild kernels every step.
        n_keys = min(hinted.shape[1], max(8, 1 << (most - 1).bit_length()))
        order = torch.argsort((~hinted).to(torch.int8), dim=1, stable=True)[:, :n_keys]
        valid = torch.gather(hinted, 1, order)  # (B, K)

        d = self.dim // self.heads
        # Contiguous: SDPA's bf16 result depends on the layout the conv happened to return
        # (channels_last or not), and the softmax amplifies that rounding noise.
        q = self.q(x).reshape(b, self.heads, d, h * w).transpose(2, 3).contiguous()
        kv_in = torch.cat([x, cells.to(x.dtype)], 1)

        def pick(t: torch.Tensor) -> torch.Tensor:  # (B, dim, N) -> (B, heads, K, d)
            idx = order.unsqueeze(1).expand(-1, t.shape[1], -1)
            return torch.gather(t, 2, idx).reshape(b, self.heads, d, n_keys).transpose(2, 3)

        k = pick(self.k(x).flatten(2))
        v = pick(self.v(kv_in).flatten(2))
        k = torch.cat([self.null_k.to(k.dtype).expand(b, -1, -1, -1), k], 2)
        v = torch.cat([self.null_v.to(v.dtype).expand(b, -1, -1, -1), v], 2)
        allowed = torch.cat([valid.new_ones(b, 1), valid], 1)[:, None, None, :]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        y = y.transpose(2, 3).reshape(b, self.dim, h, w)
        return x + self.out(y)
