"""The decoder's training configuration: one dataclass, `key=value` overrides, saved per run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from model.network.config import JsonConfig
from training.config import parse_value


@dataclass(frozen=True)
class EditTrainConfig(JsonConfig):
    """feat: the features folder (`python -m training.edit.features`); weights: the trunk's
    weights file; val: validation photos; out: the run folder; init: an exported per-edit
    weights file whose decoder a new run starts from (a run folder's own checkpoint wins).

    p_true / p_recolour / p_consistent: shares of samples whose points carry the true colour
    (target: the truth), whose points recolour one segment of the photo (target: that
    segment turned, the rest as the automatic colours), or whose points carry the automatic
    colour itself (target: the automatic colours, unchanged).
    """

    config_label: ClassVar[str] = "edit training config"

    feat: str = ""
    weights: str = ""
    val: str = ""
    out: str = ""
    init: str = ""
    steps: int = 8000
    batch: int = 16
    crop: int = 128
    lr: float = 1e-3
    warmup: int = 200
    weight_decay: float = 0.01
    reg_weight: float = 6.0
    p_true: float = 0.6
    p_recolour: float = 0.25
    p_consistent: float = 0.15
    threads: int = 1
    val_every: int = 1000
    val_limit: int = 60
    ckpt_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if self.crop % 8 or not 32 <= self.crop <= 256:
            raise ValueError("crop must be a multiple of 8 from 32 to 256")
        if min(self.p_true, self.p_recolour, self.p_consistent) < 0:
            raise ValueError("sample shares must not be negative")

    @property
    def kind_shares(self) -> tuple[float, float, float]:
        total = self.p_true + self.p_recolour + self.p_consistent
        return (self.p_true / total, self.p_recolour / total, self.p_consistent / total)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n")


def with_overrides(cfg: EditTrainConfig, items: list[str]) -> EditTrainConfig:
    """`key=value` strings applied to cfg; unknown keys are errors."""
    d = cfg.to_dict()
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ValueError(f"override {item!r} is not key=value")
        if key not in d:
            raise ValueError(f"unknown edit training config key {key!r}")
        d[key] = parse_value(raw, d[key])
    return EditTrainConfig.from_dict(d)
