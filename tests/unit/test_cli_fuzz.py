"""Property test of `huebrush-colorize`'s command line: whatever paths, palettes, hint files
and sizes it is given (photos, junk, FIFOs, devices, folders, links, missing files; NaN,
infinities, huge and negative numbers), it answers with an exit status and lines of its own:
never a traceback, never a hang, and never a change to a file it was given.

Derandomized with no example database, so CI sees the same cases every time, each under a
time limit. A deeper local run: HUEBRUSH_CLI_FUZZ_EXAMPLES=500 pytest tests/unit/test_cli_fuzz.py
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from model.cli import main
from model.network.weights import save_weights
from tests.conftest import tiny_net
from tests.unit.cli_helpers import grey_photo, needs_posix, time_limit

pytestmark = needs_posix

CASE_SECONDS = 60  # one case; the slowest real one takes a second or two

SETTINGS = settings(
    max_examples=int(os.environ.get("HUEBRUSH_CLI_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# What the user's folder holds; "" and "-" are arguments people mistype.
PHOTOS = ["in/a.png", "in/b.jpg", "in/c.tif", "in/link.png", "in"]
ODD = ["in/pipe.png", "in/dir.png", "in/junk.png", "in/empty.png", "missing.png", "/dev/zero"]
ODD += ["/dev/null", "", "-"]
HINTS = ["hints/ok.json", "hints/nan.json", "hints/deep.json", "hints/pipe.json", "hints"]
HINTS += ["/dev/zero", "missing.json", "in/a.png"]
DOC = {"format": "huebrush-hints", "version": 1}
NUMBERS = ["0", "1", "-1", "0.5", "1e6", "1e39", "inf", "-inf", "nan", "NaN", "1_0", "", "x"]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli_fuzz")
    d = root / "in"
    grey_photo(d / "a.png", 24, 32)
    grey_photo(d / "b.jpg", 24, 32)
    grey_photo(d / "c.tif", 24, 32)
    point = {"x": 0.5, "y": 0.5, "rgb": "#3a6fb0"}
    (d / "a.hints.json").write_text(json.dumps({**DOC, "points": [point]}))
    (d / "b.hints.json").write_text("{not json")
    (d / "link.png").symlink_to(d / "a.png")
    os.mkfifo(d / "pipe.png")
    os.mkfifo(d / "c.hints.json")  # the TIFF's hint file is a FIFO
    (d / "dir.png").mkdir()
    (d / "junk.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (d / "empty.png").write_bytes(b"")
    h = root / "hints"
    h.mkdir()
    (h / "ok.json").write_text(json.dumps({**DOC, "saturation": 0.3}))
    (h / "nan.json").write_text('{"format": "huebrush-hints", "version": 1, "saturation": NaN}')
    (h / "deep.json").write_text("[" * 50_000)
    os.mkfifo(h / "pipe.json")
    save_weights(tiny_net(), root / "tiny.safetensors")
    return root


def _palette() -> st.SearchStrategy[str]:
    colour = st.sampled_from(["#c08040", "#3a6fb0", "#000", "#zzzzzz", "c08040", "", "#"])
    weight = st.one_of(
        st.just(""),
        st.sampled_from(NUMBERS).map(lambda n: f":{n}"),
        st.floats(allow_nan=True, allow_infinity=True).map(lambda f: f":{f!r}"),
    )
    item = st.tuples(colour, weight).map("".join)
    return st.one_of(
        st.lists(item, min_size=0, max_size=4).map(",".join),
        st.integers(60, 70).map(lambda n: ",".join(["#c08040"] * n)),
        st.text(max_size=12),
    )


def _options() -> st.SearchStrategy[list[str]]:
    number = st.one_of(st.sampled_from(NUMBERS), st.floats().map(repr), st.text(max_size=6))
    size = st.one_of(st.sampled_from(["64", "96", "0", "-32", "63", "2049", "10**9"]), number)
    pairs = {
        "--palette": _palette(),
        "--saturation": number,
        "--working-size": size,
        "--max-megapixels": st.one_of(st.sampled_from(["1", "1e-6", "0.0001"]), number),
        "--hints": st.sampled_from(HINTS),
        "--format": st.sampled_from(["auto", "png", "jpg", "bmp", "tif", "gif", "", "PNG"]),
        "--enhance": st.sampled_from(["stretch", "none", "equalize", "x"]),
    }
    flags = ["--overwrite", "--save-hints", "--strip-metadata", "--keep-rest", "--enhance-output"]
    chosen = st.lists(
        st.one_of(
            st.sampled_from(list(pairs)).flatmap(lambda k: pairs[k].map(lambda v: [k, v])),
            st.sampled_from(flags).map(lambda f: [f]),
        ),
        max_size=4,
    )
    return chosen.map(lambda parts: [x for part in parts for x in part])


def _state(root: Path) -> dict[str, tuple[int, bytes | str]]:
    """Every entry under root: its kind, and a file's content or a link's target."""
    out: dict[str, tuple[int, bytes | str]] = {}
    for p in root.rglob("*"):
        st_mode = p.lstat().st_mode
        if stat.S_ISLNK(st_mode):
            out[str(p.relative_to(root))] = (st_mode, os.readlink(p))
        elif stat.S_ISREG(st_mode):
            out[str(p.relative_to(root))] = (st_mode, p.read_bytes())
        else:
            out[str(p.relative_to(root))] = (st_mode, "")
    return out


_cases = itertools.count()


@SETTINGS
@given(
    paths=st.lists(st.sampled_from(PHOTOS + ODD), min_size=1, max_size=3),
    options=_options(),
    into_inputs=st.booleans(),
)
def test_any_command_line_answers_in_its_own_words(
    zoo: Path, paths: list[str], options: list[str], into_inputs: bool
) -> None:
    before = _state(zoo)
    out = zoo / "in" if into_inputs else zoo.parent / f"{zoo.name}-out{next(_cases)}"
    argv = [p if p in ("", "-") or p.startswith("/") else str(zoo / p) for p in paths]
    argv += ["-o", str(out), *options]
    argv += ["--weights", str(zoo / "tiny.safetensors"), "--finish", "pass", "--no-progress"]
    said_out, said_err = io.StringIO(), io.StringIO()
    with (
        time_limit(CASE_SECONDS),
        contextlib.redirect_stdout(said_out),
        contextlib.redirect_stderr(said_err),
    ):
        try:
            code = main(argv)
        except SystemExit as e:  # argparse: an unknown choice or a value of the wrong type
            code = e.code
    err = said_err.getvalue()
    event(f"exit status {code}")  # --hypothesis-show-statistics
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and '  File "' not in err, (argv, err)
    if code == 1:
        assert err.strip(), argv  # each failure says why
    after = _state(zoo)
    for name, entry in before.items():
        assert after.get(name) == entry, (argv, name)  # inputs untouched
    if out.is_dir():
        left = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
        empty = [p.name for p in out.glob("*_color*") if p.is_file() and p.stat().st_size == 0]
        assert not left and not empty, (argv, left, empty)
    for name in set(after) - set(before):  # the outputs written among the inputs
        (zoo / name).unlink()
