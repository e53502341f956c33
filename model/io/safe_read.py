"""Opening files a user names without trusting them to be files.

A path may name a folder, a named pipe (opening one blocks until a writer comes, reading one
never ends), a device (/dev/zero reads forever) or a socket; st_size is 0 for all of them, so a
size check made with stat() lets them through. These helpers open without blocking, check the
open descriptor (not the name, which may change in between) and read at most a fixed size.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO opens at once instead of waiting for a writer
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class NotAFileError(OSError):
    """The path names something other than a regular file; reason says what, in words."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


class FileTooLargeError(OSError):
    """A file larger than its reader's cap; reason says how large and the cap."""

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.path = os.fspath(path)
        self.reason = reason


def kind_of(mode: int) -> str:
    """What a non-regular file is, for messages: 'a folder', 'a named pipe (FIFO)'..."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size_text(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n} bytes"


def open_regular(path: str | os.PathLike[str], max_bytes: int | None = None) -> BinaryIO:
    """Open path for reading if it is a regular file (after following links) of at most
    max_bytes; otherwise raise NotAFileError or FileTooLargeError, never block.
    FileNotFoundError, PermissionError and other OSErrors pass through."""
    p = Path(path)
    try:
        # open() with an opener: the file object keeps the path as its name (decoders use it).
        f = open(p, "rb", opener=lambda name, _flags: os.open(name, _FLAGS))  # noqa: SIM115
    except IsADirectoryError:
        raise NotAFileError(p, "is a folder, not a file") from None
    try:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            what = kind_of(st.st_mode)
            raise NotAFileError(p, f"is {what}, not a file" if what[0] == "a" else what)
        if max_bytes is not None and st.st_size > max_bytes:
            raise FileTooLargeError(
                p, f"too large ({_size_text(st.st_size)}; at most {_size_text(max_bytes)})"
            )
        if _FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(f.fileno(), True)
        return f
    except BaseException:
        f.close()
        raise


def read_capped(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The whole content of a regular file of at most max_bytes (checked before and while
    reading: a file that grows, or one whose size the system misreports, is cut off)."""
    with open_regular(path, max_bytes) as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileTooLargeError(path, f"too large (over {_size_text(max_bytes)})")
    return data
