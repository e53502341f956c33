"""Training configuration: one dataclass, overridable from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from model.network.config import JsonConfig, NetConfig
from model.network.registry import (
    DEFAULT_ARCH,
    arch_config,
    arch_names,
    get_arch,
)

# Losses: "huebrush" = CE over 313 bins + smooth-L1 on ab (the default network's own);
# "l2"/"l1" = regression on ab; "ce" = soft-encoded cross-entropy over the bins (Zhang et al.
# 2016); "gan" = pix2pix's conditional GAN + L1 (training.variant_losses).
LOSSES = ("huebrush", "l2", "l1", "ce", "gan")
_CE_LOSSES = ("huebrush", "ce")


@dataclass
class TrainConfig(JsonConfig):
    """Everything that defines a training run; saved as config.json beside the run."""

    config_label: ClassVar[str] = "training config"

    data: str = ""
    val: str = ""
    out: str = "runs/default"
    init: str = ""  # start from these weights (e.g. the shipped ones) instead of scratch
    arch: str = DEFAULT_ARCH  # huebrush (the interactive net) or a research variant
    loss: str = "huebrush"
    net: JsonConfig = field(default_factory=NetConfig)  # the config class of `arch`
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
    # Weight of minus the per-photo PSNR (dB, sRGB) in the loss: the validation's own mean,
    # which weights muted photos as much as colourful ones.
    psnr_weight: float = 0.0
    rebalance: float = 0.0  # 0 = plain CE; >0 mixes the class-rebalancing weights in
    rebalance_lambda: float = 0.5  # share of the uniform distribution in the mixed prior
    rebalance_sigma: float = 5.0  # Gaussian smoothing of the empirical prior, ab units
    rebalance_prior: str = ""  # reuse this colour_prior.json instead of scanning the data
    gan_l1_weight: float = 100.0  # pix2pix's lambda for the L1 term
    disc_width: int = 32  # PatchGAN first-layer channels (the paper's 64, halved as G is)
    disc_layers: int = 3  # 3 = the 70x70 PatchGAN
    p_point_gauss: float = 0.75  # share of simulated points placed around the centre
    p_points_geom: float = 0.125  # geometric parameter of the number of points
    p_points_many: float = 0.0  # share of samples with 10-100 points (log-uniform) instead
    p_hist: float = 0.2
    p_hist_palette: float = 0.5  # when a histogram is given, share from a k-means palette
    p_saturation: float = 0.2
    # Share of crops whose lightness gets a random tone curve (ab kept): against memorising
    # the training photos (their PSNR runs 1-1.7 dB above unseen photos'; docs/quality.md).
    p_tone: float = 0.0
    # Share of crops whose lightness is made to look like an old print (blur, fade, grain;
    # ab kept), against the warm fallback tint on historical photos: judge it by
    # `python -m training.cast` as well as PSNR.
    p_degrade: float = 0.0
    # Share of samples with at least data.HUE_MIN_POINTS points whose ab (and points) are
    # turned by a random hue angle, global hint dropped: against trusting memorised colours
    # over the user's points.
    p_hue: float = 0.0
    # Last EfficientNet blocks (and its head) trained, at semantic_lr times the schedule's
    # lr; 0 keeps the ImageNet encoder frozen.
    semantic_blocks: int = 0
    semantic_lr: float = 0.2
    # lr scale of the hint attention block (net.hint_attn): grown fresh onto a trained
    # release, it would barely move at a fine-tuning lr. From scratch, 1 is the safer choice.
    attn_lr: float = 10.0
    # Comma-separated module names (e.g. "hint_attn_fine"): only their weights learn, the
    # rest stays as loaded, batch-norm statistics included. For growing a block onto a
    # release without moving (and re-rounding, once exported) what it already does.
    train_only: str = ""
    # Decay of an exponential moving average of the weights (training.ema), 0 = none. When
    # set, validation scores the average beside the raw weights, and the average is what the
    # run saves as best and final.
    ema: float = 0.0
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
    # With max_minutes: the cosine decay also runs on the clock (whichever of steps and
    # minutes is further along), so a time-boxed run ends decayed even where its throughput
    # was guessed wrong.
    decay_by_time: bool = False

    def __post_init__(self) -> None:
        cls = get_arch(self.arch).config
        if not isinstance(self.net, cls):
            raise ValueError(
                f"arch {self.arch!r} needs a {cls.__name__} as net, got {type(self.net).__name__}"
            )
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r} (one of {', '.join(LOSSES)})")
        if self.loss in _CE_LOSSES and not get_arch(self.arch).distribution:
            raise ValueError(
                f"loss {self.loss!r} needs a distribution head; {self.arch!r} has none"
            )
        if self.arch == "class" and self.loss != "ce":
            raise ValueError("arch 'class' trains with loss 'ce' only")
        if self.rebalance and self.loss not in _CE_LOSSES:
            raise ValueError(f"rebalance applies to the CE losses, not {self.loss!r}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"ema is a decay in [0, 1), got {self.ema}")
        if self.decay_by_time and self.max_minutes <= 0:
            raise ValueError("decay_by_time needs max_minutes")
        if self.semantic_blocks and getattr(self.net, "semantic", "none") != "effnet":
            raise ValueError("semantic_blocks needs a network with the EfficientNet encoder")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["val_points"] = list(self.val_points)
        return d

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n")

    @classmethod
    def parse_fields(cls, d: dict[str, Any]) -> dict[str, Any]:
        if isinstance(d.get("net"), dict):
            d["net"] = arch_config(d.get("arch", DEFAULT_ARCH), d["net"])
        if "val_points" in d:
            d["val_points"] = tuple(int(x) for x in d["val_points"])
        return d


def with_arch(cfg: TrainConfig, arch: str) -> TrainConfig:
    """cfg switched to another architecture: its default network config and the training
    settings it registered (model.network.registry: its paper's loss, for one). Keys that
    any architecture sets are reset to their defaults first. The same architecture again
    changes nothing (so a resumed run keeps its settings).
    """
    if arch == cfg.arch:
        return cfg
    entry = get_arch(arch)
    d = cfg.to_dict()
    defaults = TrainConfig().to_dict()
    for name in arch_names():
        for key in get_arch(name).training_defaults:
            d[key] = defaults[key]
    d.update(entry.training_defaults, arch=arch, net=asdict(entry.config()))
    return TrainConfig.from_dict(d)


def apply_overrides(cfg: TrainConfig, overrides: list[str]) -> TrainConfig:
    """Apply `key=value` strings (`net.width=16` for the network); unknown keys are errors.

    `arch=NAME` is applied first wherever it stands, so `net.*` keys refer to that
    architecture's config and its preset (e.g. loss) can still be overridden.
    """
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"override {item!r} is not key=value")
    archs = [item.split("=", 1)[1] for item in overrides if item.split("=", 1)[0] == "arch"]
    if archs:
        cfg = with_arch(cfg, archs[-1])
    d = cfg.to_dict()
    for item in overrides:
        key, raw = item.split("=", 1)
        if key == "arch":
            continue
        target, name = d, key
        if key.startswith("net."):
            target, name = d["net"], key[4:]
        if name not in target:
            raise ValueError(f"unknown config key {key!r}")
        target[name] = parse_value(raw, target[name])
    return TrainConfig.from_dict(d)


_PATH_KEYS = ("data", "val", "out")  # given as --data/--val/--out, not as overrides


def to_overrides(d: dict[str, Any]) -> list[str]:
    """The `key=value` overrides that rebuild config dict `d` from the defaults of its arch.

    The inverse of apply_overrides (tested as such), used to print a run's command line.
    """
    cfg = TrainConfig.from_dict(d)
    base = with_arch(TrainConfig(), cfg.arch).to_dict()
    now = cfg.to_dict()
    out = [f"arch={cfg.arch}"] if cfg.arch != DEFAULT_ARCH else []
    for key, value in now.items():
        if key in _PATH_KEYS or key == "arch":
            continue
        if key == "net":
            out += [f"net.{k}={_show(v)}" for k, v in value.items() if base["net"].get(k) != v]
        elif base[key] != value:
            out.append(f"{key}={_show(value)}")
    return out


def _show(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list | tuple):
        return ",".join(str(x) for x in v)
    return str(v)


def parse_value(raw: str, current: Any) -> Any:
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
