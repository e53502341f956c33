"""The published JSON Schema of the hint file (model/hints/hints.schema.json) against the
parser, and that it ships with the package."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

import model.hints.document as hints_module
from gui.recovery import RecoveryStore
from model.hints.document import (
    MAX_PALETTE,
    MAX_POINTS,
    SCHEMA_PATH,
    HintError,
    Hints,
    PaletteColor,
    Point,
)

ROOT = Path(__file__).resolve().parents[2]
SHEET_HINTS = sorted((ROOT / "docs" / "sheet_hints").glob("*.hints.json"))


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)  # the schema itself is well-formed
    return Draft202012Validator(schema)


def parser_accepts(doc: Any) -> bool:
    try:
        Hints.from_dict(doc)
    except HintError:
        return False
    return True


def test_schema_ships_in_the_wheel_and_is_found_among_the_package_resources(
    tmp_path: Path,
) -> None:
    # Build the wheel and install it apart from this checkout, as a user's install would be.
    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for package in ("gui", "model", "training"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src)]
    subprocess.run(build, check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("huebrush-*.whl")
    install = [*pip, "install", "--no-deps", "--target", str(site), str(wheel)]
    subprocess.run(install, check=True, capture_output=True, cwd=tmp_path)
    # -S: no site-packages, so only the installed copy (not this checkout) is importable.
    code = (
        "import importlib.resources, model.hints; "
        "print(model.hints.__file__); "
        "print(importlib.resources.files('model.hints').joinpath('hints.schema.json').read_text("
        "encoding='utf-8'))"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    res = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    where, text = res.stdout.split("\n", 1)
    assert Path(where).is_relative_to(site)
    assert json.loads(text) == json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_repo_example_files_validate(validator: Draft202012Validator) -> None:
    assert len(SHEET_HINTS) >= 5
    for path in SHEET_HINTS:
        doc = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in validator.iter_errors(doc)]
        assert not errors, f"{path.name}: {errors}"
        Hints.from_json(path)  # and the parser agrees


def test_documented_examples_validate(validator: Draft202012Validator) -> None:
    """The example in the README's hint-file section and the one in model/hints/document.py."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```json\n(.*?)```", readme, re.S) if "huebrush-hints" in b]
    assert blocks
    doc = hints_module.__doc__ or ""
    example = doc[doc.index("{") : doc.index("}\n\n") + 1]
    for text in [*blocks, example]:
        doc = json.loads(text)
        validator.validate(doc)
        assert parser_accepts(doc)


def test_files_the_app_writes_validate(validator: Draft202012Validator, tmp_path: Path) -> None:
    """Hints.to_json (sessions, CLI and export sidecars) and the recovery file."""
    hints = Hints(
        (Point(0.0, 1.0, (-128.0, 128.0), 1), Point(0.31, 0.62, (12.04, -40.5), 9)),
        (PaletteColor((5.0, 20.0), 0.0), PaletteColor((-3.25, 7.0), 1e6)),
        0.4,
    )
    variants = (hints.with_saturation(None), hints.with_enhance("stretch", True))
    for h in (Hints(), hints, *variants, hints.with_keep_rest(True)):
        path = tmp_path / "photo.hints.json"
        h.to_json(path)
        validator.validate(json.loads(path.read_text(encoding="utf-8")))
        assert Hints.from_json(path) == h
    store = RecoveryStore(tmp_path / "recovery")
    store.write(tmp_path / "photo.png", hints)
    validator.validate(json.loads(store.path.read_text(encoding="utf-8")))


P = {"x": 0.5, "y": 0.5, "ab": [0, 0]}
C = {"ab": [0, 0], "weight": 1}
GOOD: list[dict[str, Any]] = [
    {"format": "huebrush-hints", "version": 1},
    {"format": "huebrush-hints", "version": 1.0, "points": None, "palette": None},
    {"format": "huebrush-hints", "version": 1, "points": [], "palette": [], "saturation": 0},
    {"format": "huebrush-hints", "version": 1, "saturation": 1, "meta": {"any": [1, "x"]}},
    {"format": "huebrush-hints", "version": 1, "meta": None},
    {"format": "huebrush-hints", "version": 1, "enhance": None},
    {"format": "huebrush-hints", "version": 1, "enhance": {"mode": "equalize"}},
    {"format": "huebrush-hints", "version": 1, "enhance": {"mode": "stretch", "output": True}},
    {"format": "huebrush-hints", "version": 1, "enhance": {"mode": "none", "output": False}},
    {"format": "huebrush-hints", "version": 1, "keep_rest": True},
    {"format": "huebrush-hints", "version": 1, "keep_rest": False},
    {"format": "huebrush-hints", "version": 1, "keep_rest": None},
    {
        "format": "huebrush-hints",
        "version": 1,
        "points": [
            {"x": 0, "y": 1, "ab": [-128, 128], "size": 1},
            {"x": 1.0, "y": 0.0, "ab": [0.5, -0.5], "size": 9.0},
            {"x": 0.5, "y": 0.5, "rgb": "#abc"},
            {"x": 0.5, "y": 0.5, "rgb": "3A6FB0"},
            {"x": 0.5, "y": 0.5, "rgb": " #3a6fb0\n"},
        ],
        "palette": [{"ab": [1, 2]}, {"rgb": "#000000", "weight": 0}, {"ab": [0, 0], "weight": 1e6}],
    },
    {"format": "huebrush-hints", "version": 1, "points": [P] * MAX_POINTS},
    {"format": "huebrush-hints", "version": 1, "palette": [{"ab": [0, 0]}] * MAX_PALETTE},
]

