"""Property-based fuzzing of untrusted input: hint documents and image files.

Only the documented error may come out of a parser fed garbage (HintError, ImageLoadError),
never a stray OverflowError or IndexError. The runs are bounded (~150 examples each) and
derandomized with no example database, so CI sees the same inputs every time in a few seconds.
A deeper local run: HUEBRUSH_FUZZ_EXAMPLES=5000 HUEBRUSH_FUZZ_SEED=1 pytest tests/unit/test_fuzz.py
"""

from __future__ import annotations

import copy
import io
import json
import os
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tifffile
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from PIL import Image

from model.hints.document import SCHEMA_PATH, HintError, Hints
from model.io.errors import ImageLoadError
from model.io.load import load_image
from model.io.pixels import LoadedImage
from model.io.save import save_image

_SEED = os.environ.get("HUEBRUSH_FUZZ_SEED")
FUZZ = settings(
    max_examples=int(os.environ.get("HUEBRUSH_FUZZ_EXAMPLES", "150")),
    deadline=None,
    derandomize=_SEED is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(test: Callable[..., None]) -> Callable[..., None]:
    """FUZZ settings, plus a fixed seed when HUEBRUSH_FUZZ_SEED is set."""
    test = FUZZ(test)
    return seed(int(_SEED))(test) if _SEED is not None else test


# Mutated headers may claim larger images than the seeds; this keeps every decode small.
FUZZ_MAX_PIXELS = 1_000_000

VALIDATOR = Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Hypothesis runs a test body many times per call and refuses function-scoped fixtures.
    return tmp_path_factory.mktemp("fuzz")


# --------------------------------------------------------------------------- hint documents

FIELD_NAMES = ["format", "version", "points", "palette", "saturation", "meta"]
FIELD_NAMES += ["x", "y", "ab", "rgb", "size", "weight"]

# Values near the edges of what the parser accepts, plus integers no float can hold.
EDGE_VALUES = [0, 1, 1.0, -1, 0.5, 9, 10, 128, -128.5, 1e6, 10**400, -(10**400), 1e308]
EDGE_VALUES += ["huebrush-hints", "#3a6fb0", "#abc", "", True, False, None, [], {}]

near_hex = st.builds(
    lambda pre, digits, post: pre + digits + post,
    st.sampled_from(["", "#", "##", " ", "\u00a0", "\x1c", "# "]),
    st.text("0123456789abcdefABCDEFg", max_size=7),
    st.sampled_from(["", " ", "\n", "#", "\t"]),
)
json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | near_hex
    | st.sampled_from(EDGE_VALUES)
)
json_values = st.recursive(
    json_leaves,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
fractions = st.floats(0.0, 1.0)
ab_values = st.lists(st.floats(-128.0, 128.0), min_size=2, max_size=2)
colour = st.one_of(
    st.fixed_dictionaries({"ab": ab_values}),
    st.fixed_dictionaries({"rgb": st.from_regex(r"\A#[0-9a-f]{6}\Z")}),
)
points = st.builds(
    lambda c, xy, size: {**c, **xy, **size},
    colour,
    st.fixed_dictionaries({"x": fractions, "y": fractions}),
    st.fixed_dictionaries({}, optional={"size": st.integers(1, 9)}),
)
palette_colours = st.builds(
    lambda c, w: {**c, **w},
    colour,
    st.fixed_dictionaries({}, optional={"weight": st.floats(0.0, 1e6)}),
)
valid_docs = st.fixed_dictionaries(
    {"format": st.just("huebrush-hints"), "version": st.just(1)},
    optional={
        "points": st.none() | st.lists(points, max_size=4),
        "palette": st.none() | st.lists(palette_colours, max_size=3),
        "saturation": st.none() | fractions,
        "meta": st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=2),
    },
)


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a document, the root's own slot first."""
    out: list[tuple[Any, Any]] = []
    stack = [value]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node))
        for key in keys:
            out.append((node, key))
            if isinstance(node[key], dict | list):
                stack.append(node[key])
    return out


