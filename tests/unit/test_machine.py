"""The training machine record behind the model card's hardware line."""

from __future__ import annotations

import json
from pathlib import Path

from training.machine import MACHINE, cpu_flags, cpu_model, describe_cpu, read, record

EPYC = """processor\t: 0
model name\t: AMD EPYC
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16
"""
XEON = "model name : Intel Xeon\nflags : avx2 avx512f amx_bf16 amx_tile\n"


def test_cpu_line_names_the_model_and_the_bf16_features() -> None:
    assert describe_cpu(EPYC, threads=2) == "2 threads on AMD EPYC (AVX-512, AVX512-BF16), no GPU"
    assert describe_cpu(XEON, threads=1) == "1 thread on Intel Xeon (AVX-512, AMX-BF16), no GPU"
    assert describe_cpu("flags : sse2\n", threads=4).startswith("4 threads on ")


def test_record_keeps_every_machine_once_in_order(tmp_path: Path) -> None:
    assert read(tmp_path) == []
    record(tmp_path, "a")
    record(tmp_path, "a")  # resumed on the same machine
    record(tmp_path, "b")
    assert read(tmp_path) == ["a", "b"]
    assert json.loads((tmp_path / MACHINE).read_text()) == ["a", "b"]
    (tmp_path / MACHINE).write_text("{broken")
    assert read(tmp_path) == []


def test_model_and_flags_from_cpuinfo_text() -> None:
    assert cpu_model(XEON) == "Intel Xeon" and cpu_model("flags : x\n") is None
    assert {"amx_bf16", "avx512f"} <= cpu_flags(XEON) and cpu_flags("") == set()
