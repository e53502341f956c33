from pathlib import Path

import numpy as np
from PIL import Image

from model.hints.document import Hints, Point
from model.inference import Colorizer
from tests.conftest import photo, tiny_net
from training.sheet import CELL, _cell, build, finished_rgb


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


def test_hinted_cells_are_finished_as_the_app_finishes_at_a_pause(tmp_path: Path) -> None:
    val, bw, hints = tmp_path / "val", tmp_path / "bw", tmp_path / "hints"
    for d in (val, bw, hints):
        d.mkdir()
    Image.fromarray(photo(40, 60, seed=3)).save(val / "v.png")
    Image.fromarray(photo(60, 48).mean(-1).astype("uint8")).save(bw / "old.jpg")
    h = Hints((Point(0.3, 0.6, (40.0, -20.0), 5), Point(0.7, 0.2, (-30.0, 30.0), 5)))
    h.to_json(hints / "old.hints.json")
    col = Colorizer(tiny_net(), device="cpu", working_size=64)
    sheet = build(col, val, bw, hints, n_val=1)
    grey = _cell(np.asarray(Image.open(bw / "old.jpg").convert("RGB")))
    x0, y0 = 2 * (grey.width + 4), CELL + 4  # third cell of the historical row
    want = _cell(finished_rgb(col, bw / "old.jpg", h), h.points)
    shown = np.asarray(sheet.crop((x0, y0, x0 + want.width, y0 + CELL)))
    np.testing.assert_array_equal(shown, np.asarray(want))
    one_pass = _cell(col.colorize(bw / "old.jpg", h), h.points)
    assert not np.array_equal(shown, np.asarray(one_pass))
