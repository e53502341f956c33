import torch

from model.network.propagate import spread_hints


def test_spread_fills_a_region_but_stops_at_an_edge() -> None:
    L = torch.full((1, 1, 64, 64), 30.0)
    L[..., 32:] = 80.0  # a strong edge down the middle
    local = torch.zeros(1, 3, 64, 64)
    local[0, 0, 10:14, 10:14] = 0.5
    local[0, 2, 10:14, 10:14] = 1.0
    out = spread_hints(L, local)
    assert out.shape == (1, 3, 64, 64)
    left, right = out[0, :, :, 4:28], out[0, :, :, 36:60]
    assert torch.allclose(left[0], torch.tensor(0.5), atol=0.05)  # colour carried over its region
    assert left[2].mean() > 2 * right[2].mean()  # confidence drops across the edge


def test_no_hints_no_spread() -> None:
    out = spread_hints(torch.rand(2, 1, 32, 32) * 100, torch.zeros(2, 3, 32, 32))
    assert float(out.abs().sum()) == 0.0


def _reference_pass(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    # The textbook sequential recursive filter the scan must reproduce.
    out = x.clone()
    for i in range(1, x.shape[0]):
        out[i] = out[i] + w[i] * (out[i - 1] - out[i])
    for i in range(x.shape[0] - 2, -1, -1):
        out[i] = out[i] + w[i + 1] * (out[i + 1] - out[i])
    return out


def test_scan_matches_the_sequential_filter() -> None:
    from model.network.propagate import _recursive_pass

    g = torch.Generator().manual_seed(0)
    for n in (1, 2, 7, 64, 129):
        x = torch.rand(n, 2, 3, 5, generator=g)
        # Include couplings near 0 (strong edges) and near 1 (flat regions).
        w = torch.rand(n, 2, 1, 5, generator=g) ** 3
        w[n // 2 :] = 1 - w[n // 2 :] * 0.01
        assert torch.allclose(_recursive_pass(x, w), _reference_pass(x, w), atol=1e-5)
