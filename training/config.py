"""Training configuration: one dataclass, overridable from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from model.config import NetConfig


@dataclass
class TrainConfig:
    """Everything that defines a training run; saved as config.json beside the run."""

    data: str = ""
    val: str = ""
    out: str = "runs/default"
    init: str = ""  # start from these weights (e.g. the shipped ones) instead of scratch
    net: NetConfig = field(default_factory=NetConfig)
    crop: int = 128
    crop_scale_min: float = 0.35  # random resized crops cover 35-100% of the photo's area
    batch: int = 32
    lr: float = 3e-4
    weight_decay: float = 1e-5
    warmup_steps: int = 300
    steps: int = 200_000
    lr_decay_steps: int = 200_000  # cosine to 10% over this many steps
    ce_weight: float = 1.0
    reg_weight: float = 1.0
    huber_beta: float = 1.0  # in ab units
    rebalance: float = 0.0  # 0 = plain CE; >0 mixes the class-rebalancing weights in
    p_point_gauss: float = 0.75  # share of simulated points placed around the centre
    p_points_geom: float = 0.125  # geometric parameter of the number of points
    p_hist: float = 0.2
    p_hist_palette: float = 0.5  # when a histogram is given, share from a k-means palette
    p_saturation: float = 0.2
    bf16: bool = True
    channels_last: bool = True
    workers: int = 1
    threads: int = 2
    seed: int = 0
    log_every: int = 20
    val_every: int = 1000
    val_images: int = 100
    val_points: tuple[int, ...] = (0, 1, 5, 10, 50)
    ckpt_every: int = 500
    max_minutes: float = 0.0  # stop after this wall-clock time (0 = no limit)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["val_points"] = list(self.val_points)
        return d

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown training config keys: {sorted(unknown)}")
        d = dict(d)
        if isinstance(d.get("net"), dict):
            d["net"] = NetConfig.from_dict(d["net"])
        if "val_points" in d:
            d["val_points"] = tuple(int(x) for x in d["val_points"])
        return cls(**d)


def apply_overrides(cfg: TrainConfig, overrides: list[str]) -> TrainConfig:
    """Apply `key=value` strings (`net.width=16` for the network); unknown keys are errors."""
    d = cfg.to_dict()
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override {item!r} is not key=value")
        key, raw = item.split("=", 1)
        target, name = d, key
        if key.startswith("net."):
            target, name = d["net"], key[4:]
        if name not in target:
            raise ValueError(f"unknown config key {key!r}")
        target[name] = _parse_value(raw, target[name])
    return TrainConfig.from_dict(d)


def _parse_value(raw: str, current: Any) -> Any:
    if isinstance(current, bool):
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"expected a boolean, got {raw!r}")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, list | tuple):
        return [int(x) for x in raw.split(",") if x]
    return raw