def _mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """One structural edit somewhere in doc: replace, delete, add a field, or grow a list."""
    doc = copy.deepcopy(doc)
    slots = _slots(doc)
    if not slots:
        doc[data.draw(st.sampled_from(FIELD_NAMES))] = data.draw(json_values)
        return doc
    node, key = data.draw(st.sampled_from(slots))
    op = data.draw(st.sampled_from(["replace", "delete", "add", "grow"]))
    if op == "replace" or (op == "delete" and isinstance(node, list)):
        node[key] = data.draw(json_values)
    elif op == "delete":
        del node[key]
    elif op == "add" and isinstance(node[key], dict):
        node[key][data.draw(st.sampled_from(FIELD_NAMES) | st.text(max_size=6))] = data.draw(
            json_values
        )
    elif isinstance(node[key], list):
        node[key].append(copy.deepcopy(node[key][0]) if node[key] else data.draw(json_values))
    else:
        node[key] = [node[key]]
    return doc


def _parse(doc: Any) -> bool:
    """True if the parser accepts doc; any exception but HintError fails the test."""
    try:
        hints = Hints.from_dict(doc, "fuzz.hints.json")
    except HintError as e:
        assert str(e).startswith("fuzz.hints.json")
        return False
    assert isinstance(hints, Hints)
    return True


@fuzz
@given(doc=valid_docs)
def test_valid_documents_parse_and_round_trip(doc: dict[str, Any]) -> None:
    assert _parse(doc)
    assert VALIDATOR.is_valid(doc)
    hints = Hints.from_dict(doc)
    again = Hints.from_dict(json.loads(json.dumps(hints.to_dict())))
    assert again.points == tuple(
        p.recoloured((round(p.ab[0], 3), round(p.ab[1], 3))) for p in hints.points
    )
    assert again.saturation == hints.saturation


@fuzz
@given(doc=valid_docs, data=st.data())
def test_mutated_documents_only_raise_hint_error_and_match_the_schema(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    for _ in range(data.draw(st.integers(1, 3))):
        doc = _mutate(doc, data)
    assert _parse(doc) == VALIDATOR.is_valid(doc), "parser and schema disagree"


@fuzz
@given(
    value=json_values
    | st.dictionaries(st.integers() | st.text(max_size=3) | st.none(), json_values, max_size=4)
)
def test_arbitrary_values_only_raise_hint_error(value: Any) -> None:
    # from_dict is public: Python callers may pass anything, not only parsed JSON.
    _parse(value)
    if isinstance(value, dict):
        _parse({"format": "huebrush-hints", "version": 1, **value})


def _text_edit(text: str, data: st.DataObject) -> str:
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 8)))
    insert = data.draw(st.text(max_size=8) | st.sampled_from(["[", "{", "NaN", "1e999", "9" * 400]))
    return text[:i] + insert + text[j:]


@fuzz
@given(
    raw=st.binary(max_size=300)
    | st.sampled_from([10, 1_000, 100_000]).map(lambda n: ("[" * n).encode())
    | st.sampled_from([10, 1_000, 100_000]).map(lambda n: ('{"a":' * n).encode()),
    doc=valid_docs,
    data=st.data(),
)
def test_hint_files_only_raise_hint_error(
    scratch: Path, raw: bytes, doc: dict[str, Any], data: st.DataObject
) -> None:
    path = scratch / "fuzz.hints.json"
    edited = json.dumps(doc)
    for _ in range(data.draw(st.integers(0, 3))):
        edited = _text_edit(edited, data)
    for content in (raw, edited.encode("utf-8")):
        path.write_bytes(content)
        try:
            Hints.from_json(path)
        except HintError as e:
            assert str(path) in str(e) and "\n" not in str(e)


# --------------------------------------------------------------------------- image files


