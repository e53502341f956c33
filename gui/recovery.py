"""Crash recovery: the unsaved session is mirrored into the user's data folder.

The file is the core's hint format with the photo's path in its "meta" field. A clean exit
removes it, so a file found at start-up means the last session ended without saving. A file
that cannot be used (damaged, from a newer Huebrush, not a file at all, or naming a photo that
is not there now, say on a drive not connected) is never deleted: it is moved aside, beside
itself, and the user is told where (SetAside).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from model.hints.document import HintError, Hints
from model.io.atomic import atomic_write_bytes

RECOVERY_NAME = "session.hints.json"


@dataclass(frozen=True)
class Recovered:
    """An unsaved session found at start-up."""

    image_path: Path
    hints: Hints

    def summary(self) -> str:
        """What the session holds, e.g. '3 colour points and a palette of 4 colours'."""
        parts = []
        n = len(self.hints.points)
        if n:
            parts.append(f"{n} colour point{'' if n == 1 else 's'}")
        k = len(self.hints.palette)
        if k:
            parts.append(f"a palette of {k} colour{'' if k == 1 else 's'}")
        if self.hints.saturation is not None:
            parts.append(f"saturation {self.hints.saturation:.2f}")
        if not parts:
            return "no colour hints (all were removed)"
        if len(parts) == 1:
            return parts[0]
        return f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class SetAside:
    """A recovery file that could not be used, and where it is kept now."""

    reason: str
    kept_at: Path
    moved: bool  # False: it could not be moved and is still where it was

    def message(self) -> str:
        """What to tell the user, naming the file."""
        where = (
            f"It was kept as {self.kept_at}."
            if self.moved
            else f"It could not be moved and is still at {self.kept_at}."
        )
        return (
            f"The unsaved work of the last session could not be restored ({self.reason}).\n\n"
            + where
        )


class RecoveryStore:
    """Reads and writes the recovery file in `folder` (created on first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / RECOVERY_NAME
        #: Set by read() when it found a file it could not use (None otherwise).
        self.set_aside: SetAside | None = None

    def write(self, image_path: Path, hints: Hints) -> None:
        """Mirror the session (atomically, so a crash mid-write keeps the previous copy)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        doc = hints.to_dict()
        doc["meta"] = {**doc.get("meta", {}), "image": str(Path(image_path).resolve())}
        atomic_write_bytes(self.path, json.dumps(doc, indent=1).encode("utf-8") + b"\n")

    def read(self) -> Recovered | None:
        """The saved session, or None when there is none or it cannot be used; a file that
        cannot be used is moved aside and described in self.set_aside. Never raises."""
        self.set_aside = None
        if not os.path.lexists(self.path):
            return None
        try:
            hints = Hints.from_json(self.path)  # refuses folders, FIFOs and devices unopened
        except HintError as e:
            return self._put_aside(str(e).removeprefix(f"{self.path}: "))
        image = hints.extra.get("image") if isinstance(hints.extra, dict) else None
        if not isinstance(image, str) or not image:
            return self._put_aside("it does not name its photo")
        try:
            there = Path(image).is_file()
        except (OSError, ValueError):
            there = False
        if not there:
            return self._put_aside(f"its photo {image} is not there: on a drive not connected?")
        # The photo's path is the recovery file's business, not the session's: drop it so a
        # later save does not write this machine's path into the user's hint file.
        rest = {k: v for k, v in hints.extra.items() if k != "image"}
        return Recovered(Path(image), replace(hints, extra=rest))

    def _put_aside(self, reason: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        n = 1
        while True:
            dest = self.path.with_name(
                f"{RECOVERY_NAME}.unreadable-{stamp}{'' if n == 1 else f'-{n}'}"
            )
            n += 1
            if os.path.lexists(dest):
                continue
            try:
                os.rename(self.path, dest)  # lexists above: no other file is replaced
            except OSError:
                self.set_aside = SetAside(reason, self.path, moved=False)
                return None
            self.set_aside = SetAside(reason, dest, moved=True)
            return None

    def clear(self) -> None:
        """Remove the recovery file (after a save or a clean exit). Never raises: a file that
        cannot be removed (a folder, a read-only folder) is left for read() to set aside."""
        with contextlib.suppress(OSError):
            if not self.path.is_dir():
                self.path.unlink()
