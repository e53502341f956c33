"""Tampered weights files are refused from their header, before anything is allocated, and
every refusal names the file."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

from model.network.config import NetConfig
from model.network.header import MAX_PARAMETERS
from model.network.unet import ColorNet
from model.network.weights import WeightsError, load_network
from tests.unit.cli_helpers import needs_posix, time_limit


def _raw(path: Path, header: object, data: bytes = b"") -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)
    return path


def _with_config(src: Path, dest: Path, **change: object) -> Path:
    """A copy of src whose header's config says otherwise (the tensors are src's)."""
    with safe_open(str(src), "pt") as f:
        meta = dict(f.metadata())
    cfg = {**json.loads(meta["config"]), **change}
    meta["config"] = json.dumps(cfg)
    n = struct.unpack("<Q", src.read_bytes()[:8])[0]
    header = json.loads(src.read_bytes()[8 : 8 + n])
    header["__metadata__"] = meta
    return _raw(dest, header, src.read_bytes()[8 + n :])


def test_a_wider_config_is_refused_without_building_it(
    tmp_path: Path, tiny_weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = []
    real_init = ColorNet.__init__

    def spy(self: ColorNet, cfg: NetConfig) -> None:
        built.append((cfg.width, torch.empty(0).device.type))
        real_init(self, cfg)

    monkeypatch.setattr(ColorNet, "__init__", spy)
    bad = _with_config(tiny_weights, tmp_path / "wide.safetensors", width=64)
    with pytest.raises(WeightsError, match=r"wide\.safetensors: .*shape"):
        load_network(bad)
    assert built == [(64, "meta")]  # only on the meta device: no memory


def test_a_huge_config_is_refused_by_its_size(tmp_path: Path, tiny_weights: Path) -> None:
    bad = _with_config(tiny_weights, tmp_path / "huge.safetensors", width=4000)
    with time_limit(60), pytest.raises(WeightsError, match=r"huge\.safetensors: .*parameters"):
        load_network(bad)
    assert MAX_PARAMETERS < 1e9


@pytest.mark.parametrize(
    "header",
    [
        [1, 2, 3],
        {"__metadata__": [1]},
        {"__metadata__": {"config": 5}},
        {"__metadata__": {"config": "[1]", "arch": "huebrush"}},
        {"__metadata__": {"config": "{}", "arch": ["huebrush"]}},
        {"__metadata__": {"config": '{"width": "wide"}'}},
        {"__metadata__": {"config": '{"width": -3}'}},
        {"__metadata__": {"config": '{"width": 4.5}'}},
        {"__metadata__": {"config": "{}"}, "x": "tensor"},
        {"__metadata__": {"config": "{}"}, "x": {"dtype": "F32", "shape": [10**9]}},
        {"__metadata__": {"config": "{}"}, "x": {"dtype": "Q99", "shape": [1]}},
        {"__metadata__": {"config": "[" * 100_000}},
    ],
)
def test_malformed_headers_are_refused_naming_the_file(tmp_path: Path, header: object) -> None:
    bad = _raw(tmp_path / "bad.safetensors", header, b"\0" * 64)
    with pytest.raises(WeightsError) as info:
        load_network(bad)
    assert str(info.value).startswith(f"{bad}: "), info.value


def test_a_header_longer_than_the_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "short.safetensors"
    bad.write_bytes(struct.pack("<Q", 50_000_000) + b"{}")
    with pytest.raises(WeightsError, match=r"short\.safetensors: .*header length"):
        load_network(bad)


@needs_posix
def test_weights_that_are_not_a_file_are_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "w.safetensors"
    os.mkfifo(fifo)
    for path, said in ((fifo, "named pipe"), (Path("/dev/zero"), "device"), (tmp_path, "folder")):
        with time_limit(20), pytest.raises(WeightsError, match=said) as info:
            load_network(path)
        assert str(info.value).startswith(f"{path}: ")


def test_good_files_still_load(tiny_weights: Path) -> None:
    assert isinstance(load_network(tiny_weights), ColorNet)
