"""The one registry of network architectures: every network class registers itself here.

A class takes its config dataclass as its only argument and is registered with a decorator::

    @register_arch("huebrush", config=NetConfig, reads_hints=True, distribution=True)
    class ColorNet(nn.Module): ...

A weights file stores the config's JSON and the architecture's name in its header, so the
loader (model.network.weights.load_any) rebuilds any registered architecture from the file
alone. The app's network registers when model.network.unet is imported; the research
variants register when training imports them (training.variants).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from torch import nn

    from model.network.config import JsonConfig

DEFAULT_ARCH = "huebrush"

T = TypeVar("T", bound=type)


@dataclass(frozen=True)
class Arch:
    """A registered architecture.

    net: the network class, built as net(config). config: its JsonConfig dataclass.
    reads_hints: the network takes the user's points and palette (the others colour alone).
    distribution: it predicts the 313-bin ab distribution (`.logits`) the CE losses need.
    training_defaults: training settings it trains with unless told otherwise (its paper's
    loss, for one), as `key=value` overrides of the training config would set them.
    """

    name: str
    net: type
    config: type[JsonConfig]
    reads_hints: bool = False
    distribution: bool = False
    training_defaults: Mapping[str, Any] = field(default_factory=dict)


_ARCHS: dict[str, Arch] = {}


def register_arch(
    name: str,
    *,
    config: type[JsonConfig],
    reads_hints: bool = False,
    distribution: bool = False,
    training_defaults: Mapping[str, Any] | None = None,
) -> Callable[[T], T]:
    """Class decorator: register a network class under `name` (also set as its `arch`)."""

    def register(cls: T) -> T:
        known = _ARCHS.get(name)
        if known is not None and known.net.__qualname__ != cls.__qualname__:
            raise ValueError(f"architecture {name!r} is already registered ({known.net})")
        defaults = MappingProxyType(dict(training_defaults or {}))
        _ARCHS[name] = Arch(name, cls, config, reads_hints, distribution, defaults)
        cls.arch = name  # type: ignore[attr-defined]
        return cls

    return register


def arch_names() -> tuple[str, ...]:
    """The registered architectures, in registration order."""
    return tuple(_ARCHS)


def get_arch(name: str) -> Arch:
    """The registered architecture of that name; ValueError for an unknown one."""
    try:
        return _ARCHS[name]
    except KeyError:
        raise ValueError(
            f"unknown architecture {name!r} (one of {', '.join(arch_names())})"
        ) from None


def arch_config(name: str, d: Mapping[str, Any] | None = None) -> JsonConfig:
    """The architecture's config from a dict (its defaults where d is None)."""
    cls = get_arch(name).config
    return cls() if d is None else cls.from_dict(d)


def build_network(name: str, cfg: JsonConfig | None = None) -> nn.Module:
    """A freshly initialised network of the named architecture (default config if None)."""
    entry = get_arch(name)
    cfg = cfg if cfg is not None else entry.config()
    if not isinstance(cfg, entry.config):
        raise ValueError(
            f"architecture {name!r} needs a {entry.config.__name__}, got {type(cfg).__name__}"
        )
    net: nn.Module = entry.net(cfg)
    return net


def arch_of(net: object) -> str:
    """The architecture name of a built network."""
    return str(getattr(net, "arch", DEFAULT_ARCH))