BAD_PATCHES: list[dict[str, Any]] = [
    {"format": None},
    {"format": "huebrush-hints "},
    {"version": 2},
    {"version": True},
    {"version": "1"},
    {"points": {"x": 0.5}},
    {"points": "none"},
    {"points": [P] * (MAX_POINTS + 1)},
    {"points": [[0.5, 0.5]]},
    {"points": [{**P, "x": -0.001}]},
    {"points": [{**P, "y": 1.0001}]},
    {"points": [{**P, "x": True}]},
    {"points": [{**P, "x": 10**400}]},
    {"points": [{**P, "x": 1e400}]},
    {"points": [{"y": 0.5, "ab": [0, 0]}]},
    {"points": [{"x": 0.5, "ab": [0, 0]}]},
    {"points": [{"x": 0.5, "y": 0.5}]},
    {"points": [{**P, "rgb": "#000000"}]},
    {"points": [{**P, "ab": [0]}]},
    {"points": [{**P, "ab": [0, 0, 0]}]},
    {"points": [{**P, "ab": [0, 128.5]}]},
    {"points": [{**P, "ab": [-129, 0]}]},
    {"points": [{**P, "ab": ["0", 0]}]},
    {"points": [{**P, "ab": None}]},
    {"points": [{"x": 0.5, "y": 0.5, "rgb": "blue"}]},
    {"points": [{"x": 0.5, "y": 0.5, "rgb": "#abcd"}]},
    {"points": [{"x": 0.5, "y": 0.5, "rgb": "# abc"}]},
    {"points": [{"x": 0.5, "y": 0.5, "rgb": 0x3A6FB0}]},
    {"points": [{**P, "size": 0}]},
    {"points": [{**P, "size": 10}]},
    {"points": [{**P, "size": 2.5}]},
    {"points": [{**P, "size": "5"}]},
    {"points": [{**P, "size": False}]},
    {"points": [{**P, "colour": 1}]},
    {"palette": [C] * (MAX_PALETTE + 1)},
    {"palette": [{**C, "weight": -1}]},
    {"palette": [{**C, "weight": 1e6 + 1}]},
    {"palette": [{**C, "weight": None}]},
    {"palette": [{"weight": 1}]},
    {"palette": [{**C, "rgb": "#fff"}]},
    {"palette": [{**C, "x": 0}]},
    {"palette": [1]},
    {"saturation": -0.1},
    {"saturation": 1.5},
    {"saturation": "0.5"},
    {"saturation": False},
    {"meta": []},
    {"meta": False},
    {"meta": "photo.jpg"},
    {"extra": 1},
    {"enhance": "stretch"},
    {"keep_rest": "yes"},
    {"keep_rest": 1},
    {"enhance": {}},
    {"enhance": {"mode": "sharpen"}},
    {"enhance": {"mode": None}},
    {"enhance": {"mode": "stretch", "output": 1}},
    {"enhance": {"mode": "stretch", "output": "yes"}},
    {"enhance": {"mode": "stretch", "gamma": 2}},
]


def _bad_docs() -> list[Any]:
    base = {"format": "huebrush-hints", "version": 1, "points": [P], "palette": [C]}
    docs: list[Any] = [{**base, **patch} for patch in BAD_PATCHES]
    no_format = copy.deepcopy(base)
    del no_format["format"]
    no_version = copy.deepcopy(base)
    del no_version["version"]
    return [*docs, no_format, no_version, [], "huebrush-hints", None, 1]


@pytest.mark.parametrize("doc", GOOD, ids=range(len(GOOD)))
def test_good_documents_accepted_by_both(validator: Draft202012Validator, doc: Any) -> None:
    assert not [e.message for e in validator.iter_errors(doc)]
    assert parser_accepts(doc)


@pytest.mark.parametrize("doc", _bad_docs(), ids=range(len(_bad_docs())))
def test_bad_documents_rejected_by_both(validator: Draft202012Validator, doc: Any) -> None:
    assert not validator.is_valid(doc), "the schema lets it through"
    assert not parser_accepts(doc), "the parser lets it through"
