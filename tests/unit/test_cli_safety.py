"""The batch CLI never loses what the user made: their hint files and exports, their inputs.

Each test is a reproduction from a probe of `huebrush-colorize` (hint files overwritten,
unchecked palette weights, FIFOs and devices, existing files replaced, messages).
"""

from __future__ import annotations

import json
import os
import stat
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.cli import build_parser, main
from model.colour.colorspace import rgb_to_lab
from model.hints.document import Hints, Point, sidecar_path
from model.io.text import read_metadata
from tests.unit.cli_helpers import grey_photo, needs_posix, time_limit

GREEN = {"x": 0.5, "y": 0.5, "rgb": "#00ff00", "size": 9}


def _hint_file(path: Path, *points: dict) -> Path:
    doc = {"format": "huebrush-hints", "version": 1, "points": list(points)}
    path.write_text(json.dumps(doc))
    return path


def _run(*args: str | Path, weights: Path) -> int:
    return main([*map(str, args), "--weights", str(weights), "--finish", "pass", "--no-progress"])


def _images(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".json"))


def _same_points(a: Path, b: Path) -> None:
    """The hint files a and b hold the same points (ab is written rounded to 0.001)."""
    got, want = Hints.from_json(a).points, Hints.from_json(b).points
    assert [(p.x, p.y, p.size) for p in got] == [(p.x, p.y, p.size) for p in want]
    for p, q in zip(got, want, strict=True):
        assert p.ab == pytest.approx(q.ab, abs=1e-3)


# -- 1. hint files ---------------------------------------------------------------------------


def test_an_outputs_hint_file_never_replaces_a_users(tmp_path: Path, tiny_weights: Path) -> None:
    s = tmp_path / "s"
    grey_photo(s / "b.jpg")
    grey_photo(s / "b_color.jpg")
    users = _hint_file(s / "b_color.hints.json", GREEN)
    before = users.read_bytes()
    assert _run(s, "-o", s, "--save-hints", weights=tiny_weights) == 0
    assert users.read_bytes() == before
    # b.jpg's output could not take b_color.png: its hint-file name is the user's.
    assert _images(s) == ["b.jpg", "b_color.jpg", "b_color_2.png", "b_color_color.png"]
    # b_color.jpg was coloured with the user's green point, which its hint file records.
    _same_points(sidecar_path(s / "b_color_color.png"), users)
    assert not sidecar_path(s / "b_color_2.png").exists()  # no hints: nothing to keep


def test_no_two_outputs_share_a_hint_file(tmp_path: Path, tiny_weights: Path) -> None:
    jpg, tif = grey_photo(tmp_path / "d1" / "a.jpg"), grey_photo(tmp_path / "d2" / "a.tif")
    _hint_file(sidecar_path(jpg), {"x": 0.2, "y": 0.2, "rgb": "#ff0000"})
    _hint_file(sidecar_path(tif), {"x": 0.8, "y": 0.8, "rgb": "#0000ff"})
    out = tmp_path / "out"
    assert _run(jpg, tif, "-o", out, "--save-hints", weights=tiny_weights) == 0
    assert _images(out) == ["a_color.png", "a_color_2.tif"]
    for src, dest in ((jpg, "a_color.png"), (tif, "a_color_2.tif")):
        _same_points(sidecar_path(out / dest), sidecar_path(src))
    # Without --save-hints the names are the same (a later run with it replaces them).
    again = tmp_path / "again"
    assert _run(jpg, tif, "-o", again, weights=tiny_weights) == 0
    assert sorted(p.name for p in again.iterdir()) == ["a_color.png", "a_color_2.tif"]


def test_hint_files_are_opt_in_and_only_for_photos_with_hints(
    photo_dir: Path, tmp_path: Path, tiny_weights: Path
) -> None:
    Hints((Point(0.5, 0.5, (30.0, 30.0), 5),)).to_json(sidecar_path(photo_dir / "p0.png"))
    out = tmp_path / "out"
    assert _run(photo_dir, "-o", out, weights=tiny_weights) == 0
    assert not list(out.glob("*.json"))
    assert _run(photo_dir, "-o", out, "--save-hints", weights=tiny_weights) == 0
    assert sorted(p.name for p in out.glob("*.json")) == ["p0_color.hints.json"]
    # A later run without hints for p0 removes the earlier run's now wrong hint file.
    (photo_dir / "p0.hints.json").unlink()
    assert _run(photo_dir, "-o", out, "--save-hints", weights=tiny_weights) == 0
    assert not list(out.glob("*.json"))


def test_help_names_no_issue_numbers() -> None:
    text = build_parser().format_help()
    assert "issue" not in text.lower() and "#" not in text.replace("'#c08040,#3a6fb0'", "")
    for flag in ("--overwrite", "--save-hints", "--max-megapixels"):
        assert flag in text


