"""Timing an AVX2 laptop on a newer CPU (ATEN_CPU_CAPABILITY / ONEDNN_MAX_CPU_ISA held at
AVX2): bf16 would be emulated there, so autocast stays off as on the laptop itself."""

from __future__ import annotations

import pytest
import torch

import model.device as device


@pytest.mark.parametrize("var", ["ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"])
def test_isa_held_at_avx2_turns_bf16_off(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    device.cpu_has_bf16.cache_clear()
    try:
        assert device.cpu_has_bf16() is True
        monkeypatch.setenv(var, "avx2")
        device.cpu_has_bf16.cache_clear()
        assert device.cpu_has_bf16() is False
        assert device.autocast_dtype(torch.device("cpu")) is None
    finally:
        monkeypatch.undo()
        device.cpu_has_bf16.cache_clear()
