"""The hardware a run trained on, recorded in the run so its model card need not guess.

A release can be exported on another machine than the one that trained it, so the export
reads this record instead of looking at the machine it runs on.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

import torch

MACHINE = "machine.json"  # in the run folder: every machine the run trained on, in order
CPUINFO = Path("/proc/cpuinfo")

# CPU features that decide how fast bf16 training runs here, as /proc/cpuinfo names them.
_FEATURES = (("avx512f", "AVX-512"), ("avx512_bf16", "AVX512-BF16"), ("amx_bf16", "AMX-BF16"))


def _cpuinfo_field(text: str | None, name: str) -> str:
    if text is None:
        try:
            text = CPUINFO.read_text(errors="replace")
        except OSError:
            return ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return ""


def cpu_model(cpuinfo: str | None = None) -> str | None:
    """The CPU's model name ('AMD EPYC'), or None where /proc/cpuinfo is unreadable.

    platform.processor() is just "x86_64" on Linux; the model name tells machines apart.
    """
    return _cpuinfo_field(cpuinfo, "model name") or None


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The CPU's feature flags as /proc/cpuinfo names them (empty where unreadable)."""
    return set(_cpuinfo_field(cpuinfo, "flags").split())


def describe_cpu(cpuinfo: str | None = None, threads: int | None = None) -> str:
    """E.g. '2 threads on AMD EPYC (AVX-512, AVX512-BF16), no GPU'."""
    name = cpu_model(cpuinfo) or platform.processor() or "unknown CPU"
    flags = cpu_flags(cpuinfo)
    features = [label for flag, label in _FEATURES if flag in flags]
    n = threads if threads is not None else torch.get_num_threads()
    detail = f" ({', '.join(features)})" if features else ""
    return f"{n} thread{'s' if n != 1 else ''} on {name}{detail}, no GPU"


def describe(device: torch.device, threads: int, world: int = 1) -> str:
    """One line naming what this process trains on (and how many processes share the run)."""
    if device.type == "cuda":
        what = torch.cuda.get_device_name(device)
    else:
        what = describe_cpu(threads=threads)
    return f"{world} processes, each {what}" if world > 1 else what


def record(run: Path, line: str) -> None:
    """Add this machine to the run's record unless it is already the latest entry.

    A resumed run may continue elsewhere; every machine it used is kept, in order.
    """
    machines = read(run)
    if not machines or machines[-1] != line:
        machines.append(line)
        (run / MACHINE).write_text(json.dumps(machines, indent=1) + "\n")


def read(run: Path) -> list[str]:
    """The machines a run trained on, oldest first; empty if it predates the record."""
    path = run / MACHINE
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError:
        return []
    return [str(m) for m in data] if isinstance(data, list) else []


def machine_info() -> dict[str, Any]:
    """Where the numbers were measured."""
    return {
        "platform": platform.platform(),
        "processor": cpu_model() or platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA device",
    }
