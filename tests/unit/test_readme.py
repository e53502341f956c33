"""The README's claims against the code, the CI script and the recorded benchmarks.

Each test reads what the README says and fails when the code, `.ci/run`, the system packages
Qt needs or the benchmark results say otherwise.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_BYTES = 15_000


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(title: str) -> str:
    """The README's text under `## title`, up to the next `## ` heading."""
    text = readme()
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


def table(text: str) -> list[list[str]]:
    """The rows of the first Markdown table in `text`, header first, separator left out."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set("-: ") for c in cells):
                rows.append(cells)
        elif rows:
            break
    assert rows, "no table found"
    return rows


def found(pattern: str, text: str) -> re.Match[str]:
    m = re.search(pattern, text)
    assert m, f"README no longer says {pattern!r}"
    return m


def code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, re.S)


def model_attr(name: str) -> Any:
    """`name` from wherever model/ defines it now (its modules move between subpackages)."""
    import model

    for info in pkgutil.walk_packages(model.__path__, "model."):
        if info.name.split(".")[-1].startswith("arch_"):
            continue  # research architectures: nothing the README speaks of
        module = importlib.import_module(info.name)
        if name in vars(module):
            return vars(module)[name]
    raise AssertionError(f"model/ defines no {name}")


# -- size and links -----------------------------------------------------------------------


def test_readme_is_at_most_15_kb() -> None:
    size = README.stat().st_size
    assert size <= MAX_BYTES, f"README.md is {size} bytes; move detail to docs/"


def _relative_targets(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code is not links
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and t[0] != "#"]


def test_every_relative_link_and_image_in_the_readme_exists() -> None:
    targets = _relative_targets(README)
    assert any(t.startswith("docs/screenshots/") for t in targets), "no screenshot"
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_every_relative_link_in_the_docs_exists() -> None:
    missing = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        missing += [
            f"{doc.name}: {t}" for t in _relative_targets(doc) if not (doc.parent / t).exists()
        ]
    assert not missing, f"docs link to files that do not exist: {missing}"


def test_the_screenshot_is_small() -> None:
    for shot in re.findall(r"!\[[^]]*\]\((docs/screenshots/[^)]+)\)", readme()):
        assert (ROOT / shot).stat().st_size <= 300_000, shot


# -- install ------------------------------------------------------------------------------


def test_the_test_command_is_the_one_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    ci_command = [line for line in ci if line.startswith("python3 -m venv")]
    assert len(ci_command) == 1, ".ci/run should hold one set-up command"
    blocks = [b.strip() for b in code_blocks(section("Install"))]
    assert ci_command[0] in blocks, "README's test command differs from .ci/run's"


def test_the_app_command_installs_and_launches_the_gui_script() -> None:
    blocks = [b.strip() for b in code_blocks(section("Install"))]
    app = "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/huebrush"
    assert app in blocks
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "huebrush" in pyproject["project"]["gui-scripts"]


def test_python_version_matches_the_project() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    m = re.search(r"Python (\d+\.\d+) or newer", section("Install"))
    assert m, "README names no Python version"
    assert pyproject["project"]["requires-python"] == f">={m.group(1)}"


def test_the_cpu_torch_route_installs_the_pinned_release() -> None:
    from packaging.requirements import Requirement

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in pyproject["project"]["dependencies"]]
    torch_pin = next(r for r in pins if r.name == "torch")
    m = re.search(
        r"pip install torch==(\S+) --index-url https://download\.pytorch\.org/whl/cpu",
        section("Install"),
    )
    assert m, "README gives no CPU-only torch command"
    assert str(torch_pin.specifier) == f"=={m.group(1)}"
    # PyTorch's CPU index names the build 2.13.0+cpu: the project's pin must accept it.
    assert torch_pin.specifier.contains(f"{m.group(1)}+cpu")


def test_the_gpu_route_needs_no_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """'--device auto' is the CLI's default and picks CUDA when torch sees a GPU."""
    import torch

    from model.cli import build_parser

    text = section("Install")
    assert "--device auto" in text and "the default" in text
    assert build_parser().get_default("device") == "auto"
    pick_device = model_attr("pick_device")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device("auto").type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert pick_device("auto").type == "cpu"


