import numpy as np
import pytest
import torch

from model.colour.colorspace import rgb_to_lab
from model.network.unet import NetOutput
from training.evaluate import psnr, with_ab
from training.losses import colour_loss, photo_psnr_loss


def _labs(rng: np.random.Generator, n: int = 3, size: int = 16) -> torch.Tensor:
    """(n, 3, size, size) CIELAB of smooth random colour photos."""
    rgb = rng.uniform(0.1, 0.9, (n, 4, 4, 3)).repeat(size // 4, 1).repeat(size // 4, 2)
    return torch.from_numpy(rgb_to_lab(rgb.astype(np.float32))).permute(0, 3, 1, 2)


def test_it_is_minus_the_mean_validation_psnr() -> None:
    rng = np.random.default_rng(0)
    lab = _labs(rng)
    L, ab = lab[:, :1], lab[:, 1:]
    pred = ab + torch.from_numpy(rng.normal(0, 6, ab.shape).astype(np.float32))
    truth = [with_ab(lab[i].permute(1, 2, 0).numpy(), ab[i]) for i in range(len(lab))]
    scores = [
        psnr(with_ab(lab[i].permute(1, 2, 0).numpy(), pred[i]), truth[i]) for i in range(len(lab))
    ]
    # The validation rounds to 8 bits; the loss does not, hence the tolerance.
    assert -float(photo_psnr_loss(pred, ab, L)) == pytest.approx(np.mean(scores), abs=0.3)


def test_a_photo_further_off_counts_less_per_pixel() -> None:
    rng = np.random.default_rng(1)
    lab = _labs(rng, 2)
    L, ab = lab[:, :1], lab[:, 1:]
    err = torch.ones_like(ab)
    err[0] *= 2.0  # the first photo is further off, so each of its pixels should count less
    pred = (ab + err).requires_grad_(True)
    photo_psnr_loss(pred, ab, L).backward()
    g = pred.grad.abs().flatten(1).mean(1)
    assert g[0] < g[1]
    # Every gradient points back towards the truth.
    assert (pred.grad * err > 0).float().mean() > 0.9


def test_a_perfect_photo_stops_at_the_floor() -> None:
    lab = _labs(np.random.default_rng(2), 1)
    assert -float(photo_psnr_loss(lab[:, 1:], lab[:, 1:], lab[:, :1])) == pytest.approx(50.0)


def test_colour_loss_adds_the_term_only_when_weighted() -> None:
    rng = np.random.default_rng(3)
    lab = _labs(rng, 2)
    L, ab = lab[:, :1], lab[:, 1:]
    out = NetOutput(ab + 5.0, torch.zeros(2, 313, 4, 4))
    base, parts = colour_loss(out, ab)
    assert "psnr" not in parts
    total, parts = colour_loss(out, ab, psnr_weight=0.5, L=L)
    assert float(total) == pytest.approx(float(base) - 0.5 * parts["psnr"], rel=1e-5)
    with pytest.raises(ValueError, match="needs the lightness"):
        colour_loss(out, ab, psnr_weight=0.5)


def test_the_card_notes_the_term() -> None:
    from model.network.config import NetConfig
    from training.config import TrainConfig
    from training.lineage import stage

    tiny = NetConfig(width=8, semantic="none")
    assert "note" not in stage(TrainConfig(net=tiny).to_dict(), 10, 1.0, {})
    note = stage(TrainConfig(net=tiny, psnr_weight=0.3).to_dict(), 10, 1.0, {})["note"]
    assert note == "minus the per-photo sRGB PSNR (dB) in the loss, x0.3"
