"""Int8 storage for convolution weights: symmetric, one scale per output channel.

Only the release file uses it, to keep the weights shipped in git small; the network always
runs on float weights rebuilt at load time. Measured on the default weights (100 validation
photos, 0/1/5/10/50 points): int8 for the trained layers moves PSNR by at most 0.005 dB;
int8 for the frozen EfficientNet too costs 0.04 dB at 0-5 points, so it stays fp16.
"""

from __future__ import annotations

import torch

# A quantized tensor `k` is stored as int8 under `k` plus its float32 scales under `k + SCALE`.
SCALE = ".int8_scale"
# Smaller kernels (and all 1-D tensors: biases, norms) stay float: they are a rounding error of
# the file size, so there is nothing to gain from risking their precision.
MIN_ELEMENTS = 1024


def quantizable(t: torch.Tensor) -> bool:
    """Conv kernels big enough for int8 storage to matter."""
    return t.is_floating_point() and t.dim() == 4 and t.numel() >= MIN_ELEMENTS


def quantize(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 values, float32 per-output-channel scales) with t ≈ values * scales."""
    flat = t.detach().float().reshape(t.shape[0], -1)
    scale = flat.abs().amax(dim=1) / 127.0
    # An all-zero channel gets scale 1 (any scale reproduces it); 0 would divide by zero.
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(flat / scale[:, None]).clamp(-127, 127).to(torch.int8)
    return q.reshape(t.shape), scale


def dequantize(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """Float32 tensor from int8 values and per-output-channel scales."""
    return q.float() * scale.float().reshape(-1, *([1] * (q.dim() - 1)))


def pack(sd: dict[str, torch.Tensor], keep_float: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
    """A state dict with its large conv kernels replaced by int8 values and scales.

    Tensors whose names start with one of `keep_float` stay as they are.
    """
    out: dict[str, torch.Tensor] = {}
    for k, v in sd.items():
        if quantizable(v) and not k.startswith(keep_float):
            out[k], out[k + SCALE] = quantize(v)
        else:
            out[k] = v
    return out


def unpack(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Undo pack(): float tensors again; a dict without int8 entries comes back unchanged."""
    out: dict[str, torch.Tensor] = {}
    for k, v in sd.items():
        if k.endswith(SCALE):
            continue
        scale = sd.get(k + SCALE)
        if scale is not None:
            if v.dtype != torch.int8 or scale.numel() != v.shape[0]:
                raise ValueError(f"{k}: int8 values and scales do not match")
            out[k] = dequantize(v, scale)
        else:
            out[k] = v
    return out