def _apt_packages() -> list[str]:
    lines = [
        line
        for block in code_blocks(section("Install"))
        for line in block.splitlines()
        if "apt-get install" in line
    ]
    assert len(lines) == 1, "README should give one apt-get install line"
    return lines[0].split("install", 1)[1].split()


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout


def _debian_name(soname: str) -> str:
    """Debian's package name for a library: libxcb-icccm.so.4 -> libxcb-icccm4."""
    base, _, version = soname.partition(".so.")
    base = base.lower()
    return f"{base}-{version}" if base[-1].isdigit() else f"{base}{version}"


def test_the_apt_packages_cover_what_qts_xcb_plugin_loads() -> None:
    """ldd on the xcb plugin (which lists its Qt libraries' needs too); every system library
    must come from a package the README's line installs or that those depend on."""
    import PySide6

    plugin = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    tools = ("ldd", "dpkg-query", "apt-cache")
    if not sys.platform.startswith("linux") or not plugin.exists():
        pytest.skip("PySide6's xcb plugin is Linux-only")
    if not all(shutil.which(t) for t in tools):
        pytest.skip("needs ldd, dpkg-query and apt-cache (Debian or Ubuntu)")
    if "Candidate: (none)" in _run("apt-cache", "policy", "libc6") or not _run(
        "apt-cache", "policy", "libc6"
    ):
        pytest.skip("no apt package lists here (apt-get update)")
    wanted = _apt_packages()
    unknown = [p for p in wanted if "Candidate:" not in _run("apt-cache", "policy", p)]
    assert not unknown, f"not Debian/Ubuntu packages: {unknown}"
    closure = {
        line.strip()
        for line in _run(
            "apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
            "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *wanted,
        ).splitlines()
        if line and not line.startswith((" ", "<"))
    }  # fmt: skip
    qt_dir = plugin.parents[2]
    missing, system = [], []
    for line in _run("ldd", str(plugin)).splitlines():
        m = re.match(r"\s*(\S+) => (.+?)(?: \(0x[0-9a-f]+\))?$", line)
        if not m:
            continue
        soname, where = m.groups()
        if where == "not found":
            if _debian_name(soname) not in wanted:
                missing.append(f"{soname} (not installed; {_debian_name(soname)}?)")
        elif qt_dir not in Path(where).resolve().parents:
            system.append(soname)
    owners: dict[str, set[str]] = {}
    for line in _run("dpkg-query", "-S", *(f"*/{s}" for s in system)).splitlines():
        listed, _, path = line.partition(": ")
        names = {p.strip().split(":")[0] for p in listed.split(",")}
        owners.setdefault(Path(path).name, set()).update(names)
    for soname in system:
        pkgs = owners.get(soname)
        if pkgs and not pkgs & closure:
            missing.append(f"{soname} (from {', '.join(sorted(pkgs))})")
    assert not missing, f"the README's apt-get line does not bring: {missing}"


# -- controls -----------------------------------------------------------------------------

# Keys Qt binds through a standard key, and the StandardKey the code must name for them.
STANDARD = {
    "Ctrl+O": "Open",
    "Ctrl+S": "Save",
    "Ctrl+Shift+S": "SaveAs",
    "Ctrl+Z": "Undo",
    "Ctrl+V": "Paste",
    "Ctrl+A": "SelectAll",
    "Ctrl++": "ZoomIn",
    "Ctrl+-": "ZoomOut",
    "F1": "HelpContents",
    "Ctrl+Q": "Quit",
    "Ctrl+,": "Preferences",
    "F11": "FullScreen",
}
# Keys the views handle themselves, and what in the code handles them.
HANDLED = {
    "Esc": "Key_Escape",
    "Tab": "focusNextPrevChild",
    "Shift+Tab": "focusNextPrevChild",
    "Space": "Key_Space",
    "\\": "Key_Backslash",
    "Arrow keys": "Key_Left",
    "Shift": "ShiftModifier",
    "Page Down": '"PgDown"',
    "Page Up": '"PgUp"',
}
MOUSE = re.compile(r"click|drag|wheel", re.I)


def gui_code() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "gui").rglob("*.py")))


def control_tokens() -> list[str]:
    """Every key or mouse gesture the controls table names, one per alternative."""
    rows = table(section("Controls"))[1:]
    assert len(rows) >= 20, "the controls table looks truncated"
    tokens = []
    for keys, _ in rows:
        for part in re.split(r" / | or |, |\(|\)", keys):
            part = part.strip()
            part = re.sub(r"^(?:hold|then) ", "", part)
            part = part.split(":")[0]  # "Shift: ten times"
            if part and part not in ("toggle",):
                tokens.append(part)
    return tokens


