import json
from pathlib import Path

import pytest

from model.colour.colorspace import hex_to_ab
from model.hints.document import HintError, Hints, PaletteColor, Point, sidecar_path

DOC = {
    "format": "huebrush-hints",
    "version": 1,
    "points": [
        {"x": 0.31, "y": 0.62, "ab": [12.0, -40.5], "size": 6},
        {"x": 0.80, "y": 0.10, "rgb": "#3a6fb0"},
    ],
    "palette": [{"rgb": "#c08040", "weight": 0.6}, {"ab": [5.0, 20.0], "weight": 0.4}],
    "saturation": None,
}


def test_reads_the_documented_example() -> None:
    h = Hints.from_dict(DOC)
    assert h.points[0] == Point(0.31, 0.62, (12.0, -40.5), 6)
    assert h.points[1].ab == pytest.approx(hex_to_ab("#3a6fb0"))
    assert h.points[1].size == 5
    assert h.palette[0].ab == pytest.approx(hex_to_ab("#c08040"))
    assert h.palette[1] == PaletteColor((5.0, 20.0), 0.4)
    assert h.saturation is None


def test_json_round_trip(tmp_path: Path) -> None:
    h = Hints.from_dict(DOC).with_saturation(0.4)
    p = tmp_path / "photo.hints.json"
    h.to_json(p)
    back = Hints.from_json(p)
    assert back.saturation == 0.4
    assert len(back.points) == 2 and back.points[0] == h.points[0]
    assert back.points[1].ab == pytest.approx(h.points[1].ab, abs=1e-3)
    assert not list(tmp_path.glob("*.tmp"))


def test_sidecar_path() -> None:
    assert sidecar_path("/a/b/photo.jpg") == Path("/a/b/photo.hints.json")


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"format": "other"}, "format"),
        ({"version": 2}, "version"),
        ({"points": [{"x": 1.5, "y": 0.5, "ab": [0, 0]}]}, "points[0].x"),
        ({"points": [{"x": 0.5, "y": 0.5}]}, "points[0]: give exactly one"),
        ({"points": [{"x": 0.5, "y": 0.5, "ab": [0, 0], "rgb": "#000000"}]}, "points[0]"),
        ({"points": [{"x": 0.5, "y": 0.5, "ab": [0]}]}, "points[0].ab"),
        ({"points": [{"x": 0.5, "y": 0.5, "ab": [0, 0], "size": 0}]}, "points[0].size"),
        ({"points": [{"x": 0.5, "y": 0.5, "ab": [0, 0], "size": 2.5}]}, "points[0].size"),
        ({"points": [{"x": "0.5", "y": 0.5, "ab": [0, 0]}]}, "points[0].x"),
        ({"points": [{"x": 0.5, "y": 0.5, "rgb": "blue"}]}, "points[0].rgb"),
        ({"points": [{"x": 0.5, "y": 0.5, "ab": [0, 0], "colour": 1}]}, "unknown field 'colour'"),
        ({"points": {"x": 1}}, "points: expected a list"),
        ({"palette": [{"ab": [0, 0], "weight": -1}]}, "palette[0].weight"),
        ({"saturation": 2}, "saturation"),
        ({"extra": 1}, "unknown field 'extra'"),
    ],
)
def test_bad_documents_name_the_field(patch: dict, field: str) -> None:
    doc = {**DOC, **patch}
    with pytest.raises(HintError, match=None) as e:
        Hints.from_dict(doc, "x.hints.json")
    assert field in str(e.value)
    assert "x.hints.json" in str(e.value)


def test_nan_and_huge_lists_rejected(tmp_path: Path) -> None:
    p = tmp_path / "bad.hints.json"
    p.write_text(
        '{"format": "huebrush-hints", "version": 1, "points": [{"x": NaN, "y": 0, "ab": [0,0]}]}'
    )
    with pytest.raises(HintError, match=r"bad\.hints\.json"):
        Hints.from_json(p)
    doc = {**DOC, "points": [{"x": 0.5, "y": 0.5, "ab": [0, 0]}] * 10_001}
    with pytest.raises(HintError, match="at most"):
        Hints.from_dict(doc)


def test_unreadable_and_invalid_json(tmp_path: Path) -> None:
    with pytest.raises(HintError, match=r"missing\.json"):
        Hints.from_json(tmp_path / "missing.json")
    p = tmp_path / "broken.json"
    p.write_text("{not json")
    with pytest.raises(HintError, match=r"broken\.json: not valid JSON"):
        Hints.from_json(p)
    p.write_text(json.dumps([1, 2]))
    with pytest.raises(HintError, match="expected an object"):
        Hints.from_json(p)


def test_point_edits_are_new_values() -> None:
    p = Point(0.5, 0.5, (1.0, 2.0), 5)
    assert p.moved(1.2, -0.1) == Point(1.0, 0.0, (1.0, 2.0), 5)
    assert p.resized(20).size == 9 and p.resized(0).size == 1
    assert p.recoloured((3, 4)).ab == (3.0, 4.0)
    assert p.ab == (1.0, 2.0)


def test_meta_survives_a_round_trip(tmp_path: Path) -> None:
    meta = {"author": "archive", "tags": ["1920s", "harbour"], "n": 3}
    h = Hints.from_dict({**DOC, "meta": meta})
    assert h.extra == meta
    p = tmp_path / "m.hints.json"
    h.to_json(p)
    assert json.loads(p.read_text())["meta"] == meta
    assert Hints.from_json(p).extra == meta
    # No meta in, none out: files written from plain hints stay minimal.
    Hints.from_dict(DOC).to_json(p)
    assert "meta" not in json.loads(p.read_text())


def test_oversized_file_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import model.hints.document as hints_module

    p = tmp_path / "big.hints.json"
    Hints.from_dict(DOC).to_json(p)
    size = p.stat().st_size
    monkeypatch.setattr(hints_module, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(HintError, match=r"big\.hints\.json: not a hint file"):
        Hints.from_json(p)
    monkeypatch.setattr(hints_module, "MAX_FILE_BYTES", size)
    assert len(Hints.from_json(p).points) == len(DOC["points"])
