"""Where a batch writes each photo's colour version, never over a file it did not write.

An output is `<stem>_color<suffix>` and its hint file `<stem>_color.hints.json`; both names
are claimed together, so no two outputs of a run share either. A name is free when nothing is
there, or when what is there is this photo's own colour version from an earlier run: its
Software tag names Huebrush and the photo it was made from (photo_software). Anything else,
the user's files, another photo's output, a folder, is passed over for `_2`, `_3`...;
`overwrite` replaces what is there anyway, but never an input, an input's hint file or a
folder. A new name is claimed by creating the file exclusively (an empty placeholder the
save replaces), so two runs writing into one folder at once never pick the same name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from model.hints.document import MAX_FILE_BYTES, sidecar_path
from model.io.decode import open_formats, pillow_bomb_check_off
from model.io.safe_read import open_regular, read_capped

#: The hint-file "meta" field that names the photo a batch's hint file belongs to.
SIDECAR_KEY = "huebrush_output_of"
_SOFTWARE = re.compile(r"^Huebrush \S+ \(photo ([0-9a-f]{12})\)$")
_TIFF_SOFTWARE = 305


def photo_id(src: Path) -> str:
    """A short id of the photo at src (from its full path: never the path itself)."""
    real = os.path.normcase(os.path.realpath(src))
    return hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:12]


def photo_software(version: str, src: Path) -> str:
    """The Software tag of src's colour version, e.g. 'Huebrush 0.9 (photo 3f9a1c0e8b7d)'."""
    return f"Huebrush {version} (photo {photo_id(src)})"


def _key(p: Path) -> str:
    return os.path.normcase(str(p.resolve()))


def _inode(p: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(p)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


class OutputClaims:
    """The names one batch run writes to (see the module's docstring)."""

    def __init__(self, out_dir: Path, inputs: Iterable[Path], overwrite: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.overwrite = overwrite
        protected = [p for src in inputs for p in (Path(src), sidecar_path(src))]
        self._taken = {_key(p) for p in protected}
        # By inode too: a hard link, or another spelling on a case-insensitive disk.
        self._protected = {i for i in map(_inode, protected) if i is not None}
        self._placeholders: dict[Path, tuple[int, int]] = {}

    def claim(self, src: Path, suffix: str) -> Path:
        """A free output path for src (its hint-file name is free too). Raises OSError when
        the folder cannot be written."""
        ident = photo_id(src)
        base = f"{src.stem}_color"
        counter = 1
        while True:
            dest = self.out_dir / f"{base}{'' if counter == 1 else f'_{counter}'}{suffix}"
            counter += 1
            side = sidecar_path(dest)
            if _key(dest) in self._taken or _key(side) in self._taken:
                continue
            if _inode(dest) in self._protected or _inode(side) in self._protected:
                continue
            if not self._may_replace(side, ident, _sidecar_of) or not self._reserve(dest, ident):
                continue
            self._taken |= {_key(dest), _key(side)}
            return dest

    def _may_replace(self, path: Path, ident: str, made_by: Callable[[Path], str | None]) -> bool:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return True
        if stat.S_ISDIR(st.st_mode):
            return False
        if self.overwrite:
            return True
        return stat.S_ISREG(st.st_mode) and made_by(path) == ident

    def _reserve(self, dest: Path, ident: str) -> bool:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(dest, flags, 0o666)
        except FileExistsError:
            return self._may_replace(dest, ident, _image_of)
        try:
            st = os.fstat(fd)
        finally:
            os.close(fd)
        self._placeholders[dest] = (st.st_dev, st.st_ino)
        return True

    def written(self, dest: Path) -> None:
        """dest now holds its output: no placeholder to remove."""
        self._placeholders.pop(dest, None)

    def release(self, dest: Path) -> None:
        """Remove dest's placeholder if nothing was written into it (a failed photo)."""
        ident = self._placeholders.pop(dest, None)
        with contextlib.suppress(OSError):
            st = os.lstat(dest)
            if (st.st_dev, st.st_ino) == ident and st.st_size == 0:
                os.unlink(dest)

    def release_all(self) -> None:
        for dest in list(self._placeholders):
            self.release(dest)

    def stale_sidecar(self, dest: Path, src: Path) -> Path | None:
        """dest's hint file if it is src's from an earlier run (obsolete once dest is
        replaced without one), else None."""
        side = sidecar_path(dest)
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(side).st_mode) and _sidecar_of(side) == photo_id(src):
                return side
        return None


def _image_of(path: Path) -> str | None:
    """The photo id in the Software tag of an image Huebrush's batch wrote, read from the
    header only (no pixels decoded); None for anything else."""
    try:
        with open_regular(path) as fp, pillow_bomb_check_off():
            im = Image.open(fp, formats=open_formats())
            if im.format == "PNG":  # text chunks before the pixels, where Huebrush writes them
                software = im.info.get("Software")
            elif im.format == "TIFF":
                software = im.tag_v2.get(_TIFF_SOFTWARE)  # type: ignore[attr-defined]
            else:
                software = im.getexif().get(_TIFF_SOFTWARE)
    except Exception:  # not an image, or one Pillow cannot read: not ours either way
        return None
    m = _SOFTWARE.match(software) if isinstance(software, str) else None
    return m[1] if m else None


def _sidecar_of(path: Path) -> str | None:
    """The photo id a batch's hint file records in its meta; None for anything else."""
    try:
        doc = json.loads(read_capped(path, MAX_FILE_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    meta = doc.get("meta") if isinstance(doc, dict) else None
    ident = meta.get(SIDECAR_KEY) if isinstance(meta, dict) else None
    return ident if isinstance(ident, str) else None