def _mouse_evidence(token: str) -> list[str]:
    low = token.lower()
    evidence = ["mousePressEvent"]
    if "right" in low:
        evidence.append("RightButton")
    if "middle" in low:
        evidence.append("MiddleButton")
    if "wheel" in low:
        evidence.append("wheelEvent")
    if "space+" in low:
        evidence.append("Key_Space")
    for mod, flag in (("shift+", "Shift"), ("ctrl+", "Control"), ("alt+", "Alt")):
        if mod in low:
            evidence.append(f"{flag}Modifier")
    return evidence


def test_every_control_in_the_table_exists_in_the_gui_code(qapp: Any) -> None:
    from PySide6.QtGui import QKeySequence

    code = gui_code()
    missing = []
    for token in control_tokens():
        if MOUSE.search(token):
            missing += [f"{token} ({e})" for e in _mouse_evidence(token) if e not in code]
        elif f'"{token}"' in code:
            continue  # a shortcut given as text
        elif token in HANDLED:
            if HANDLED[token] not in code:
                missing.append(f"{token} ({HANDLED[token]})")
        elif token in STANDARD:
            name = STANDARD[token]
            named = re.search(rf"\b(?:StandardKey|K)\.{name}\b", code)
            bound = QKeySequence(token) in QKeySequence.keyBindings(
                getattr(QKeySequence.StandardKey, name)
            )
            if not (named and bound):
                missing.append(f"{token} (StandardKey.{name})")
        else:
            missing.append(token)
    assert not missing, f"the controls table names keys the app does not have: {missing}"


def test_the_status_bar_reports_the_finish_as_the_readme_quotes_it() -> None:
    text = " ".join(section("Quick start").split())
    quoted = found(r'how long it took \("(.+?) in \.\.\. s"', text).group(1)
    assert f'"{quoted}' in gui_code(), f"the app never says {quoted!r}"


# -- CLI, formats and hint file -------------------------------------------------------------


