"""The app's weights file of the per-edit network: the trunk's release weights with a
trained decoder.

    python -m training.edit.export --weights RELEASE.safetensors --run runs/edit1 \\
        [--step N] --out resources/weights/huebrush-edit.safetensors
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from model.network.edit import EditNet, EditNetConfig
from model.network.weights import load_network, save_weights
from training.edit.train import CKPT, head_config


def build(weights: str | Path, head_state: dict[str, torch.Tensor]) -> EditNet:
    """EditNet with the trunk from `weights` (a U-Net file) and this decoder state."""
    unet = load_network(weights)
    d = unet.cfg.to_dict()
    net = EditNet(EditNetConfig(**d, edit=head_config(unet.cfg.width)))
    missing, unexpected = net.load_state_dict(unet.state_dict(), strict=False)
    assert not unexpected and all(k.startswith("edit.") for k in missing)
    net.edit.load_state_dict(head_state)
    return net.eval()


def head_state(run: Path, step: int | None = None) -> dict[str, torch.Tensor]:
    """The decoder's weights at a validated step of a run, or at its last checkpoint."""
    if step is not None:
        state: dict[str, torch.Tensor] = torch.load(run / f"head_{step}.pt", weights_only=True)
        return state
    # The run's own checkpoint (optimiser state too), written by training.edit.train.
    return dict(torch.load(run / CKPT, weights_only=False)["head"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Write the per-edit network's weights file.")
    ap.add_argument("--weights", required=True, help="the trunk's U-Net weights (the release)")
    ap.add_argument("--run", required=True, help="the decoder's run folder")
    ap.add_argument("--step", type=int, help="a validated step (default: the last checkpoint)")
    ap.add_argument("--out", required=True)
    ap.add_argument(
        "--standalone",
        action="store_true",
        help="store the trunk too (default: only the decoder, naming the trunk's file, which "
        "must then stay beside it)",
    )
    a = ap.parse_args(argv)
    net = build(a.weights, head_state(Path(a.run), a.step))
    trunk = None if a.standalone else Path(a.weights)
    if trunk is not None and trunk.resolve().parent != Path(a.out).resolve().parent:
        raise SystemExit("--out must be in the trunk's folder (or give --standalone)")
    save_weights(net, a.out, int8=a.standalone, imagenet_from_wheel=True, trunk=trunk)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
