"""The colourisation network after Zhang et al. 2017 (local and global hints networks).

A U-Net maps L plus sparse hints (ab + mask) to ab. Encoder blocks of conv3x3+ReLU+BN
down to 1/8, dilated blocks at 1/8, a decoder with symmetric shortcuts. A global branch
turns the palette histogram and saturation into a bias on the 1/8-scale features, a
distribution head predicts 313 ab bins at 1/4 scale from a hypercolumn, and optionally
frozen ImageNet features, an edge-aware spread of the hints and attention from every
cell to the hinted ones join in. A variant (NetConfig.encoder="effnet") uses the ImageNet
network itself as the encoder, the hints entering through a light parallel branch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from model.hints.encoding import normalize_l
from model.network.config import NetConfig
from model.network.hint_attention import HintAttention
from model.network.propagate import spread_hints
from model.network.registry import register_arch


def _block(cin: int, cout: int, n: int, dilation: int = 1) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n):
        layers += [
            nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=dilation, dilation=dilation),
            nn.ReLU(inplace=True),
        ]
    layers.append(nn.BatchNorm2d(cout))
    return nn.Sequential(*layers)


class GlobalBranch(nn.Module):
    """Histogram (313 + flag) and saturation (1 + flag) -> a per-channel bias at 1/8 scale.

    Each part is multiplied by its flag, so an absent global hint adds exactly zero.
    """

    def __init__(self, n_bins: int, channels: int) -> None:
        super().__init__()
        self.n_bins = n_bins
        self.hist = nn.Sequential(
            nn.Conv2d(n_bins, channels, 1), nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 1)
        )
        self.sat = nn.Sequential(
            nn.Conv2d(1, channels, 1), nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 1)
        )

    def forward(self, g: torch.Tensor) -> torch.Tensor:
        g = g.reshape(g.shape[0], -1, 1, 1)
        n = self.n_bins
        hist, hist_flag = g[:, :n], g[:, n : n + 1]
        sat, sat_flag = g[:, n + 1 : n + 2], g[:, n + 2 : n + 3]
        return hist_flag * self.hist(hist) + sat_flag * self.sat(sat)


@dataclass
class NetOutput:
    ab: torch.Tensor  # (B, 2, H, W) CIELAB ab
    logits: torch.Tensor  # (B, 313, H/4, W/4) distribution logits


@register_arch("huebrush", config=NetConfig, reads_hints=True, distribution=True)
class ColorNet(nn.Module):
    """L + hints -> ab and a 313-bin distribution. Input sizes must be multiples of 32."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        w = cfg.width
        cin = 4 + (3 if cfg.prior else 0)
        self.backbone: nn.Module | None = None
        if cfg.encoder == "effnet":
            self._effnet_encoder(cin, w)
        elif cfg.encoder == "unet":
            self.enc1 = _block(cin, w, 2)
            self.enc2 = _block(w, 2 * w, 2)
            self.enc3 = _block(2 * w, 4 * w, 3)
            self.enc4 = _block(4 * w, 8 * w, 3)
        else:
            raise ValueError(f"unknown encoder {cfg.encoder!r}")
        self.mid5 = _block(8 * w, 8 * w, 3, dilation=2)
        self.mid6 = _block(8 * w, 8 * w, 3, dilation=2)
        self.mid7 = _block(8 * w, 8 * w, 3)
        self.global_branch = GlobalBranch(cfg.n_bins, 8 * w)
        self.semantic: nn.Module | None = None
        if cfg.semantic == "effnet":
            from model.network.semantic import CHANNELS, SemanticEncoder

            self.semantic = SemanticEncoder()
            self.sem_fuse = nn.Sequential(
                nn.Conv2d(CHANNELS, 8 * w, 1), nn.ReLU(inplace=True), nn.Conv2d(8 * w, 8 * w, 1)
            )
        elif cfg.semantic != "none":
            raise ValueError(f"unknown semantic encoder {cfg.semantic!r}")
        self.hint_attn = HintAttention(8 * w) if cfg.hint_attn else None
        self.hint_attn_fine = HintAttention(4 * w) if cfg.hint_attn_fine else None
        # No parameters, so weights trained with and without it load into each other.
        self.drop = nn.Dropout2d(cfg.dropout) if cfg.dropout > 0 else nn.Identity()
        self.up8 = nn.ConvTranspose2d(8 * w, 4 * w, 4, stride=2, padding=1)
        self.skip8 = nn.Conv2d(4 * w, 4 * w, 3, padding=1)
        self.dec8 = _block(4 * w, 4 * w, 3)
        self.up9 = nn.ConvTranspose2d(4 * w, 2 * w, 4, stride=2, padding=1)
        self.skip9 = nn.Conv2d(2 * w, 2 * w, 3, padding=1)
        self.dec9 = _block(2 * w, 2 * w, 2)
        self.up10 = nn.ConvTranspose2d(2 * w, w, 4, stride=2, padding=1)
        self.skip10 = nn.Conv2d(w, w, 3, padding=1)
        self.dec10 = nn.Sequential(
            nn.Conv2d(w, w, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(w, w, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        )
        # ab delta, ab delta, gate between the spread prior and the network's own colour.
        self.out = nn.Conv2d(w, 3, 1)
        self.dist = nn.Sequential(
            nn.Conv2d(4 * w + 8 * w, 4 * w, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(4 * w, cfg.n_bins, 1),
        )

    def _effnet_encoder(self, cin: int, w: int) -> None:
        """EfficientNet-Lite0 (ImageNet-initialised, trained) as the encoder; L and the hints
        enter through a light parallel branch, one conv per scale, added at each scale."""
        if self.cfg.semantic != "none":
            raise ValueError('encoder="effnet" is the ImageNet network already: semantic="none"')
        from model.network.semantic import HEAD, SemanticEncoder

        self.backbone = SemanticEncoder()
        for p in self.backbone.parameters():
            p.requires_grad_(True)
        self.enc1 = _block(cin, w, 1)
        self.hint2 = nn.Sequential(nn.Conv2d(w, 2 * w, 3, 2, 1), nn.ReLU(inplace=True))
        self.hint3 = nn.Sequential(nn.Conv2d(2 * w, 4 * w, 3, 2, 1), nn.ReLU(inplace=True))
        self.hint4 = nn.Sequential(nn.Conv2d(4 * w, 8 * w, 3, 2, 1), nn.ReLU(inplace=True))
        ch = self.backbone.pyramid_channels()
        self.proj2 = nn.Conv2d(ch[0], 2 * w, 1)
        self.proj3 = nn.Conv2d(ch[1], 4 * w, 1)
        # 1/8 and 1/16 features and the pooled head, as the frozen fusion takes them.
        self.proj4 = nn.Conv2d(ch[2] + ch[3] + HEAD, 8 * w, 1)
        self.norm2, self.norm3, self.norm4 = (nn.BatchNorm2d(c * w) for c in (2, 4, 8))

    def _encode(self, L: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The encoder's features at full, 1/2, 1/4 and 1/8 scale."""
        c1 = self.enc1(x)
        if self.backbone is None:
            c2 = self.enc2(F.max_pool2d(c1, 2))
            c3 = self.enc3(F.max_pool2d(c2, 2))
            return c1, c2, c3, self.enc4(F.max_pool2d(c3, 2))
        (f2, f4, f8, f16), head = self.backbone.pyramid(L)  # type: ignore[operator]
        h2 = self.hint2(c1)
        h3 = self.hint3(h2)
        h4 = self.hint4(h3)
        top = torch.cat(
            [
                f8,
                F.interpolate(f16, size=f8.shape[-2:], mode="nearest"),
                head.mean(dim=(2, 3), keepdim=True).expand(-1, -1, *f8.shape[-2:]),
            ],
            1,
        )
        c2 = self.norm2(F.relu(self.proj2(f2) + h2))
        c3 = self.norm3(F.relu(self.proj3(f4) + h3))
        return c1, c2, c3, self.norm4(F.relu(self.proj4(top) + h4))

    def semantic_features(self, L: torch.Tensor) -> torch.Tensor | None:
        """ImageNet features at 1/8 scale for L (B,1,H,W); cacheable across hint edits."""
        if self.semantic is None:
            return None
        # Gradients flow only when training has unfrozen part of the encoder.
        learns = torch.is_grad_enabled() and any(
            p.requires_grad for p in self.semantic.parameters()
        )
        with torch.set_grad_enabled(learns):
            s8, s16, head = self.semantic(L)
            s16 = F.interpolate(s16, size=s8.shape[-2:], mode="nearest")
            head = head.expand(-1, -1, *s8.shape[-2:])
            return torch.cat([s8, s16, head], 1)

    def semantic_bias(self, sem: torch.Tensor | None) -> torch.Tensor | None:
        """What the ImageNet features add at 1/8 scale; hint-independent, so cacheable too.

        Caching this rather than `sem` saves a 1432->256 projection (and a cast of 1432
        channels) on every interactive update.
        """
        if self.semantic is None or sem is None:
            return None
        return self.sem_fuse(sem)

    #: model.refine can fit this network's last layers to a photo's points.
    refinable: bool = True

    def photo_state(self, L: torch.Tensor) -> torch.Tensor | None:
        """What every edit of this photo reuses: the ImageNet features' bias at 1/8 scale."""
        return self.semantic_bias(self.semantic_features(L))

    def from_state(
        self,
        state: Any,
        L: torch.Tensor,
        local: torch.Tensor,
        glob: torch.Tensor,
        head: nn.Module | None = None,
    ) -> NetOutput:
        """The network's answer for these hints, from photo_state(L)."""
        return self(L, local, glob, sem_bias=state, head=head)

    def forward(
        self,
        L: torch.Tensor,
        local: torch.Tensor,
        glob: torch.Tensor,
        sem: torch.Tensor | None = None,
        prior: torch.Tensor | None = None,
        sem_bias: torch.Tensor | None = None,
        head: nn.Module | None = None,
    ) -> NetOutput:
        """L (B,1,H,W) in 0..100; local (B,3,H,W) from the encoder; glob (B,316).

        `sem`, `sem_bias` (= semantic_bias(sem)) and `prior` may be passed in precomputed;
        the inference service caches `sem_bias` per photo. `head`: a photo's own last
        layers (model.refine) in place of the network's.
        """
        x10, prior, c7, c8 = self.trunk(L, local, glob, sem, prior, sem_bias)
        hyper = torch.cat([c8, F.interpolate(c7, size=c8.shape[-2:], mode="nearest")], 1)
        logits = self.dist(hyper).float()
        return NetOutput(self.head_ab(x10, prior, head), logits)

    def trunk(
        self,
        L: torch.Tensor,
        local: torch.Tensor,
        glob: torch.Tensor,
        sem: torch.Tensor | None = None,
        prior: torch.Tensor | None = None,
        sem_bias: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor]:
        """Everything before the last decoder block: (its input, the hint spread, and the
        1/8- and 1/4-scale features the distribution head reads)."""
        parts = [normalize_l(L), local]
        if self.cfg.prior:
            if prior is None:
                prior = spread_hints(L, local)
            parts.append(prior.to(L.dtype))
        c1, c2, c3, c4 = self._encode(L, torch.cat(parts, 1))
        c4 = c4 + self.global_branch(glob.to(c4.dtype))
        if self.semantic is not None:
            if sem_bias is None:
                if sem is None:
                    sem = self.semantic_features(L)
                sem_bias = self.sem_fuse(sem.to(c4.dtype))  # type: ignore[union-attr]
            c4 = c4 + sem_bias.to(c4.dtype)
        if self.hint_attn is not None:
            c4 = self.hint_attn(c4, local)
        c5 = self.mid5(self.drop(c4))
        c6 = self.mid6(c5)
        c7 = self.mid7(self.drop(c6))
        c8 = self.dec8(F.relu(self.up8(c7) + self.skip8(c3)))
        if self.hint_attn_fine is not None:
            c8 = self.hint_attn_fine(c8, local)
        c9 = self.dec9(F.relu(self.up9(c8) + self.skip9(c2)))
        return F.relu(self.up10(c9) + self.skip10(c1)), prior, c7, c8

    def head_ab(
        self, x10: torch.Tensor, prior: torch.Tensor | None, head: nn.Module | None = None
    ) -> torch.Tensor:
        """The last decoder block and the output layer: ab (B,2,H,W). `head` (a module with
        `dec10` and `out`, as model.refine adapts them) replaces this network's own."""
        dec10, out = (self.dec10, self.out) if head is None else (head.dec10, head.out)
        o = out(dec10(x10)).float()  # type: ignore[operator]
        own = torch.tanh(o[:, :2])
        if self.cfg.prior:
            assert prior is not None
            gate = torch.sigmoid(o[:, 2:3])
            ab = gate * prior[:, :2].float() + (1 - gate) * own
        else:
            ab = own
        return ab * self.cfg.ab_scale