def _saved16(pixels: np.ndarray, suffix: str, alpha: np.ndarray | None = None) -> bytes:
    """pixels written by save_image (its own 16-bit PNG encoder, tifffile for TIFF)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"seed{suffix}"
        save_image(path, pixels, bit_depth=16, alpha=alpha)
        return path.read_bytes()


def _seed_images() -> dict[str, bytes]:
    """Small valid files of every format and layout the loader has a code path for."""
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, (10, 12, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (10, 12), dtype=np.uint8)
    seeds: dict[str, bytes] = {}

    def pil(name: str, im: Image.Image, fmt: str, **options: Any) -> None:
        buf = io.BytesIO()
        im.save(buf, fmt, **options)
        seeds[name] = buf.getvalue()

    pil("rgb.png", Image.fromarray(rgb), "PNG")
    pil("palette.png", Image.fromarray(rgb).quantize(8), "PNG", transparency=0)
    pil("la.png", Image.fromarray(np.dstack([gray, gray[::-1]])), "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6
    pil("rgb.jpg", Image.fromarray(rgb), "JPEG", exif=exif.tobytes())
    pil("progressive.jpg", Image.fromarray(gray), "JPEG", progressive=True)
    pil("cmyk.jpg", Image.fromarray(rgb).convert("CMYK"), "JPEG")
    pil("rgb.tif", Image.fromarray(rgb), "TIFF", compression="tiff_lzw")
    pil("rgb.bmp", Image.fromarray(rgb), "BMP")
    pil("lossy.webp", Image.fromarray(rgb), "WEBP", quality=50)
    pil("lossless.webp", Image.fromarray(rgb).convert("RGBA"), "WEBP", lossless=True)
    frames = [Image.fromarray(rgb), Image.fromarray(rgb[::-1])]
    pil("anim.gif", frames[0], "GIF", save_all=True, append_images=frames[1:])
    deep = rng.integers(0, 65536, (10, 12, 3), dtype=np.uint16)
    seeds["rgb16.png"] = _saved16(deep, ".png")
    seeds["la16.png"] = _saved16(deep[..., 0], ".png", alpha=deep[..., 1])
    seeds["gray16.png"] = _saved16(deep[..., 2], ".png")
    seeds["rgb16.tif"] = _saved16(deep, ".tif")
    seeds["gray16.tif"] = _saved16(deep[..., 0], ".tif")
    buf = io.BytesIO()
    tifffile.imwrite(buf, rng.random((10, 12, 3), dtype=np.float32), photometric="rgb")
    seeds["float.tif"] = buf.getvalue()
    return seeds


def _metadata_seeds() -> dict[str, bytes]:
    """Files rich in metadata (EXIF with Exif and GPS directories, XMP, IPTC, PNG text), each
    written by Huebrush's own exporter from one rich JPEG."""
    exif = Image.Exif()
    exif[0x0112], exif[271], exif[270] = 6, "Nikon", "A caption"
    exif.get_ifd(0x8769)[0x9003] = "1931:08:14 10:00:00"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/" tiff:Orientation="6">t</x:xmpmeta>'
    iim = b"\x1c\x02\x00\x00\x02\x00\x04\x1c\x02\x78\x00\x03cap"
    photoshop = b"Photoshop 3.0\0" + b"8BIM\x04\x04\0\0" + struct.pack(">I", len(iim)) + iim
    app13 = b"\xff\xed" + struct.pack(">H", len(photoshop) + 2) + photoshop
    buf = io.BytesIO()
    rgb = np.random.default_rng(8).integers(0, 256, (10, 12, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(
        buf, "JPEG", exif=exif.tobytes(), dpi=(300, 300), xmp=xmp, extra=app13
    )
    seeds = {"meta.jpg": buf.getvalue()}
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "meta.jpg"
        src.write_bytes(seeds["meta.jpg"])
        img = load_image(src)
        for suffix in (".tif", ".png", ".webp"):
            out = Path(d) / f"meta{suffix}"
            save_image(out, img.rgb, metadata={"Author": "A. N. Other"}, photo_meta=img.meta)
            seeds[out.name] = out.read_bytes()
    return seeds


SEEDS = _seed_images()
META_SEEDS = _metadata_seeds()


def _check_loaded(img: LoadedImage) -> None:
    h, w = img.height, img.width
    assert 0 < h * w <= FUZZ_MAX_PIXELS
    assert img.rgb.shape == (h, w, 3) and img.rgb.dtype == np.float32
    assert img.L.shape == (h, w)
    assert np.isfinite(img.rgb).all() and img.rgb.min() >= 0.0 and img.rgb.max() <= 1.0
    assert np.isfinite(img.L).all() and img.L.min() >= -1e-3 and img.L.max() <= 100.0 + 1e-3
    assert img.alpha is None or img.alpha.shape == (h, w)


def _load(path: Path) -> LoadedImage | None:
    try:
        img = load_image(path, max_pixels=FUZZ_MAX_PIXELS)
    except ImageLoadError as e:
        text = str(e)
        assert text.startswith(f"{path.name}: ") and "\n" not in text, text
        event(f"refused: {e.reason.split('(')[0].strip()}")  # --hypothesis-show-statistics
        return None
    event("loaded")
    _check_loaded(img)
    return img


def test_seed_images_load(tmp_path: Path) -> None:
    """The fuzzers start from files that really load, so mutations reach the decoders."""
    for name, data in {**SEEDS, **META_SEEDS}.items():
        path = tmp_path / name
        path.write_bytes(data)
        img = load_image(path)
        _check_loaded(img)
        assert img.bit_depth == (16 if "16" in name or "float" in name else 8), name


def _tiff_with_width_zero(data: bytes) -> bytes:
    """A little-endian TIFF with its ImageWidth tag (a LONG here) set to 0."""
    out = bytearray(data)
    ifd = struct.unpack_from("<I", out, 4)[0]
    for i in range(struct.unpack_from("<H", out, ifd)[0]):
        entry = ifd + 2 + 12 * i
        if struct.unpack_from("<H", out, entry)[0] == 256:
            struct.pack_into("<I", out, entry + 8, 0)
            return bytes(out)
    raise AssertionError("no ImageWidth tag")


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("seed_name", ["rgb16.tif", "gray16.tif"])
def test_tiff_claiming_zero_width_is_refused(tmp_path: Path, seed_name: str) -> None:
    """Found by the fuzzer: tifffile returned a shapeless array and _finish raised ValueError."""
    path = tmp_path / "w0.tif"
    path.write_bytes(_tiff_with_width_zero(SEEDS[seed_name]))
    with pytest.raises(ImageLoadError, match=r"^w0\.tif: .*no pixels"):
        load_image(path)


@st.composite
def damaged(draw: st.DrawFn, seeds: dict[str, bytes] = SEEDS) -> tuple[str, bytes]:
    """A seed file truncated, bit-flipped, overwritten, or with bytes inserted or removed."""
    name = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[name])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "overwrite", "insert", "delete"]))
        # The signature is left alone (test_random_bytes covers that) and half the edits land
        # in the next 64 bytes, where headers and image sizes live.
        if len(data) < 2:
            break
        start = min(8, len(data) - 1)
        limit = draw(st.sampled_from([min(start + 64, len(data)), len(data)]))
        pos = draw(st.integers(start, max(start, limit - 1)))
        if op == "truncate":
            del data[pos:]
        elif op == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            chunk = draw(st.binary(min_size=1, max_size=8))
            data[pos : pos + len(chunk)] = chunk
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        else:
            del data[pos : pos + draw(st.integers(1, 16))]
    return name, bytes(data)


