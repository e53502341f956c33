from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from model.cli import main
from model.colour.colorspace import rgb_to_lab
from model.hints.document import Hints, Point, sidecar_path


def test_colours_a_folder_with_sidecars_and_reports_bad_files(
    photo_dir: Path, tmp_path: Path, tiny_weights: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Hints((Point(0.5, 0.5, (30.0, 30.0), 5),)).to_json(sidecar_path(photo_dir / "p0.png"))
    (photo_dir / "broken.png").write_bytes(b"not an image at all")
    out = tmp_path / "out"
    args = ["--weights", str(tiny_weights), "--no-progress", "--save-hints"]
    code = main([str(photo_dir), "-o", str(out), *args])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.png" in err and "Traceback" not in err
    for i in range(3):
        res = out / f"p{i}_color.png"
        assert res.is_file()
        src = np.asarray(Image.open(photo_dir / f"p{i}.png"))
        got = np.asarray(Image.open(res))
        assert got.shape == src.shape
        assert (
            np.median(np.abs(rgb_to_lab(src / 255.0)[..., 0] - rgb_to_lab(got / 255.0)[..., 0]))
            < 0.5
        )
    # The hint file beside the output reproduces the input's sidecar; the photos coloured
    # without hints need none.
    assert (
        Hints.from_json(sidecar_path(out / "p0_color.png")).points
        == Hints.from_json(sidecar_path(photo_dir / "p0.png")).points
    )
    assert not sidecar_path(out / "p1_color.png").exists()


def test_never_overwrites_an_input(photo_dir: Path, tiny_weights: Path) -> None:
    first = photo_dir / "p1_color.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(first)
    before = first.read_bytes()
    code = main(
        [str(photo_dir), "-o", str(photo_dir), "--weights", str(tiny_weights), "--no-progress"]
    )
    assert code == 0
    assert first.read_bytes() == before  # an input, so its colourised twin went elsewhere
    assert (photo_dir / "p1_color_color.png").is_file()
    assert (photo_dir / "p0_color.png").is_file()


def test_levin_engine_follows_the_hints(photo_dir: Path, tmp_path: Path) -> None:
    grey = tmp_path / "grey.png"
    Image.fromarray(np.full((40, 60), 128, np.uint8)).save(grey)
    hints = tmp_path / "h.json"
    Hints((Point(0.5, 0.5, (0.0, 60.0), 5),)).to_json(hints)
    code = main(
        [
            str(grey),
            "-o",
            str(tmp_path / "o"),
            "--engine",
            "levin",
            "--hints",
            str(hints),
            "--no-progress",
        ]
    )
    assert code == 0
    out = np.asarray(Image.open(tmp_path / "o" / "grey_color.png")) / 255.0
    ab = rgb_to_lab(out)[..., 1:]
    assert ab[..., 1].mean() > 30  # one yellow hint on a flat photo colours all of it


def test_sixteen_bit_in_gives_sixteen_bit_out(tmp_path: Path, tiny_weights: Path) -> None:
    arr = (np.linspace(0, 65535, 48 * 64).reshape(48, 64)).astype(np.uint16)
    src = tmp_path / "deep.png"
    Image.fromarray(arr).save(src)
    assert (
        main([str(src), "-o", str(tmp_path / "o"), "--weights", str(tiny_weights), "--no-progress"])
        == 0
    )
    from model.io.load import load_image

    out = load_image(tmp_path / "o" / "deep_color.png")
    assert out.bit_depth == 16
    assert np.abs(out.L - load_image(src).L).max() < 0.05


def test_bad_arguments(tmp_path: Path, photo_dir: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main([str(photo_dir), "-o", str(tmp_path / "o"), "--hints", str(bad)]) == 2
    assert main([str(photo_dir), "-o", str(tmp_path / "o"), "--weights", str(bad)]) == 2
    assert main([str(photo_dir), "-o", str(tmp_path / "o"), "--palette", "#zzz"]) == 2


def test_output_format_follows_the_source_unless_asked(tmp_path: Path, tiny_weights: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    grey = np.tile(np.linspace(0, 255, 48, dtype=np.uint8), (32, 1))
    for name in ("scan.tif", "shot.jpg", "shot.png"):
        Image.fromarray(grey).save(src / name)
    out = tmp_path / "out"
    args = ["--weights", str(tiny_weights), "--no-progress"]
    assert main([str(src), "-o", str(out), *args]) == 0
    # A TIFF scan stays TIFF (its IPTC needs it); shot.jpg and shot.png both want
    # shot_color.png, and neither may overwrite the other.
    names = sorted(p.name for p in out.iterdir() if not p.name.endswith(".json"))
    assert names == ["scan_color.tif", "shot_color.png", "shot_color_2.png"]
    assert Image.open(out / "scan_color.tif").format == "TIFF"
    again = tmp_path / "again"
    assert main([str(src / "scan.tif"), "-o", str(again), "--format", "jpg", *args]) == 0
    assert Image.open(again / "scan_color.jpg").format == "JPEG"


def test_unknown_output_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(tmp_path), "-o", str(tmp_path / "o"), "--format", "gif"])
    assert exc.value.code == 2


def test_the_hint_files_enhancement_is_used_unless_overridden(
    tmp_path: Path, tiny_weights: Path
) -> None:
    from model.io.text import read_metadata

    faded = tmp_path / "faded.png"
    Image.fromarray(np.tile(np.linspace(100, 140, 48).astype(np.uint8), (32, 1))).save(faded)
    Hints().with_enhance("stretch").to_json(sidecar_path(faded))
    args = ["--weights", str(tiny_weights), "--no-progress", "--save-hints"]
    assert main([str(faded), "-o", str(tmp_path / "a"), *args]) == 0
    assert "stretch" in read_metadata(tmp_path / "a" / "faded_color.png")["Description"]
    assert Hints.from_json(sidecar_path(tmp_path / "a" / "faded_color.png")).enhance == "stretch"
    assert main([str(faded), "-o", str(tmp_path / "b"), "--enhance", "none", *args]) == 0
    assert "stretch" not in read_metadata(tmp_path / "b" / "faded_color.png")["Description"]
    # Nothing to keep beyond what the metadata says: no hint file.
    assert not sidecar_path(tmp_path / "b" / "faded_color.png").exists()


def test_keep_rest_comes_from_the_hint_file_unless_overridden(
    photo_dir: Path, tmp_path: Path, tiny_weights: Path
) -> None:
    src = photo_dir / "p0.png"
    Hints((Point(0.5, 0.5, (60.0, 40.0), 5),), keep_rest=True).to_json(sidecar_path(src))
    base = [str(src), "--weights", str(tiny_weights), "--no-progress", "--save-hints", "-o"]
    runs = {"file": [], "off": ["--no-keep-rest"], "on": ["--keep-rest"]}
    got = {}
    for name, extra in runs.items():
        out = tmp_path / name
        assert main([*base, str(out), *extra]) == 0
        got[name] = np.asarray(Image.open(out / "p0_color.png"))
        assert Hints.from_json(sidecar_path(out / "p0_color.png")).keep_rest == (name != "off")
    np.testing.assert_array_equal(got["file"], got["on"])
    assert not np.array_equal(got["file"], got["off"])  # the anchors changed the colours


def test_photos_with_points_are_finished_as_asked(
    photo_dir: Path, tmp_path: Path, tiny_weights: Path
) -> None:
    src = photo_dir / "p0.png"
    Hints((Point(0.3, 0.4, (60.0, 40.0), 5), Point(0.7, 0.6, (-30.0, 20.0), 3))).to_json(
        sidecar_path(src)
    )
    bare = photo_dir / "p1.png"  # no hint file: one pass whatever the finish
    base = [str(src), str(bare), "--weights", str(tiny_weights), "--no-progress", "-o"]
    runs = {"views": [], "pass": ["--finish", "pass"], "refine": ["--refine"]}
    got, bare_got = {}, {}
    for name, extra in runs.items():
        out = tmp_path / name
        assert main([*base, str(out), *extra]) == 0
        done = Image.open(out / "p0_color.png")
        got[name] = np.asarray(done)
        bare_got[name] = np.asarray(Image.open(out / "p1_color.png"))
        said = done.text["Description"]
        assert ("six views" in said) == (name == "views"), said
        assert ("refined to the points" in said) == (name == "refine"), said
        assert "six views" not in Image.open(out / "p1_color.png").text["Description"]
    assert not np.array_equal(got["views"], got["pass"])
    assert not np.array_equal(got["refine"], got["views"])
    assert np.array_equal(bare_got["views"], bare_got["pass"])
    assert np.array_equal(bare_got["refine"], bare_got["pass"])
