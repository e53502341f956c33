from pathlib import Path

from PIL import Image

from model.hints import Hints, Point
from model.inference import Colorizer
from tests.conftest import photo, tiny_net
from training.sheet import CELL, build


def test_contact_sheet_has_a_row_per_photo(tmp_path: Path) -> None:
    val, bw, hints = tmp_path / "val", tmp_path / "bw", tmp_path / "hints"
    for d in (val, bw, hints):
        d.mkdir()
    for i in range(2):
        Image.fromarray(photo(40, 60, seed=i)).save(val / f"v{i}.png")
    Image.fromarray(photo(50, 40).mean(-1).astype("uint8")).save(bw / "old.jpg")
    Hints((Point(0.5, 0.5, (20.0, 30.0), 5),)).to_json(hints / "old.hints.json")
    sheet = build(Colorizer(tiny_net(), device="cpu", working_size=64), val, bw, hints, n_val=2)
    assert sheet.height == 3 * (CELL + 4)
    # Validation rows: grey, automatic, 5 points, truth; historical rows: grey, auto, hinted.
    assert sheet.width >= 4 * CELL  # validation photos are squashed square, as in the protocol