MAGICS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"II*\x00", b"MM\x00*", b"BM", b"GIF89a"]
MAGICS += [b"RIFF\x00\x00\x00\x00WEBPVP8 ", b""]


# Pillow warns about the damaged TIFF/EXIF data it skips; what is raised is what counts here.
@pytest.mark.filterwarnings("ignore::UserWarning")
@fuzz
@given(case=damaged())
def test_damaged_images_only_raise_image_load_error(scratch: Path, case: tuple[str, bytes]) -> None:
    name, data = case
    path = scratch / f"damaged-{name}"
    path.write_bytes(data)
    _load(path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@fuzz
@given(magic=st.sampled_from(MAGICS), body=st.binary(max_size=512))
def test_random_bytes_only_raise_image_load_error(scratch: Path, magic: bytes, body: bytes) -> None:
    path = scratch / "random.img"
    path.write_bytes(magic + body)
    _load(path)


@pytest.mark.filterwarnings("ignore::UserWarning")
@fuzz
@given(case=damaged(META_SEEDS))
def test_damaged_metadata_never_stops_an_export(scratch: Path, case: tuple[str, bytes]) -> None:
    """Whatever metadata a damaged photo still yields can be written in every format."""
    name, data = case
    path = scratch / f"damaged-{name}"
    path.write_bytes(data)
    img = _load(path)
    if img is None:
        return
    event(f"carried: {'+'.join(img.meta.summary()) or 'nothing'}")
    for suffix, depth in ((".jpg", 8), (".tif", 16), (".png", 16), (".png", 8), (".webp", 8)):
        out = scratch / f"out{suffix}"
        save_image(out, img.rgb, bit_depth=depth, metadata={"Software": "H"}, photo_meta=img.meta)
        assert load_image(out).rgb.shape == img.rgb.shape
