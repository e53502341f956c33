"""Atomic file writes: a crash mid-write leaves the previous file whole."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

# A new file gets the permissions any program's new file gets (0666 less the umask), not the
# owner-only 0600 of tempfile.mkstemp: an export on a shared drive must be readable by others.
_NEW_FILE_MODE = 0o666


def _open_temp(path: Path) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, _NEW_FILE_MODE), tmp
        except FileExistsError:
            continue


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync it, then rename over `path`. A file that
    is replaced keeps its permissions; a new one gets the umask's."""
    path = Path(path)
    fd, tmp = _open_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
