"""Ctrl+C or `kill` during a batch: the file being written is finished (or never started),
nothing half-written or hidden is left, a summary is printed and the exit status says which
signal stopped it. The signal is sent by the process to itself at a chosen moment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.unit.cli_helpers import grey_photo, needs_posix

pytestmark = needs_posix

ROOT = Path(__file__).resolve().parents[2]

# Runs the CLI with `target` wrapped so that it first sends the process `signal`.
SCRIPT = """
import importlib, os, signal, sys
module, name, attr, sig = sys.argv[1:5]
owner = importlib.import_module(module)
if name:
    owner = getattr(owner, name)
real = getattr(owner, attr)
def wrapped(*args, **kwargs):
    os.kill(os.getpid(), getattr(signal, sig))
    return real(*args, **kwargs)
setattr(owner, attr, wrapped)
from model.cli import main
sys.exit(main(sys.argv[5:]))
"""


def _run(target: tuple[str, str, str], sig: str, *args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, *target, sig, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("photos", [1, 3], ids=["one photo", "a batch, written on a thread"])
def test_sigterm_during_a_write_finishes_the_file(
    tmp_path: Path, tiny_weights: Path, photos: int
) -> None:
    d = tmp_path / "in"
    for name in "abc"[:photos]:
        grey_photo(d / f"{name}.png")
    out = tmp_path / "out"
    opts = ["--weights", tiny_weights, "--finish", "pass", "--no-progress"]
    # os.fsync runs once the temporary file holds the whole image, just before the rename.
    res = _run(("os", "", "fsync"), "SIGTERM", d, "-o", out, *opts)
    assert res.returncode == 143, res.stderr
    assert "Traceback" not in res.stderr
    assert f"stopped by SIGTERM: 1 colourised, 0 failed, {photos - 1} not done" in res.stdout
    assert [p.name for p in out.iterdir()] == ["a_color.png"]  # no hidden .tmp left
    with Image.open(out / "a_color.png") as done:
        done.load()  # decodes to the end: written whole


def test_sigint_while_colouring_stops_with_a_summary(tmp_path: Path, tiny_weights: Path) -> None:
    d = tmp_path / "in"
    grey_photo(d / "a.png")
    grey_photo(d / "b.png")
    out = tmp_path / "out"
    opts = ["--weights", tiny_weights, "--finish", "pass", "--no-progress"]
    # Every photo's colouring starts with a SIGINT: the first one is stopped.
    res = _run(("model.engines", "NetEngine", "colours"), "SIGINT", d, "-o", out, *opts)
    assert res.returncode == 130, res.stderr
    assert "Traceback" not in res.stderr and "KeyboardInterrupt" not in res.stderr
    assert "stopped by SIGINT: 0 colourised, 0 failed, 2 not done" in res.stdout
    assert list(out.iterdir()) == []  # no placeholder, no partial file
