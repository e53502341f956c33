"""Crash recovery: the unsaved session is mirrored into the user's data folder.

The file is the core's hint format with the photo's path in its "meta" field. A clean exit
removes it, so a file found at start-up means the last session ended without saving.
"""

from __future__ import annotations

import contextlib
import json
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


class RecoveryStore:
    """Reads and writes the recovery file in `folder` (created on first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / RECOVERY_NAME

    def write(self, image_path: Path, hints: Hints) -> None:
        """Mirror the session (atomically, so a crash mid-write keeps the previous copy)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        doc = hints.to_dict()
        doc["meta"] = {**doc.get("meta", {}), "image": str(Path(image_path).resolve())}
        atomic_write_bytes(self.path, json.dumps(doc, indent=1).encode("utf-8") + b"\n")

    def read(self) -> Recovered | None:
        """The saved session, or None when there is none or it is unusable."""
        if not self.path.is_file():
            return None
        try:
            hints = Hints.from_json(self.path)
        except HintError:
            return None
        image = hints.extra.get("image") if isinstance(hints.extra, dict) else None
        if not isinstance(image, str) or not image:
            return None
        # The photo's path is the recovery file's business, not the session's: drop it so a
        # later save does not write this machine's path into the user's hint file.
        rest = {k: v for k, v in hints.extra.items() if k != "image"}
        return Recovered(Path(image), replace(hints, extra=rest))

    def clear(self) -> None:
        """Remove the recovery file (after a save or a clean exit)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
