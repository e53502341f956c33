from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.colour.colorspace import rgb_to_lab
from model.hints.document import Hints, Point
from model.inference import Colorizer, suggestions_at, working_shape
from tests.conftest import photo, tiny_net


@pytest.fixture
def colorizer() -> Colorizer:
    return Colorizer(tiny_net(), device="cpu", working_size=64)


def test_working_shape_multiples_of_32() -> None:
    assert working_shape(256, 256) == (256, 256)
    h, w = working_shape(3000, 4500)
    assert h % 32 == 0 and w % 32 == 0 and abs(w / h - 1.5) < 0.2
    assert working_shape(10, 5000)[0] == 32


def test_colorize_keeps_full_resolution_and_lightness(colorizer: Colorizer) -> None:
    img = photo(90, 130)
    out = colorizer.colorize(img, Hints((Point(0.3, 0.4, (40.0, 20.0), 5),)))
    assert out.shape == (90, 130, 3) and out.dtype == np.uint8
    L_in = rgb_to_lab(img / 255.0)[..., 0]
    L_out = rgb_to_lab(out / 255.0)[..., 0]
    # 8-bit rounding and gamut clipping of saturated colours move L a little at most.
    assert np.median(np.abs(L_in - L_out)) < 0.5


def test_inputs_of_every_kind(colorizer: Colorizer, tmp_path: Path) -> None:
    arr = photo(40, 50)
    p = tmp_path / "in.png"
    Image.fromarray(arr).save(p)
    a = colorizer.colorize(arr)
    b = colorizer.colorize(p)
    c = colorizer.colorize(Image.fromarray(arr))
    assert np.array_equal(a, b) and np.array_equal(b, c)
    grey = colorizer.colorize(arr.mean(-1).astype(np.uint8))
    assert grey.shape == (40, 50, 3)


def test_suggestions_are_ranked_distinct_colours(colorizer: Colorizer) -> None:
    pred = colorizer.predict(colorizer.prepare(photo(64, 64)), Hints())
    sug = suggestions_at(pred, 0.5, 0.5, k=5)
    assert 1 <= len(sug) <= 5
    probs = [p for _, p in sug]
    assert probs == sorted(probs, reverse=True)
    assert all(0.0 <= p <= 1.0 for p in probs)
    abs_ = np.array([ab for ab, _ in sug])
    d = np.hypot(*(abs_[:, None] - abs_[None]).transpose(2, 0, 1))
    assert (d[~np.eye(len(sug), dtype=bool)] >= 10).all()


def test_default_weights_ship_and_load() -> None:
    col = Colorizer.load(device="cpu")
    assert col.weights_path is not None and col.weights_path.is_file()
    net = col.net
    assert net.cfg.width >= 4


@pytest.mark.parametrize("hint_attn", [False, True])
def test_precast_convolutions_change_no_result(hint_attn: bool) -> None:
    import copy
    from dataclasses import replace

    import torch

    from model.device import autocast, autocast_dtype
    from tests.conftest import TINY

    dev = torch.device("cpu")
    if autocast_dtype(dev) is None:
        pytest.skip("no reduced-precision autocast on this CPU")
    net = tiny_net(cfg=replace(TINY, hint_attn=hint_attn))
    if net.hint_attn is not None:  # as after training: the block adds something
        torch.nn.init.normal_(net.hint_attn.out.weight, std=0.1)
    reference = copy.deepcopy(net).eval()
    col = Colorizer(net, device="cpu", working_size=64)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(m.weight.dtype == autocast_dtype(dev) for m in convs)
    prep = col.prepare(photo(64, 64))
    hints = Hints((Point(0.3, 0.4, (40.0, 20.0), 5),))
    got = col.predict(prep, hints)
    from model.hints.encoding import encode_hints

    local, glob = encode_hints(hints, 64, 64)
    with torch.inference_mode(), autocast(dev):
        want = reference(prep.L_work.float(), local[None], glob[None])
    np.testing.assert_allclose(got.ab, want.ab[0].float().permute(1, 2, 0).numpy(), atol=1e-3)
    np.testing.assert_allclose(
        got.probs, torch.softmax(want.logits[0].float(), 0).numpy(), atol=1e-4
    )


@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "want"),
    [(False, False, False), (True, False, True), (False, True, True)],
)
def test_bf16_detection_asks_pytorch_first(monkeypatch, avx512_bf16, amx, want) -> None:
    import torch

    import model.device as device

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    device.cpu_has_bf16.cache_clear()
    try:
        assert device.cpu_has_bf16() is want
        dtype = device.autocast_dtype(torch.device("cpu"))
        assert dtype == (torch.bfloat16 if want else None)
    finally:
        monkeypatch.undo()
        device.cpu_has_bf16.cache_clear()


def test_bf16_detection_falls_back_to_cpuinfo(monkeypatch, tmp_path) -> None:
    import torch

    import model.device as device

    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
    fake = tmp_path / "cpuinfo"
    fake.write_text("flags\t\t: fpu sse avx2 avx512f avx512_bf16\n")
    real_path = device.Path
    monkeypatch.setattr(device, "Path", lambda p: fake if p == "/proc/cpuinfo" else real_path(p))
    device.cpu_has_bf16.cache_clear()
    try:
        assert device.cpu_has_bf16() is True
        fake.write_text("flags\t\t: fpu sse avx2\n")
        device.cpu_has_bf16.cache_clear()
        assert device.cpu_has_bf16() is False
    finally:
        monkeypatch.undo()
        device.cpu_has_bf16.cache_clear()
