"""sRGB <-> CIELAB (D65, 2 degree observer), one implementation for numpy and torch.

Arrays are channel-last (..., 3); sRGB is in 0..1, L in 0..100, a/b roughly -110..110.
The maths is written once against a tiny shim so numpy and torch results cannot drift apart.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import torch

Array = TypeVar("Array", np.ndarray, torch.Tensor)

# sRGB primaries to XYZ (D65), as used by scikit-image.
_RGB2XYZ = np.array(
    [
        [0.412453, 0.357580, 0.180423],
        [0.212671, 0.715160, 0.072169],
        [0.019334, 0.119193, 0.950227],
    ]
)
_XYZ2RGB = np.linalg.inv(_RGB2XYZ)
_WHITE = np.array([0.95047, 1.0, 1.08883])  # D65 reference white
# scikit-image's rounded CIE constants, so results agree with it to ~1e-6.
_EPS = 0.008856
_SLOPE = 7.787
_F_EPS = 0.2068966  # cube root of _EPS
# Public for code that specialises the conversion (the GUI's per-photo preview).
WHITE_D65, LAB_F_KNEE, LAB_F_SLOPE = _WHITE, _F_EPS, _SLOPE


def _is_torch(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def _matmul(x: Any, m: np.ndarray) -> Any:
    if _is_torch(x):
        return x @ torch.as_tensor(m.T, dtype=x.dtype, device=x.device)
    return x @ m.T


def _const(x: Any, v: np.ndarray) -> Any:
    if _is_torch(x):
        return torch.as_tensor(v, dtype=x.dtype, device=x.device)
    return v.astype(x.dtype, copy=False)


def _where(c: Any, a: Any, b: Any) -> Any:
    return torch.where(c, a, b) if _is_torch(c) else np.where(c, a, b)


def _clip_min(x: Any, lo: float) -> Any:
    return x.clamp_min(lo) if _is_torch(x) else np.maximum(x, lo)


def _stack(parts: list[Any]) -> Any:
    return torch.stack(parts, dim=-1) if _is_torch(parts[0]) else np.stack(parts, axis=-1)


def _float(x: Any) -> Any:
    if _is_torch(x):
        return x if x.is_floating_point() else x.float()
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def srgb_to_linear(rgb: Array) -> Array:
    """Undo the sRGB transfer curve."""
    rgb = _float(rgb)
    return _where(rgb > 0.04045, ((_clip_min(rgb, 0.04045) + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def linear_to_srgb(lin: Array) -> Array:
    """Apply the sRGB transfer curve (input clipped below at 0)."""
    lin = _clip_min(_float(lin), 0.0)
    return _where(
        lin > 0.0031308, 1.055 * _clip_min(lin, 0.0031308) ** (1.0 / 2.4) - 0.055, lin * 12.92
    )


def rgb_to_lab(rgb: Array) -> Array:
    """sRGB (0..1, channel-last) to CIELAB."""
    xyz = _matmul(srgb_to_linear(rgb), _RGB2XYZ) / _const(_float(rgb), _WHITE)
    f = _where(xyz > _EPS, _clip_min(xyz, _EPS) ** (1.0 / 3.0), _SLOPE * xyz + 16.0 / 116.0)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return _stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)])


def lab_to_xyz(lab: Array) -> Array:
    """CIELAB to XYZ (relative to D65 white)."""
    lab = _float(lab)
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = fy - b / 200.0
    f = _stack([fx, fy, fz])
    # fz can go negative for very blue colours; the linear branch handles it like skimage.
    xyz = _where(f > _F_EPS, f**3, (f - 16.0 / 116.0) / _SLOPE)
    return xyz * _const(lab, _WHITE)


def lab_to_linear(lab: Array) -> Array:
    """CIELAB to linear-light sRGB, unclipped (gamut tests need no transfer curve)."""
    return _matmul(lab_to_xyz(lab), _XYZ2RGB)


def lab_to_rgb_unclipped(lab: Array) -> Array:
    """CIELAB to sRGB without clipping (out-of-gamut values fall outside 0..1)."""
    lin = _matmul(lab_to_xyz(lab), _XYZ2RGB)
    # Keep the sign so gamut tests can see negative channels.
    neg = lin < 0
    return _where(neg, lin * 12.92, linear_to_srgb(lin))


def lab_to_rgb(lab: Array) -> Array:
    """CIELAB to sRGB, clipped to 0..1."""
    rgb = lab_to_rgb_unclipped(lab)
    return rgb.clamp(0.0, 1.0) if isinstance(rgb, torch.Tensor) else np.clip(rgb, 0.0, 1.0)


def rgb_to_l(rgb: Array) -> Array:
    """Lightness only (0..100); cheaper than a full conversion."""
    lin = srgb_to_linear(rgb)
    y = lin[..., 0] * _RGB2XYZ[1, 0] + lin[..., 1] * _RGB2XYZ[1, 1] + lin[..., 2] * _RGB2XYZ[1, 2]
    fy = _where(y > _EPS, _clip_min(y, _EPS) ** (1.0 / 3.0), _SLOPE * y + 16.0 / 116.0)
    return 116.0 * fy - 16.0


def hex_to_rgb(text: str) -> tuple[float, float, float]:
    """'#rrggbb' (or 'rrggbb', '#rgb') to an sRGB triple in 0..1."""
    s = text.strip().lstrip("#")
    if len(s) == 3:
        s = "".join(c * 2 for c in s)
    if len(s) != 6 or any(c not in "0123456789abcdefABCDEF" for c in s):
        raise ValueError(f"not a hex colour: {text!r}")
    return tuple(int(s[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


def hex_to_ab(text: str) -> tuple[float, float]:
    """The CIELAB ab of a hex colour (its lightness is dropped)."""
    lab = rgb_to_lab(np.asarray(hex_to_rgb(text), dtype=np.float64))
    return float(lab[1]), float(lab[2])
