"""The training losses of the research variants behind one interface.

A criterion maps (network output, true ab, L) to (loss, logged parts). The GAN criterion
also owns the discriminator and its optimiser: each call first takes one discriminator
step on the batch, then returns the generator's loss, so the loop stays the same for all.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from model.device import autocast
from model.hints.encoding import AB_SCALE
from training.config import TrainConfig
from training.losses import colour_loss, rebalanced_ce


class Criterion:
    """(out, ab, L) -> (loss, parts); stateless unless it trains something of its own."""

    def __call__(
        self, out: Any, ab: torch.Tensor, L: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        return None

    def set_lr(self, lr: float) -> None:
        return None


class HuebrushLoss(Criterion):
    """The default network's loss: CE over the bins + smooth-L1 on ab (training.losses)."""

    def __init__(self, cfg: TrainConfig, class_weights: torch.Tensor | None = None) -> None:
        self.cfg = cfg
        self.class_weights = class_weights

    def __call__(
        self, out: Any, ab: torch.Tensor, L: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        c = self.cfg
        return colour_loss(
            out, ab, c.ce_weight, c.reg_weight, c.huber_beta, self.class_weights,
            psnr_weight=c.psnr_weight, L=L,
        )  # fmt: skip


class RegressionLoss(Criterion):
    """L2 (mean squared) or L1 error on ab normalised by 110, as the regression papers use."""

    def __init__(self, kind: str) -> None:
        if kind not in ("l1", "l2"):
            raise ValueError(f"unknown regression loss {kind!r}")
        self.kind = kind

    def __call__(
        self, out: Any, ab: torch.Tensor, L: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        pred, true = out.ab.float() / AB_SCALE, ab.float() / AB_SCALE
        loss = F.mse_loss(pred, true) if self.kind == "l2" else F.l1_loss(pred, true)
        # Logged in ab units (mean absolute error) whatever the loss, to compare runs.
        mae = float((pred - true).abs().mean().detach()) * AB_SCALE
        return loss, {self.kind: float(loss.detach()), "mae_ab": mae}


class ClassLoss(Criterion):
    """Zhang et al. 2016: soft-encoded (5 nearest bins, sigma 5) CE, rebalanced."""

    def __init__(self, class_weights: torch.Tensor | None = None) -> None:
        self.class_weights = class_weights

    def __call__(
        self, out: Any, ab: torch.Tensor, L: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        ce = rebalanced_ce(out.logits, ab, self.class_weights)
        return ce, {"ce": float(ce.detach())}


class GanLoss(Criterion):
    """pix2pix: conditional PatchGAN on (L, ab) + gan_l1_weight x L1 on normalised ab.

    Vanilla GAN objective (BCE on logits); the discriminator's loss is halved as in the
    paper; Adam with beta1 = 0.5 for it (and the loop uses the same for the generator).
    """

    def __init__(self, cfg: TrainConfig, device: torch.device) -> None:
        from training.variants.pix2pix import PatchDiscriminator

        self.cfg = cfg
        self.device = device
        self.disc = PatchDiscriminator(cfg.disc_width, cfg.disc_layers).to(device)
        if cfg.channels_last:
            self.disc = self.disc.to(memory_format=torch.channels_last)
        self.opt = torch.optim.Adam(self.disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))

    def _d(self, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.cfg.bf16):
            return self.disc(L, ab, AB_SCALE).float()

    def __call__(
        self, out: Any, ab: torch.Tensor, L: torch.Tensor
    ) -> tuple[torch.Tensor, dict[str, float]]:
        fake, real = out.ab.float(), ab.float()
        bce = F.binary_cross_entropy_with_logits
        # Discriminator step on this batch (the generator's graph is not touched).
        self.disc.train()
        self.disc.requires_grad_(True)
        d_real, d_fake = self._d(L, real), self._d(L, fake.detach())
        loss_d = 0.5 * (
            bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        )
        self.opt.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt.step()
        # Generator: fool the updated discriminator and stay close to the truth (L1).
        self.disc.requires_grad_(False)
        g_fake = self._d(L, fake)
        adv = bce(g_fake, torch.ones_like(g_fake))
        l1 = F.l1_loss(fake / AB_SCALE, real / AB_SCALE)
        total = adv + self.cfg.gan_l1_weight * l1
        return total, {
            "adv": float(adv.detach()),
            "l1": float(l1.detach()),
            "d": float(loss_d.detach()),
            "mae_ab": float(l1.detach()) * AB_SCALE,
        }

    def state_dict(self) -> dict[str, Any]:
        return {"disc": self.disc.state_dict(), "disc_opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.disc.load_state_dict(state["disc"])
        self.opt.load_state_dict(state["disc_opt"])

    def set_lr(self, lr: float) -> None:
        for grp in self.opt.param_groups:
            grp["lr"] = lr


def make_criterion(
    cfg: TrainConfig, device: torch.device, class_weights: torch.Tensor | None = None
) -> Criterion:
    """The criterion for cfg.loss (class_weights: the rebalancing weights, mixed already)."""
    if cfg.loss == "huebrush":
        return HuebrushLoss(cfg, class_weights)
    if cfg.loss == "ce":
        return ClassLoss(class_weights)
    if cfg.loss in ("l1", "l2"):
        return RegressionLoss(cfg.loss)
    if cfg.loss == "gan":
        return GanLoss(cfg, device)
    raise ValueError(f"unknown loss {cfg.loss!r}")


def mixed_weights(weights: torch.Tensor, amount: float) -> torch.Tensor:
    """1 + amount (w - 1): amount 0 = plain CE, 1 = Zhang et al.'s weights (mean 1 kept)."""
    return 1.0 + amount * (weights.float() - 1.0)


def optimizer_betas(cfg: TrainConfig) -> tuple[float, float]:
    """pix2pix trains its generator with beta1 = 0.5; everything else with Adam's default."""
    return (0.5, 0.999) if cfg.loss == "gan" else (0.9, 0.999)