def script_help(script: str, *args: str) -> str:
    """`script [args] --help` as pyproject.toml installs it, run in this process."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    module, _, func = pyproject["project"]["scripts"][script].partition(":")
    main = getattr(importlib.import_module(module), func)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main([*args, "--help"])
    return out.getvalue()


def cli_help() -> str:
    return script_help("huebrush-colorize")


def test_the_bench_commands_the_readme_names_exist() -> None:
    """Each `huebrush-bench COMMAND --option` in the README is a command with that option."""
    text = " ".join(readme().split())
    uses = re.findall(r"huebrush-bench ([a-z-]+)((?: --?[a-z-]+(?: [^-`][^ `]*)?)*)", text)
    assert {c for c, _ in uses} >= {"quality", "speed", "interactive"}
    for command, rest in uses:
        helped = script_help("huebrush-bench", command)
        for option in re.findall(r"--[a-z-]+", rest):
            assert option in helped, f"huebrush-bench {command} has no {option}"


def test_the_cli_options_in_the_readme_exist() -> None:
    text = section("Batch colouring: huebrush-colorize")
    options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]+", text))
    assert "--format" in options
    helped = set(re.findall(r"--[a-z][a-z-]+", cli_help()))
    assert options <= helped, f"not options of huebrush-colorize: {options - helped}"
    for name in ("views", "refine", "pass"):
        assert name in found(r"--finish \{([^}]*)\}", cli_help()).group(1)


def test_the_cli_formats_in_the_readme_are_the_clis() -> None:
    text = section("Batch colouring: huebrush-colorize")
    readme_formats = set(found(r"--format ([a-z|]+)", text).group(1).split("|"))
    choices = set(found(r"--format \{([^}]*)\}", cli_help()).group(1).split(","))
    aliases = {"tiff", "jpeg"}
    assert readme_formats == choices - aliases


FORMAT_SUFFIXES = {
    "JPEG": {".jpg", ".jpeg"},
    "PNG": {".png"},
    "TIFF": {".tif", ".tiff"},
    "BMP": {".bmp"},
    "WebP": {".webp"},
    "GIF": {".gif"},
}


def _named_formats(sentence: str) -> set[str]:
    suffixes: set[str] = set()
    for name, s in FORMAT_SUFFIXES.items():
        if re.search(rf"\b{name}\b", sentence):
            suffixes |= s
    return suffixes


def test_the_formats_in_the_readme_are_the_ones_the_code_reads_and_writes() -> None:
    text = " ".join(section("Files").split())
    reads = re.search(r"Huebrush reads (.*?)(?:,| and) 8 or 16 bits", text)
    writes = re.search(r"It writes (.*?);", text)
    assert reads and writes, "the Files section no longer says what is read and written"
    assert _named_formats(reads.group(1)) == set(model_attr("SUPPORTED_SUFFIXES"))
    assert _named_formats(writes.group(1)) == set(model_attr("SAVE_SUFFIXES"))
    sixteen = re.search(r"16 bits\s+stay 16 bits in (.*?)\.", text)
    assert sixteen and _named_formats(sixteen.group(1)) == set(model_attr("SIXTEEN_BIT_SUFFIXES"))


def test_the_hint_file_example_parses() -> None:
    Hints = model_attr("Hints")
    blocks = [b for b in code_blocks(section("The hint file")) if "huebrush-hints" in b]
    assert len(blocks) == 1
    hints = Hints.from_dict(json.loads(blocks[0]))
    assert len(hints.points) == 2 and len(hints.palette) == 2


# -- the quality and speed tables -----------------------------------------------------------


def test_the_quality_table_is_the_benchmark_of_the_shipped_weights() -> None:
    bench = json.loads((ROOT / "docs" / "bench" / "quality.json").read_text(encoding="utf-8"))
    weights = model_attr("default_weights_path")()
    assert bench["meta"]["weights"]["id"] == model_attr("file_hash")(weights), (
        "docs/bench/quality.json is not for the shipped weights: run huebrush-bench quality"
    )
    text = section("Quality")
    n = bench["meta"]["dataset"]["images"]
    assert f"{n} validation photos" in text
    size = bench["meta"]["eval_size"]
    assert f"{size}x{size}" in text
    header, *rows = table(text)
    engines = {"Huebrush, finished": "views", "Huebrush, one pass": "net", "Levin": "levin"}
    engines["grey"] = "gray"
    assert len(rows) == len(engines)
    for row in rows:
        engine = next(e for label, e in engines.items() if row[0].startswith(label))
        for points, cell in zip(header[1:], row[1:], strict=True):
            psnr = bench["results"][engine][points]["psnr"]
            assert cell == f"{psnr:.2f}", f"{row[0]}, {points} points: {cell} vs {psnr:.2f}"


def test_the_speed_table_is_the_speed_benchmark() -> None:
    bench = json.loads((ROOT / "docs" / "bench" / "speed.json").read_text(encoding="utf-8"))
    latency = [m for d in bench["devices"] if d["device"] == "cpu" for m in d["latency"]]
    text = section("Speed")
    threads = int(found(r"(\d+) threads", text).group(1))
    header, *rows = table(text)
    assert len(rows) >= 2
    for row in rows:
        size = int(row[0].split()[0])
        for precision, cell in zip(header[1:], row[1:], strict=True):
            (m,) = [
                m
                for m in latency
                if (m["precision"], m["working_size"], m["threads"], m["measure"])
                == (precision, size, threads, "predict")
            ]
            assert cell == f"{m['p50_ms']:.0f}", f"{size}, {precision}: {cell}"
    processor = bench["meta"]["machine"]["processor"]
    flat = " ".join(text.split())
    assert all(word in processor for word in ("Intel", "Xeon")) == ("Intel Xeon" in flat)
    export = bench["export"]
    assert f"24-megapixel photo took {export['total_s']:.1f} s" in flat
    assert round(export["width"] * export["height"] / 1e6) == 24


def test_a_cpu_without_bf16_runs_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    assert "A CPU without bf16 runs fp32 only" in " ".join(section("Speed").split())
    autocast_dtype = model_attr("autocast_dtype")
    device = importlib.import_module(autocast_dtype.__module__)
    cpu = torch.device("cpu")
    monkeypatch.setattr(device, "cpu_has_bf16", lambda: False)
    assert autocast_dtype(cpu) is None
    monkeypatch.setattr(device, "cpu_has_bf16", lambda: True)
    assert autocast_dtype(cpu) == torch.bfloat16
