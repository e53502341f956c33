import numpy as np
import pytest
import torch

from model.colour.bins import (
    N_BINS,
    annealed_mean,
    bin_centers,
    histogram,
    nearest_bin,
    soft_encode,
    top_modes,
)
from model.colour.colorspace import rgb_to_lab
from model.colour.gamut import in_gamut, snap_to_gamut


def test_real_colours_are_in_gamut_and_snap_keeps_them() -> None:
    lab = rgb_to_lab(np.random.default_rng(1).random((200, 3)))
    assert in_gamut(lab[:, 0], lab[:, 1:]).all()
    assert np.allclose(snap_to_gamut(lab[:, 0], lab[:, 1:]), lab[:, 1:])


def test_snap_pulls_out_of_gamut_colours_in_along_their_hue() -> None:
    ab = np.array([[120.0, 120.0], [-100.0, -100.0]])
    assert not in_gamut(50.0, ab).any()
    snapped = snap_to_gamut(50.0, ab)
    assert in_gamut(50.0, snapped * 0.999).all()
    ratio = snapped / ab
    assert np.allclose(ratio[:, 0], ratio[:, 1])  # same hue direction
    assert (ratio > 0).all() and (ratio < 1).all()


def test_313_bins_on_the_grid_covering_every_srgb_colour() -> None:
    c = bin_centers()
    assert c.shape == (N_BINS, 2) == (313, 2)
    assert np.all(c % 10 == 0)
    assert len({tuple(x) for x in c}) == 313
    ab = rgb_to_lab(np.random.default_rng(2).random((5000, 3)))[:, 1:]
    d = np.hypot(*(c[nearest_bin(ab)] - ab).T)
    assert d.max() <= 5 * np.sqrt(2) + 1e-6  # every colour falls in its bin's cell


def test_soft_encoding_and_annealed_mean() -> None:
    ab = torch.tensor([[12.0, -33.0], [0.0, 0.0], [55.0, 60.0]])
    enc = soft_encode(ab)
    assert enc.shape == (3, 313)
    assert torch.allclose(enc.sum(1), torch.ones(3))
    assert ((enc > 0).sum(1) == 5).all()
    assert torch.equal(enc.argmax(1), torch.as_tensor(nearest_bin(ab)))
    # A near one-hot distribution decodes to its bin centre.
    one = torch.full((1, 313), 1e-6)
    one[0, 100] = 1.0
    got = annealed_mean(one, dim=1)
    assert torch.allclose(got[0], torch.from_numpy(bin_centers()[100]), atol=1e-2)
    # Decoding the soft encoding lands near the original colour.
    assert (annealed_mean(enc, dim=1) - ab).abs().max() < 5.0


def test_histogram_and_top_modes() -> None:
    ab = torch.tensor([[20.0, 20.0]] * 7 + [[-40.0, 30.0]] * 3)
    h = histogram(ab)
    assert float(h.sum()) == pytest.approx(1.0)
    p = soft_encode(ab).mean(0).numpy()
    modes = top_modes(p, 2)
    assert len(modes) == 2
    assert np.allclose(modes[0][0], [20, 20], atol=6)
    assert np.allclose(modes[1][0], [-40, 30], atol=6)
    assert modes[0][1] > modes[1][1]
