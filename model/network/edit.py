"""The per-edit decoder: cached photo features + hints -> a change of the automatic colours.

The heavy part of colouring a photo depends on the photo alone: the U-Net trunk run with no
hints gives its automatic colours and its features at 1/8 and 1/4 scale. Those are computed
once per photo (`EditNet.prepare`). Each edit then runs only this decoder, a few GFLOP:

* every cell at 1/4 scale attends to the hinted cells at 1/8 scale; keys are the photo's
  own features, so a hint reaches what looks like the object it sits on, and a learned
  distance penalty per head keeps some heads near the point and lets others reach further;
* the hints' difference from the automatic colours (not their colour alone) is what the
  values carry, so a hint that agrees with what is shown has nothing to spread;
* a few residual convolutions at 1/4 scale clean up, a palette or saturation hint scales
  and shifts their channels, and the change of ab at 1/4 scale is brought to full size by a
  guided filter under L, so it follows the photo's edges;
* without any hint the automatic colours come back unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from model.network.config import JsonConfig, NetConfig
from model.network.propagate import domain_transform
from model.network.registry import register_arch
from model.network.unet import ColorNet, NetOutput

AB_SCALE = 110.0
SPREAD_SIGMA_R = 8.0  # L units: an edge of this contrast halves the reach across it
REF_CELLS = 64  # 1/4-scale cells across the side of a 256-pixel working image


@dataclass(frozen=True)
class EditConfig(JsonConfig):
    """dim: channels of the decoder at 1/4 scale; blocks: its residual conv blocks;
    heads: attention heads; max_tokens: hinted 1/8-scale cells attended to at most;
    gf_radius, gf_eps: the guided filter that brings the change to full size;
    spreads: reaches (in sides of a 256-pixel working image) of the edge-aware spreads of the
    hints' changes that the decoder reads, and gates onto its output."""

    dim: int = 64
    blocks: int = 6
    heads: int = 4
    max_tokens: int = 256
    gf_radius: int = 1
    gf_eps: float = 1e-3
    c7: int = 256
    c8: int = 128
    n_bins: int = 313
    glob_dim: int = 316
    spreads: tuple[float, ...] = (0.05, 0.25)

    @classmethod
    def parse_fields(cls, d: dict[str, Any]) -> dict[str, Any]:
        if isinstance(d.get("spreads"), list):
            d["spreads"] = tuple(float(x) for x in d["spreads"])
        return d


def box(x: torch.Tensor, r: int) -> torch.Tensor:
    return F.avg_pool2d(x, 2 * r + 1, stride=1, padding=r, count_include_pad=False)


def guided_upsample(
    guide_lo: torch.Tensor, p_lo: torch.Tensor, guide_hi: torch.Tensor, r: int, eps: float
) -> torch.Tensor:
    """Fast guided filter (He and Sun 2015): linear coefficients of p on the guide fitted
    at low resolution, upsampled, and applied to the full-resolution guide."""
    mean_i = box(guide_lo, r)
    mean_p = box(p_lo, r)
    cov = box(guide_lo * p_lo, r) - mean_i * mean_p
    var = box(guide_lo * guide_lo, r) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    size = guide_hi.shape[-2:]
    a = F.interpolate(box(a, r), size=size, mode="bilinear", align_corners=False)
    b = F.interpolate(box(b, r), size=size, mode="bilinear", align_corners=False)
    return a * guide_hi + b


@dataclass
class PhotoFeatures:
    """What one photo (or one view of it) contributes to every edit; hint-independent."""

    base: torch.Tensor  # (B, 2, H, W) automatic ab
    f4: torch.Tensor  # (B, dim, H/4, W/4) projected 1/4-scale features
    q: torch.Tensor  # (B, heads, H/4*W/4, d) attention queries
    k8: torch.Tensor  # (B, dim, H/8, W/8) attention keys at 1/8
    v8: torch.Tensor  # (B, dim, H/8, W/8) the value part drawn from the features
    guide_lo: torch.Tensor  # (B, 1, H/4, W/4)
    guide_hi: torch.Tensor  # (B, 1, H, W)
    base_logits: torch.Tensor | None = None  # (B, 313, H/4, W/4) with no hints


