"""The network and its losses run on a device other than the CPU (CI has no GPU).

PyTorch's `meta` device stands in for CUDA: it computes shapes only, and like CUDA it refuses
to mix its tensors with CPU ones, so a tensor built without `device=` inside a forward or a
loss fails here as it would on a GPU. Its tensors have no values, so the few value reads the
network makes (is there any hint? how many hinted cells?) are answered with fixed numbers.
"""

from __future__ import annotations

import pytest
import torch

from model.hints.encoding import GLOBAL_DIM
from model.network.config import NetConfig
from training.config import TrainConfig
from training.loop import build_model
from training.variant_losses import make_criterion


@pytest.fixture
def meta_values(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("__bool__", True), ("__float__", 1.0), ("__int__", 3), ("item", 1.0)):
        real = getattr(torch.Tensor, name)

        def read(t: torch.Tensor, _real=real, _value=value):  # type: ignore[no-untyped-def]
            return _value if t.device.type == "meta" else _real(t)

        monkeypatch.setattr(torch.Tensor, name, read)


@pytest.mark.usefixtures("meta_values")
@pytest.mark.parametrize(("semantic", "hint_attn"), [("none", False), ("effnet", True)])
def test_training_step_stays_on_the_device(semantic: str, hint_attn: bool) -> None:
    net_cfg = NetConfig(width=8, semantic=semantic, hint_attn=hint_attn, dropout=0.1)
    cfg = TrainConfig(net=net_cfg)
    dev = torch.device("meta")
    net = build_model(cfg).to(dev).to(memory_format=torch.channels_last).train()
    L, local = torch.rand(2, 1, 64, 64, device=dev), torch.rand(2, 3, 64, 64, device=dev)
    glob, ab = torch.rand(2, GLOBAL_DIM, device=dev), torch.rand(2, 2, 64, 64, device=dev)
    out = net(L, local, glob)
    assert out.ab.device == dev and out.ab.shape == (2, 2, 64, 64)
    loss, _ = make_criterion(cfg, dev, torch.ones(313, device=dev))(out, ab, L)
    loss.backward()
    assert all(p.grad is None or p.grad.device == dev for p in net.parameters())
    with torch.inference_mode():
        assert net.eval()(L, local, glob).logits.device == dev


def test_a_cpu_tensor_in_a_meta_forward_is_refused() -> None:
    # The premise: mixing devices fails on meta as on CUDA.
    with pytest.raises(RuntimeError):
        torch.rand(2, 3, device="meta") + torch.rand(2, 3)
