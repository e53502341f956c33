"""Build the PyInstaller bundle and run it (slow: the build takes minutes).

Skipped unless HUEBRUSH_BUILD_TESTS=1; `make dist-test` sets it and runs only these tests.
The bundle is built from build.spec into a temporary dist/work folder (dist/ stays as it is),
then run with a clean environment (no venv, no display): `--version`, `--self-test` on the
shipped weights, and `colorize` on a generated photo through the bundled batch CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model import __version__
from tests.conftest import photo

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 3600
RUN_TIMEOUT_S = 600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("HUEBRUSH_BUILD_TESTS") != "1",
        reason="builds the bundle (minutes); run with `make dist-test` (HUEBRUSH_BUILD_TESTS=1)",
    ),
]


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/huebrush/huebrush, built in a temporary folder."""
    tmp = tmp_path_factory.mktemp("bundle")
    cmd = [
        sys.executable, "-m", "PyInstaller", "--noconfirm",
        "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "build"), "build.spec",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "HUEBRUSH_ONEFILE"}
    r = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S
    )
    assert r.returncode == 0, r.stderr[-5000:]
    exe = tmp / "dist" / "huebrush" / "huebrush"
    assert exe.is_file()
    return exe


def run(exe: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """The executable with a clean environment: no venv, no PYTHONPATH, no display."""
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(exe), *args], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def test_version(bundle: Path, tmp_path: Path) -> None:
    r = run(bundle, "--version", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"huebrush {__version__}"


def test_self_test(bundle: Path, tmp_path: Path) -> None:
    r = run(bundle, "--self-test", home=tmp_path)  # offscreen by itself: there is no display
    assert r.returncode == 0, r.stdout + r.stderr
    assert "self-test passed" in r.stdout
    assert "FAIL" not in r.stdout


def test_colorize(bundle: Path, tmp_path: Path) -> None:
    src = tmp_path / "grey.png"
    grey = np.asarray(Image.fromarray(photo(96, 128)).convert("L"))
    Image.fromarray(grey).save(src)
    out = tmp_path / "out"
    r = run(bundle, "colorize", str(src), "-o", str(out), "--no-progress", home=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    result = Image.open(out / "grey_color.png")
    assert result.size == (128, 96)
    assert result.mode == "RGB"


def test_bundle_leaves_out_what_the_app_never_loads(bundle: Path) -> None:
    internal = bundle.parent / "_internal"
    for path in ("torch/test", "torch/include", "matplotlib", "sympy", "training", "tkinter"):
        assert not (internal / path).exists(), path
    assert (internal / "resources" / "weights" / "huebrush-default.safetensors").is_file()
    assert (internal / "resources" / "huebrush.desktop").is_file()