class Block(nn.Module):
    def __init__(self, dim: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=dilation, dilation=dilation)
        self.conv2 = nn.Conv2d(dim, dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class EditHead(nn.Module):
    """Cached photo features + hints -> ab (B, 2, H, W) and logits (B, 313, H/4, W/4)."""

    def __init__(self, cfg: EditConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.dim
        self.proj4 = nn.Sequential(nn.Conv2d(cfg.c8 + 2, d, 1), nn.ReLU(), nn.Conv2d(d, d, 1))
        self.proj8 = nn.Sequential(nn.Conv2d(cfg.c7, d, 1), nn.ReLU(), nn.Conv2d(d, d, 1))
        self.q = nn.Conv2d(d, d, 1)
        self.k = nn.Conv2d(d, d, 1)
        self.v_feat = nn.Conv2d(d, d, 1)
        # hint cell: mean change from the automatic ab (2), mean hint ab (2), coverage (1)
        self.v_hint = nn.Sequential(nn.Linear(5, d), nn.ReLU(), nn.Linear(d, d))
        self.v_out = nn.Linear(d, d)
        # log of each head's distance penalty per image side: near heads and far heads
        reach = torch.linspace(math.log(40.0), math.log(1.0), cfg.heads)
        self.log_reach = nn.Parameter(reach)
        self.null_score = nn.Parameter(torch.zeros(cfg.heads))
        self.attn_out = nn.Conv2d(d, d, 1)
        self.hint_in = nn.Conv2d(5 + 3 * len(cfg.spreads), d, 3, padding=1)
        self.fuse = nn.Conv2d(3 * d, d, 1)
        self.glob = nn.Sequential(nn.Linear(cfg.glob_dim, d), nn.ReLU(), nn.Linear(d, 2 * d))
        dil = [1, 2, 4, 8, 1, 2, 4, 8]
        self.blocks = nn.ModuleList(Block(d, dil[i % len(dil)]) for i in range(cfg.blocks))
        # The change of ab, and per spread a gate that adds that spread's change to it.
        self.out_ab = nn.Conv2d(d, 2 + len(cfg.spreads), 1)
        self.out_logits = nn.Conv2d(d, cfg.n_bins, 1)
        nn.init.zeros_(self.out_ab.weight)
        # The nearest spread mostly on at first, the wider ones half.
        gates = [2.0] + [0.0] * (len(cfg.spreads) - 1)
        self.out_ab.bias = nn.Parameter(torch.tensor([0.0, 0.0, *gates]))
        nn.init.zeros_(self.glob[2].weight)  # type: ignore[arg-type]
        nn.init.zeros_(self.glob[2].bias)  # type: ignore[arg-type]

    # -- once per photo --------------------------------------------------------------------
    def photo(
        self, L: torch.Tensor, c7: torch.Tensor, c8: torch.Tensor, base: torch.Tensor
    ) -> PhotoFeatures:
        """L (B,1,H,W) in 0..100; c7, c8 the trunk's 1/8 and 1/4 features; base its ab."""
        h4, w4 = c8.shape[-2:]
        base4 = F.adaptive_avg_pool2d(base.float(), (h4, w4))
        f4 = self.proj4(torch.cat([c8.float(), base4 / AB_SCALE], 1))
        f8 = self.proj8(c7.float())
        b, d = f4.shape[:2]
        hd = d // self.cfg.heads
        q = self.q(f4).reshape(b, self.cfg.heads, hd, h4 * w4).transpose(2, 3)
        guide_hi = L.float() / 100.0
        guide_lo = F.adaptive_avg_pool2d(guide_hi, (h4, w4))
        return PhotoFeatures(
            base.float(), f4, q.contiguous(), self.k(f8), self.v_feat(f8), guide_lo, guide_hi
        )

    # -- once per edit ---------------------------------------------------------------------
    @staticmethod
    def hint_cells(local: torch.Tensor, base: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        """(B, 5, h, w): each cell's mean change from the automatic ab over its hinted pixels,
        the mean hint ab, both /110, and the hinted share of the cell."""
        mask = local[:, 2:3]
        ab = local[:, :2] * mask
        delta = (local[:, :2] - base / AB_SCALE) * mask
        pooled = F.adaptive_avg_pool2d(torch.cat([delta, ab, mask], 1), size)
        cover = pooled[:, 4:5]
        return torch.cat([pooled[:, :4] / cover.clamp_min(1e-6), cover], 1)

    @staticmethod
    def spread(cells: torch.Tensor, guide_lo: torch.Tensor, reach: float) -> torch.Tensor:
        """(B, 3, h, w): the hints' changes from the automatic ab (/110) carried edge-aware
        over the photo (a domain transform guided by L, as model.network.propagate spreads
        the U-Net's hints), and a confidence falling off with distance."""
        with torch.no_grad():
            cover = cells[:, 4:5].float()
            f = domain_transform(
                torch.cat([cells[:, :2].float() * cover, cover], 1),
                guide_lo.float() * 100.0,
                reach * REF_CELLS,
                SPREAD_SIGMA_R,
            )
            known = f[:, 2:3] > 1e-8
            change = torch.where(known, f[:, :2] / f[:, 2:3].clamp_min(1e-8), 0.0)
            conf = ((torch.log10(f[:, 2:3].clamp_min(1e-5)) + 5.0) / 5.0).clamp(0.0, 1.0)
            return torch.cat([change, conf], 1)

    def attend(self, pf: PhotoFeatures, local: torch.Tensor) -> torch.Tensor:
        """(B, dim, H/4, W/4): what the hinted 1/8-scale cells say to every 1/4-scale cell."""
        cfg = self.cfg
        b, d, h8, w8 = pf.k8.shape
        h4, w4 = pf.f4.shape[-2:]
        cells = self.hint_cells(local, pf.base, (h8, w8)).flatten(2)  # (B, 5, N)
        hinted = cells[:, 4] > 0
        most = int(hinted.sum(1).max())
        if most == 0:
            return pf.f4.new_zeros(b, d, h4, w4)
        n = min(cfg.max_tokens, max(8, 1 << (most - 1).bit_length()), hinted.shape[1])
        # The most covered cells first: past max_tokens the faintest hints are dropped.
        order = torch.argsort(-cells[:, 4], dim=1, stable=True)[:, :n]
        valid = torch.gather(hinted, 1, order)  # (B, n)

        def pick(t: torch.Tensor) -> torch.Tensor:  # (B, C, N) -> (B, n, C)
            idx = order.unsqueeze(1).expand(-1, t.shape[1], -1)
            return torch.gather(t, 2, idx).transpose(1, 2)

        hd = d // cfg.heads
        k = pick(pf.k8.flatten(2)).reshape(b, n, cfg.heads, hd).transpose(1, 2)
        tok = pick(cells)  # (B, n, 5)
        v = self.v_out(F.relu(pick(pf.v8.flatten(2)) + self.v_hint(tok)))
        v = v.reshape(b, n, cfg.heads, hd).transpose(1, 2)  # (B, heads, n, hd)
        scores = pf.q @ k.transpose(2, 3) / math.sqrt(hd)  # (B, heads, Q, n)
        # Distance from each query cell to each token cell, in sides of a 256-pixel working
        # image, whatever the map's size: a crop or another working size keeps each head's reach.
        ys = (torch.arange(h4, device=k.device, dtype=torch.float32) + 0.5) / REF_CELLS
        xs = (torch.arange(w4, device=k.device, dtype=torch.float32) + 0.5) / REF_CELLS
        qy, qx = torch.meshgrid(ys, xs, indexing="ij")
        ty = ((order // w8).float() + 0.5) * 2 / REF_CELLS  # (B, n)
        tx = ((order % w8).float() + 0.5) * 2 / REF_CELLS
        dist = torch.sqrt(
            (qy.reshape(1, -1, 1) - ty[:, None, :]) ** 2
            + (qx.reshape(1, -1, 1) - tx[:, None, :]) ** 2
            + 1e-6
        )  # (B, Q, n)
        scores = scores - self.log_reach.exp().view(1, -1, 1, 1) * dist[:, None]
        scores = scores.masked_fill(~valid[:, None, None, :], float("-inf"))
        null = self.null_score.view(1, -1, 1, 1).expand(b, -1, scores.shape[2], 1)
        w = torch.softmax(torch.cat([null, scores], 3), 3)[..., 1:]
        y = (w @ v).transpose(2, 3).reshape(b, d, h4, w4)
        return self.attn_out(y)

    def forward(
        self, pf: PhotoFeatures, local: torch.Tensor, glob: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """local (B,3,H,W) from the hint encoder; glob (B,316). -> ab, logits."""
        h4, w4 = pf.f4.shape[-2:]
        cells4 = self.hint_cells(local, pf.base, (h4, w4))
        spreads = [self.spread(cells4, pf.guide_lo, r) for r in self.cfg.spreads]
        hints = self.hint_in(torch.cat([cells4, *spreads], 1))
        x = self.fuse(torch.cat([pf.f4, self.attend(pf, local), hints], 1))
        gamma, beta = self.glob(glob.float()).chunk(2, 1)
        x = x * (1 + gamma[..., None, None]) + beta[..., None, None]
        for blk in self.blocks:
            x = blk(F.relu(x))
        x = F.relu(x)
        o = self.out_ab(x).float()
        delta = o[:, :2]
        for i, sp in enumerate(spreads):
            # Weighted by the spread's confidence, so a change stays near its hint unless
            # the decoder carries it further itself.
            delta = delta + torch.sigmoid(o[:, 2 + i : 3 + i]) * sp[:, 2:3] * sp[:, :2]
        delta = delta * AB_SCALE
        up = guided_upsample(pf.guide_lo, delta, pf.guide_hi, self.cfg.gf_radius, self.cfg.gf_eps)
        return pf.base + up, self.out_logits(x)


@dataclass(frozen=True)
class EditNetConfig(NetConfig):
    """The U-Net (its fields, as NetConfig) as the per-photo trunk, plus the per-edit decoder."""

    config_label: ClassVar[str] = "network config"

    edit: EditConfig = field(default_factory=EditConfig)

    @classmethod
    def parse_fields(cls, d: dict[str, Any]) -> dict[str, Any]:
        if isinstance(d.get("edit"), dict):
            d["edit"] = EditConfig.from_dict(d["edit"])
        return d


@dataclass
class EditState:
    """One photo (or view) made ready for edits: the decoder's cached inputs and the
    automatic colour distribution."""

    photo: PhotoFeatures
    logits: torch.Tensor  # (B, 313, H/4, W/4) the trunk's, with no hints


def has_hints(local: torch.Tensor, glob: torch.Tensor, n_bins: int) -> torch.Tensor:
    """(B,) bool: a point, a palette or a saturation is given."""
    points = local[:, 2].flatten(1).amax(1) > 0
    palette = glob[:, n_bins] > 0
    saturation = glob[:, n_bins + 2] > 0
    return points | palette | saturation


@register_arch("huebrush-edit", config=EditNetConfig, reads_hints=True, distribution=True)
class EditNet(ColorNet):
    """The release's U-Net run once per photo with no hints, then a light decoder per edit.

    The trunk's parameters and names are the U-Net's, so its weights load unchanged; only
    `edit.*` is new. Without hints the trunk's own automatic colours come back untouched.
    """

    refinable = False

    def __init__(self, cfg: EditNetConfig) -> None:
        super().__init__(cfg)
        self.edit = EditHead(cfg.edit)

    def photo_state(self, L: torch.Tensor) -> EditState:  # type: ignore[override]
        b, _, h, w = L.shape
        local = L.new_zeros(b, 3, h, w)
        glob = L.new_zeros(b, self.cfg.n_bins + 3)
        x10, prior, c7, c8 = self.trunk(L, local, glob)
        hyper = torch.cat([c8, F.interpolate(c7, size=c8.shape[-2:], mode="nearest")], 1)
        logits = self.dist(hyper).float()
        base = self.head_ab(x10, prior)
        return EditState(self.edit.photo(L, c7, c8, base), logits)

    def from_state(
        self,
        state: Any,
        L: torch.Tensor,
        local: torch.Tensor,
        glob: torch.Tensor,
        head: nn.Module | None = None,
    ) -> NetOutput:
        pf = state.photo
        given = has_hints(local, glob, self.cfg.n_bins)
        if not bool(given.any()):
            return NetOutput(pf.base, state.logits)
        ab, logits = self.edit(pf, local.float(), glob.float())
        keep = given.view(-1, 1, 1, 1)
        return NetOutput(
            torch.where(keep, ab.float(), pf.base), torch.where(keep, logits.float(), state.logits)
        )

    def forward(
        self, L: torch.Tensor, local: torch.Tensor, glob: torch.Tensor, *_: Any, **__: Any
    ) -> NetOutput:
        """The whole network at once (training, the benchmarks): the U-Net's cached inputs
        and a replacement head, which the U-Net's forward takes, mean nothing here."""
        return self.from_state(self.photo_state(L), L, local, glob)