# -- 2. numbers from the command line ---------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        ["--palette", "#c08040:inf"],
        ["--palette", "#c08040:1e39"],
        ["--palette", "#c08040:nan"],
        ["--palette", "#c08040:-1"],
        ["--palette", "#c08040:x"],
        ["--palette", ",".join(["#c08040"] * 65)],
        ["--saturation", "nan"],
        ["--saturation", "1.5"],
        ["--working-size", "0"],
        ["--working-size", "1000000"],
        ["--max-megapixels", "nan"],
        ["--max-megapixels", "-1"],
    ],
)
def test_bad_numbers_are_refused_in_one_line(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    src = grey_photo(tmp_path / "base.png")
    out = tmp_path / "o"
    assert _run(src, "-o", out, *extra, weights=tiny_weights) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and extra[0] in err, err
    assert not out.exists()  # refused before anything was written


def test_palette_weights_within_the_hint_files_limits_work(
    tmp_path: Path, tiny_weights: Path
) -> None:
    src = grey_photo(tmp_path / "base.png")
    out = tmp_path / "o"
    args = ["--palette", "#c08040:1e6,#3a6fb0:0", "--save-hints"]
    assert _run(src, "-o", out, *args, weights=tiny_weights) == 0
    L = rgb_to_lab(np.asarray(Image.open(out / "base_color.png")) / 255.0)[..., 0]
    L_src = rgb_to_lab(np.asarray(Image.open(src).convert("RGB")) / 255.0)[..., 0]
    assert np.abs(L - L_src).max() < 1.0  # the lightness survived
    # The hint file it wrote reads back (no NaN, no Infinity).
    assert [c.weight for c in Hints.from_json(sidecar_path(out / "base_color.png")).palette] == [
        1e6,
        0.0,
    ]


def test_a_hint_file_with_nan_is_never_written(tmp_path: Path) -> None:
    bad = Hints().with_saturation(float("nan"))
    with pytest.raises(ValueError):
        bad.to_json(tmp_path / "x.hints.json")
    assert not (tmp_path / "x.hints.json").exists()


def test_palette_too_long_with_the_photos_own_is_one_photos_error(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full, plain = grey_photo(tmp_path / "in" / "full.png"), grey_photo(tmp_path / "in" / "p.png")
    doc = {"format": "huebrush-hints", "version": 1, "palette": [{"rgb": "#808080"}] * 64}
    sidecar_path(full).write_text(json.dumps(doc))
    assert _run(full, plain, "-o", tmp_path / "o", "--palette", "#c08040", weights=tiny_weights)
    err = capsys.readouterr().err
    assert "full.png" in err and "65 palette colours" in err and "Traceback" not in err
    assert _images(tmp_path / "o") == ["p_color.png"]


# -- 3. paths that are not files --------------------------------------------------------------


@needs_posix
def test_a_fifo_or_device_as_hint_file_is_refused_at_once(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = grey_photo(tmp_path / "base.png")
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    for hints in (fifo, Path("/dev/zero"), tmp_path):
        with time_limit(30):
            assert _run(src, "-o", tmp_path / "o", "--hints", hints, weights=tiny_weights) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and str(hints) in err, err


@needs_posix
def test_fifos_among_the_inputs_are_refused_and_the_batch_goes_on(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    d = tmp_path / "in"
    grey_photo(d / "a.png")
    grey_photo(d / "b.png")
    os.mkfifo(d / "pipe.png")
    os.mkfifo(d / "b.hints.json")  # b's hint file is a FIFO
    out = tmp_path / "o"
    with time_limit(60):
        code = _run(
            d / "a.png", d / "pipe.png", d / "b.png", "/dev/zero", "-o", out, weights=tiny_weights
        )
    err = capsys.readouterr().err
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 3 and "Traceback" not in err, err
    assert "pipe.png: is a named pipe (FIFO)" in err
    assert "b.hints.json: is a named pipe (FIFO)" in err
    assert "zero: is a device" in err
    assert _images(out) == ["a_color.png"]


# -- 5. existing files in the output folder ---------------------------------------------------


def test_the_users_own_files_are_never_replaced(tmp_path: Path, tiny_weights: Path) -> None:
    d = tmp_path / "same2"
    src = grey_photo(d / "b.jpg")
    users = grey_photo(d / "b_color.jpg", value=10)
    users.chmod(0o444)
    before = users.read_bytes()
    assert _run(src, "-o", d, "--format", "jpg", weights=tiny_weights) == 0
    assert users.read_bytes() == before
    assert _images(d) == ["b.jpg", "b_color.jpg", "b_color_2.jpg"]
    # Running again replaces its own earlier output, and only that.
    ours = d / "b_color_2.jpg"
    os.utime(ours, (0, 0))
    assert _run(src, "-o", d, "--format", "jpg", weights=tiny_weights) == 0
    assert _images(d) == ["b.jpg", "b_color.jpg", "b_color_2.jpg"]
    assert ours.stat().st_mtime > 0
    assert read_metadata(ours)["Software"].startswith("Huebrush ")
    # --overwrite is the user's say-so.
    assert _run(src, "-o", d, "--format", "jpg", "--overwrite", weights=tiny_weights) == 0
    assert users.read_bytes() != before
    assert stat.S_IMODE(users.stat().st_mode) == 0o444  # a replaced file keeps its mode


def test_runs_with_different_photos_of_one_name_keep_each_others_results(
    tmp_path: Path, tiny_weights: Path
) -> None:
    one, two = (
        grey_photo(tmp_path / "d1" / "a.png"),
        grey_photo(tmp_path / "d2" / "a.png", value=90),
    )
    out = tmp_path / "out"
    assert _run(one, "-o", out, weights=tiny_weights) == 0
    first = (out / "a_color.png").read_bytes()
    assert _run(two, "-o", out, weights=tiny_weights) == 0
    assert (out / "a_color.png").read_bytes() == first
    assert _images(out) == ["a_color.png", "a_color_2.png"]
    # Each run again replaces its own.
    assert _run(two, "-o", out, weights=tiny_weights) == 0
    assert _run(one, "-o", out, weights=tiny_weights) == 0
    assert _images(out) == ["a_color.png", "a_color_2.png"]


def test_claims_at_the_same_time_never_share_a_name(tmp_path: Path) -> None:
    from model.io.claims import OutputClaims

    one, two = grey_photo(tmp_path / "d1" / "a.png"), grey_photo(tmp_path / "d2" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    run_a, run_b = OutputClaims(out, [one]), OutputClaims(out, [two])
    a, b = run_a.claim(one, ".png"), run_b.claim(two, ".png")  # neither has written yet
    assert a != b
    run_a.release(a)
    run_b.release(b)
    assert not list(out.iterdir())  # placeholders of photos that failed are removed


@needs_posix
def test_links_folders_and_bmps_in_the_way_are_passed_over(
    tmp_path: Path, tiny_weights: Path
) -> None:
    src = grey_photo(tmp_path / "in" / "a.png")
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = grey_photo(tmp_path / "elsewhere.png", value=5)
    (out / "a_color.png").symlink_to(elsewhere)
    (out / "a_color_2.png").mkdir()
    assert _run(src, "-o", out, weights=tiny_weights) == 0
    assert (out / "a_color.png").is_symlink() and (out / "a_color_3.png").is_file()
    assert _run(src, "-o", out, "--format", "bmp", weights=tiny_weights) == 0
    assert _run(src, "-o", out, "--format", "bmp", weights=tiny_weights) == 0
    # A BMP cannot say who wrote it, so the second run could not know it was its own.
    assert sorted(p.name for p in out.glob("*.bmp")) == ["a_color.bmp", "a_color_2.bmp"]


# -- 8. messages ------------------------------------------------------------------------------


def test_a_failed_hint_file_leaves_the_image_counted_as_written(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    src = grey_photo(tmp_path / "a.png")
    _hint_file(sidecar_path(src), GREEN)

    def full_disk(self: Hints, path: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Hints, "to_json", full_disk)
    out = tmp_path / "o"
    assert _run(src, "-o", out, "--save-hints", weights=tiny_weights) == 1
    captured = capsys.readouterr()
    assert "1 colourised, 0 failed" in captured.out
    assert captured.err.strip() == (
        "a.png: written, but not its hint file a_color.hints.json (No space left on device)"
    )
    assert (out / "a_color.png").is_file()


def _tiff_with_a_bad_tag(path: Path) -> Path:
    """A float TIFF (read by tifffile) whose Software tag points past the end of the file."""
    import tifffile

    pixels = np.full((24, 32, 3), 0.5, np.float32)
    tifffile.imwrite(path, pixels, photometric="rgb", software="x" * 16)
    data = bytearray(path.read_bytes())
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack_from("<I", data, 4)[0]
    for i in range(struct.unpack_from("<H", data, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", data, entry)[0] == 305:
            struct.pack_into("<I", data, entry + 8, 0xFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_library_warnings_do_not_add_lines(
    tmp_path: Path, tiny_weights: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    src = _tiff_with_a_bad_tag(tmp_path / "warned.tif")
    assert _run(src, "-o", tmp_path / "o", weights=tiny_weights) == 0
    err = capfd.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("warned.tif: a library warned: ")


def test_the_size_limit_message_names_the_flag(
    tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = grey_photo(tmp_path / "big.png", h=100, w=120)  # 0.012 megapixels
    out = tmp_path / "o"
    assert _run(src, "-o", out, "--max-megapixels", "0.01", weights=tiny_weights) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "over the limit of 0.01 megapixels; --max-megapixels 1 allows it" in err
    assert "load_image" not in err
    assert _run(src, "-o", out, "--max-megapixels", "1", weights=tiny_weights) == 0
