import numpy as np
import pytest
import torch

from model.colour.bins import bin_centers
from model.hints.document import Hints, PaletteColor, Point
from model.hints.encoding import (
    AB_SCALE,
    GLOBAL_DIM,
    ab_histogram,
    encode_global,
    encode_hints,
    encode_points,
    hsv_saturation,
    kmeans_palette,
    patch_span,
    point_at_patch,
)


@pytest.mark.parametrize("size", range(1, 10))
def test_point_at_patch_encodes_exactly_that_patch(size: int) -> None:
    h, w = 40, 56
    top, left = 7, 33
    p = point_at_patch(top, left, size, h, w, (10.0, -20.0))
    planes = encode_points([p], h, w)
    ys, xs = np.nonzero(planes[2].numpy())
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (top, top + size - 1, left, left + size - 1)
    assert torch.allclose(planes[0][planes[2] > 0], torch.tensor(10.0 / AB_SCALE))
    assert torch.allclose(planes[1][planes[2] > 0], torch.tensor(-20.0 / AB_SCALE))


def test_points_are_resolution_independent_and_clipped_at_borders() -> None:
    p = Point(0.5, 0.25, (5.0, 5.0), 4)
    small = encode_points([p], 32, 32)[2]
    big = encode_points([p], 64, 64)[2]
    assert small.sum() == 16 and big.sum() == 16
    assert np.argwhere(small.numpy()).mean(0) * 2 == pytest.approx(
        np.argwhere(big.numpy()).mean(0), abs=1.5
    )
    corner = encode_points([Point(0.0, 1.0, (1.0, 1.0), 9)], 20, 20)[2]
    assert corner.sum() == 5 * 5  # half the patch falls outside on each axis
    assert patch_span(1.0, 3, 10) == (8, 10)


def test_later_points_cover_earlier_ones() -> None:
    a = Point(0.5, 0.5, (50.0, 0.0), 5)
    b = Point(0.5, 0.5, (-50.0, 0.0), 3)
    planes = encode_points([a, b], 21, 21)
    assert planes[0, 10, 10] == pytest.approx(-50.0 / AB_SCALE)
    assert planes[0, 8, 8] == pytest.approx(50.0 / AB_SCALE)


def test_global_vector_flags() -> None:
    empty = encode_global((), None)
    assert empty.shape == (GLOBAL_DIM,) and float(empty.abs().sum()) == 0.0
    g = encode_global((PaletteColor((20.0, 30.0), 2.0), PaletteColor((-10.0, 0.0), 1.0)), 0.3)
    assert float(g[:313].sum()) == pytest.approx(1.0)
    assert g[313] == 1.0 and g[314] == pytest.approx(0.3) and g[315] == 1.0
    sat_only = encode_global((), 0.0)
    assert float(sat_only[:314].sum()) == 0.0 and sat_only[315] == 1.0
    _, glob = encode_hints(Hints(palette=(PaletteColor((0.0, 40.0), 0.0),)), 8, 8)
    assert glob[313] == 0.0  # a palette whose weights are all zero is no hint


def test_saturation_and_kmeans() -> None:
    rgb = torch.zeros(3, 4, 4)
    rgb[0] = 1.0  # pure red: saturation 1
    assert float(hsv_saturation(rgb)) == pytest.approx(1.0)
    assert float(hsv_saturation(torch.full((3, 4, 4), 0.5))) == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    ab = np.concatenate([rng.normal((30, 30), 2, (300, 2)), rng.normal((-40, 10), 2, (100, 2))])
    pal = kmeans_palette(ab, 2, np.random.default_rng(1))
    assert pal[0].weight == pytest.approx(0.75, abs=0.01)
    assert np.allclose(pal[0].ab, (30, 30), atol=1.0)
    assert np.allclose(pal[1].ab, (-40, 10), atol=1.0)


def test_a_palette_of_vivid_colours_gets_a_typical_photos_grey_share() -> None:
    from model.hints.encoding import (
        COMPLETE_BELOW,
        COMPLETE_COLOURS,
        NEUTRAL_CHROMA,
        NEUTRAL_SHARE,
        palette_histogram,
    )

    grey_bins = torch.from_numpy(np.hypot(*bin_centers().T) < NEUTRAL_CHROMA)
    vivid = (PaletteColor((60.0, 40.0), 1.0), PaletteColor((-30.0, -40.0), 1.0))
    hist = palette_histogram(vivid)
    assert float(hist.sum()) == pytest.approx(1.0)
    assert float(hist[grey_bins].sum()) == pytest.approx(NEUTRAL_SHARE, abs=1e-4)
    # The vivid colours keep their proportions in the rest.
    plain = ab_histogram(torch.tensor([c.ab for c in vivid]))
    assert torch.allclose(hist[~grey_bins], plain[~grey_bins] * (1 - NEUTRAL_SHARE), atol=1e-6)
    # A palette holding a near-grey colour describes the whole photo and is taken as it is,
    # as is one already grey enough; a grey colour of weight 0 does not count.
    whole = (*vivid, PaletteColor((2.0, COMPLETE_BELOW - 4.0), 0.5))
    assert torch.allclose(
        palette_histogram(whole),
        ab_histogram(torch.tensor([c.ab for c in whole]), torch.tensor([c.weight for c in whole])),
    )
    many = tuple(PaletteColor((60.0 - 10 * i, 40.0), 1.0) for i in range(COMPLETE_COLOURS))
    assert torch.allclose(palette_histogram(many), ab_histogram(torch.tensor([c.ab for c in many])))
    muted = (PaletteColor((8.0, 12.0), 1.0),)  # chroma 14.4, most of it grey
    assert torch.allclose(palette_histogram(muted), ab_histogram(torch.tensor([(8.0, 12.0)])))
    unused_grey = (*vivid, PaletteColor((0.0, 0.0), 0.0))
    assert float(palette_histogram(unused_grey)[grey_bins].sum()) == pytest.approx(
        NEUTRAL_SHARE, abs=1e-4
    )
