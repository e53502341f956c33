"""A photo's own metadata survives the export, in every format that can hold it."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

import model.cli as cli
from model.io.load import load_image
from model.io.photometa import EXIF_IFD, GPS_IFD, NO_META, app13_segment, read_photo_meta
from model.io.save import save_image
from model.io.text import read_metadata

CAPTION = "Harvest at Leigh Farm, 1931"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'tiff:Orientation="6"><dc:source>Box 12/44</dc:source></rdf:Description></rdf:RDF>'
    b"</x:xmpmeta>"
)
IPTC = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x78\x00\x0bFarm scene!"


def _rich_jpeg(path: Path, caption: str | None = CAPTION, software: str = "EPSON Scan") -> None:
    """A 40x24 photo stored on its side (orientation 6) with the metadata an archive keeps."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (24, 40), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[271], exif[272], exif[305], exif[33432] = "Nikon", "Coolscan", software, "Leigh Archive"
    if caption is not None:
        exif[270] = caption
    sub = exif.get_ifd(EXIF_IFD)
    sub[0x9003] = "1931:08:14 10:00:00"  # DateTimeOriginal
    sub[0x927C] = b"private maker data with offsets" * 4  # MakerNote: must not travel
    sub[0xA002], sub[0xA003] = 40, 24  # the old pixel size: must not travel
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)
    Image.fromarray(pixels).save(
        path, "JPEG", exif=exif.tobytes(), dpi=(300, 600), xmp=XMP, extra=app13_segment(IPTC)
    )


def _exif_of(path: Path) -> Image.Exif:
    # From memory: a TIFF's sub-directories are read lazily, after a `with` would close it.
    return Image.open(io.BytesIO(path.read_bytes())).getexif()


def test_reading_keeps_what_describes_the_photo(tmp_path: Path) -> None:
    src = tmp_path / "scan.jpg"
    _rich_jpeg(src)
    img = load_image(src)
    assert (img.height, img.width) == (40, 24)  # turned upright
    meta = img.meta
    assert meta.dpi == (600.0, 300.0)  # turned with the pixels
    assert meta.caption() == CAPTION
    assert meta.iptc == IPTC
    assert meta.xmp is not None and b'tiff:Orientation="1"' in meta.xmp
    assert b"Box 12/44" in meta.xmp
    assert meta.summary() == ["EXIF + GPS", "XMP", "IPTC", "600x300 dpi"]


@pytest.mark.parametrize(
    ("suffix", "depth"),
    [(".jpg", 8), (".png", 8), (".png", 16), (".tif", 8), (".tif", 16), (".webp", 8)],
)
def test_export_carries_exif_gps_and_resolution(tmp_path: Path, suffix: str, depth: int) -> None:
    src = tmp_path / "scan.jpg"
    _rich_jpeg(src)
    img = load_image(src)
    out = tmp_path / f"out{suffix}"
    rgb = np.full((img.height, img.width, 3), 0.5, np.float32)
    ours = {"Software": "Huebrush test", "Description": "Colourised"}
    save_image(out, rgb, bit_depth=depth, metadata=ours, photo_meta=img.meta)

    exif = _exif_of(out)
    assert exif.get(271) == "Nikon" and exif.get(272) == "Coolscan"
    assert exif.get(0x0112) in (None, 1)  # the pixels are upright now
    sub = exif.get_ifd(EXIF_IFD)
    assert sub.get(0x9003) == "1931:08:14 10:00:00"
    assert 0x927C not in sub  # the maker note stays behind
    # The new file's own size (TIFF has its own tags for it) and colour space.
    assert sub.get(0xA002) == (None if suffix == ".tif" else img.width)
    assert sub.get(0xA001) == 1
    assert exif.get_ifd(GPS_IFD).get(2) == (51.0, 30.0, 0.0)
    again = load_image(out)
    assert again.meta.dpi == (600.0, 300.0)
    assert (again.height, again.width) == (40, 24)
    assert again.meta.xmp is not None and b"Box 12/44" in again.meta.xmp
    text = read_metadata(out)
    assert text["Software"] == "Huebrush test"
    assert text["Description"] == CAPTION  # the archive's caption outranks ours
    if suffix in (".jpg", ".tif"):
        assert again.meta.iptc == IPTC
    assert again.bit_depth == depth
    assert np.allclose(again.rgb, 0.5, atol=1 / 255)  # the pixels are intact


