"""Device choice and the fast-math settings for it (no Qt)."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path

import torch


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> CUDA when present, else CPU; 'cuda' without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(name)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("CUDA was requested but no CUDA device is available")
    return dev


_TOPOLOGY = Path("/sys/devices/system/cpu")


def usable_cores() -> tuple[int, int]:
    """(logical CPUs, physical cores) this process may run on.

    Honours the CPU affinity (a container or `taskset` may allow fewer CPUs than the machine
    has) and counts SMT siblings once, from Linux's CPU topology. Where that cannot be read
    (macOS, Windows), both are os.cpu_count().
    """
    try:
        allowed = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
        return n, n
    cores: set[str] = set()
    for cpu in allowed:
        try:
            siblings = (_TOPOLOGY / f"cpu{cpu}" / "topology" / "thread_siblings_list").read_text()
        except OSError:
            return len(allowed), len(allowed)
        cores.add(siblings.strip())
    return len(allowed), max(1, len(cores))


def device_label(dev: torch.device) -> str:
    """A human-readable name, e.g. 'CPU (2 threads)' or 'NVIDIA H100'."""
    if dev.type == "cuda":
        return torch.cuda.get_device_name(dev)
    n = torch.get_num_threads()
    return f"CPU ({n} thread{'' if n == 1 else 's'})"


# Private but stable since PyTorch 2.3; absent names fall back to /proc/cpuinfo.
_TORCH_PROBES = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")


@functools.cache
def cpu_has_bf16() -> bool:
    """True where bf16 convolutions are fast (AVX-512 BF16 or AMX); elsewhere bf16 is emulated.

    Asks PyTorch's own CPU probe (CPUID: Windows and macOS have no /proc/cpuinfo, and a
    Ryzen 7000 laptop has AVX-512 BF16), falling back to /proc/cpuinfo where it is missing.
    False where torch or oneDNN were told to stay below AVX-512 (ATEN_CPU_CAPABILITY=avx2,
    ONEDNN_MAX_CPU_ISA=AVX2: how an AVX2 laptop is timed on a newer CPU), as bf16 is
    emulated there whatever the CPU has.
    """
    held = (os.environ.get(v, "").upper() for v in ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA"))
    if any(isa in ("DEFAULT", "SSE41", "AVX", "AVX2", "AVX2_VNNI") for isa in held):
        return False
    probes = [getattr(torch.cpu, n, None) for n in _TORCH_PROBES]
    if all(callable(p) for p in probes):
        try:
            return any(bool(p()) for p in probes)  # type: ignore[misc]
        except RuntimeError:
            pass
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def autocast_dtype(dev: torch.device, enabled: bool = True) -> torch.dtype | None:
    """The reduced precision `autocast` uses on this device, or None where it is off."""
    if not enabled:
        return None
    if dev.type == "cuda":
        return torch.float16
    if dev.type == "cpu" and cpu_has_bf16():
        return torch.bfloat16
    return None


@contextlib.contextmanager
def autocast(dev: torch.device, enabled: bool = True) -> Iterator[None]:
    """bf16 autocast on CPUs that have it, fp16 on CUDA; a no-op otherwise."""
    dtype = autocast_dtype(dev, enabled)
    if dtype is None:
        yield
        return
    with torch.autocast(dev.type, dtype=dtype):
        yield


def precast_convolutions(net: torch.nn.Module, dtype: torch.dtype | None) -> None:
    """Store convolution weights in autocast's dtype, for inference under `autocast` only.

    Autocast casts every convolution's fp32 weights again on each call (about 100 casts, a
    tenth of an interactive update); holding them in that dtype already gives the same
    numbers without the copies.
    """
    if dtype is None:
        return
    for m in net.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.to(dtype)
