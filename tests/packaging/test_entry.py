"""The `huebrush` entry point as the bundle runs it, from source (fast: no build).

`python -m gui` is exactly what the PyInstaller bundle executes (build.spec's script is
gui/__main__.py). The self-test runs on a tiny random network, so its checks must hold for any
network with the hint prior: shapes, finite values, lightness kept, hints pulling.
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

from model import __version__
from model.io.load import SUPPORTED_SUFFIXES

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300


def huebrush(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    base["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(
        [sys.executable, "-m", "gui", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def test_version_comes_from_model() -> None:
    r = huebrush("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"huebrush {__version__}"


def test_help_lists_the_self_test_and_the_batch_command() -> None:
    r = huebrush("--help")
    assert r.returncode == 0, r.stderr
    assert "--self-test" in r.stdout
    assert "huebrush colorize" in r.stdout


def test_self_test_passes_on_a_random_network(tiny_weights: Path, tmp_path: Path) -> None:
    r = huebrush("--self-test", "--weights", str(tiny_weights), env={"HOME": str(tmp_path)})
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "self-test passed" in out
    for check in ("output size 512x512", "lightness kept", "hints pull towards their colours"):
        assert f"ok   {check}" in out, out
    assert "FAIL" not in out
    assert not (tmp_path / ".config").exists()  # the user's settings were not touched


def test_self_test_fails_on_broken_weights(tmp_path: Path) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    r = huebrush("--self-test", "--weights", str(bad), env={"HOME": str(tmp_path)})
    assert r.returncode == 1
    assert "FAIL" in r.stdout
    assert "self-test FAILED" in r.stdout


def test_startup_failure_is_logged_without_a_display(tmp_path: Path) -> None:
    code = "from gui.app import startup_failure; startup_failure([], 'ImportError: boom\\n')"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env |= {"QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path), "HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=TIMEOUT_S,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "boom" in r.stderr
    log = tmp_path / "Huebrush" / "huebrush.log"
    assert "ImportError: boom" in log.read_text(encoding="utf-8")


MIME = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".bmp": "image/bmp", ".webp": "image/webp", ".gif": "image/gif",
}  # fmt: skip


def test_desktop_file() -> None:
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read(ROOT / "resources" / "huebrush.desktop", encoding="utf-8")
    entry = cp["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Huebrush"
    assert entry["Exec"] == "huebrush %f"
    assert entry["Icon"] == "huebrush"
    assert (ROOT / "resources" / "icons" / "huebrush.png").is_file()
    assert "Graphics" in entry["Categories"].split(";")
    assert {MIME[s] for s in SUPPORTED_SUFFIXES} <= set(entry["MimeType"].split(";"))
    assert "Version" not in entry  # the app's version lives only in model.__version__