def test_sixteen_bit_tiff_exif_directory_is_valid_tiff(tmp_path: Path) -> None:
    src = tmp_path / "scan.jpg"
    _rich_jpeg(src)
    out = tmp_path / "out.tif"
    save_image(out, np.zeros((40, 24, 3)), bit_depth=16, photo_meta=load_image(src).meta)
    with tifffile.TiffFile(out) as tif:
        tags = tif.pages.first.tags
        assert tags["ExifTag"].value["DateTimeOriginal"] == "1931:08:14 10:00:00"
        assert tags["GPSTag"].value["GPSLatitudeRef"] == "N"
        assert 34664 not in tags and 34852 not in tags  # the stand-ins were renamed
        assert tags["XResolution"].value == (600, 1)


def test_bmp_keeps_resolution_only(tmp_path: Path) -> None:
    src = tmp_path / "scan.jpg"
    _rich_jpeg(src)
    out = tmp_path / "out.bmp"
    save_image(out, np.zeros((40, 24, 3)), photo_meta=load_image(src).meta)
    dpi = load_image(out).meta.dpi
    assert dpi is not None and np.allclose(dpi, (600, 300), atol=0.1)


def test_without_a_caption_our_description_is_written(tmp_path: Path) -> None:
    src = tmp_path / "scan.jpg"
    _rich_jpeg(src, caption=None)
    out = tmp_path / "out.jpg"
    ours = {"Software": "Huebrush test", "Description": "Colourised by Huebrush"}
    save_image(out, np.zeros((40, 24, 3)), metadata=ours, photo_meta=load_image(src).meta)
    assert read_metadata(out)["Description"] == "Colourised by Huebrush"
    assert _exif_of(out).get(271) == "Nikon"


def test_recolouring_an_export_replaces_our_old_note(tmp_path: Path) -> None:
    src = tmp_path / "earlier.jpg"
    _rich_jpeg(src, caption="Colourised by Huebrush 0.1", software="Huebrush 0.1")
    out = tmp_path / "out.jpg"
    ours = {"Software": "Huebrush 0.2", "Description": "Colourised by Huebrush 0.2"}
    save_image(out, np.zeros((40, 24, 3)), metadata=ours, photo_meta=load_image(src).meta)
    text = read_metadata(out)
    assert (text["Software"], text["Description"]) == ("Huebrush 0.2", ours["Description"])
    assert text["Copyright"] == "Leigh Archive"  # still the archive's


def test_png_text_travels_to_png_and_maps_to_exif_tags(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "Wedding")
    info.add_text("Author", "J. Smith")
    info.add_text("Description", CAPTION)
    src = tmp_path / "scan.png"
    Image.new("L", (8, 8), 90).save(src, pnginfo=info)
    meta = load_image(src).meta
    png, jpg = tmp_path / "out.png", tmp_path / "out.jpg"
    for out in (png, jpg):
        save_image(out, np.zeros((8, 8, 3)), metadata={"Software": "H"}, photo_meta=meta)
    assert read_metadata(png) == {
        "Title": "Wedding",
        "Author": "J. Smith",
        "Description": CAPTION,
        "Software": "H",
    }
    assert read_metadata(jpg) == {"Artist": "J. Smith", "Description": CAPTION, "Software": "H"}


def test_no_source_metadata_writes_what_it_did_before(tmp_path: Path) -> None:
    out = tmp_path / "out.jpg"
    save_image(out, np.zeros((8, 8, 3)), metadata={"Software": "H"}, photo_meta=NO_META)
    exif = _exif_of(out)
    assert dict(exif) == {305: "H"}
    with Image.open(out) as im:
        assert "xmp" not in im.info and "photoshop" not in im.info


def test_broken_exif_loses_only_the_exif(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("L", (16, 16), 100).save(buf, "JPEG", dpi=(200, 200))
    data = buf.getvalue()
    junk = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + bytes(range(40))
    segment = b"\xff\xe1" + struct.pack(">H", len(junk) + 2) + junk
    path = tmp_path / "broken.jpg"
    path.write_bytes(data[:2] + segment + data[2:])
    meta = read_photo_meta(Image.open(path))
    assert meta.exif is None and meta.dpi == (200.0, 200.0)
    assert load_image(path).width == 16


def test_cli_copies_metadata_unless_told_not_to(tmp_path: Path) -> None:
    src = tmp_path / "in" / "scan.jpg"
    src.parent.mkdir()
    _rich_jpeg(src)
    for flag, out in (([], tmp_path / "keep"), (["--strip-metadata"], tmp_path / "strip")):
        argv = [str(src), "-o", str(out), "--engine", "levin", "--no-progress", *flag]
        assert cli.main(argv) == 0
    kept, stripped = (
        _exif_of(d / "scan_color.png") for d in (tmp_path / "keep", tmp_path / "strip")
    )
    assert kept.get_ifd(GPS_IFD) and kept.get(271) == "Nikon"
    assert not stripped.get_ifd(GPS_IFD) and stripped.get(271) is None
    assert load_image(tmp_path / "strip" / "scan_color.png").meta.dpi is None
