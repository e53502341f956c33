"""A photo's own metadata, carried onto its colourised copy.

Archives keep their knowledge in the file: captions, dates, credits, copyright, the scanner,
the scan's resolution. `read_photo_meta` takes what describes the photo from EXIF (the main
directory's descriptive tags, the Exif and GPS directories), XMP, IPTC-IIM, the resolution
and PNG text; what describes the old pixel data (orientation, sizes, thumbnails, maker notes,
colour space) is left behind, since the export is a new, upright image. The `*_for_output`
helpers turn it back into what each encoder needs. Metadata is untrusted: reading never
raises, and a tag that cannot be written again is dropped on its own.
"""

from __future__ import annotations

import io
import math
import re
import struct
from dataclasses import dataclass
from typing import Any

from PIL import Image, TiffImagePlugin

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DESCRIPTION = 270
SOFTWARE = 305
_RESOLUTION_TAGS = (282, 283, 296)
_TIFF_IPTC = 33723
_TIFF_XMP = 700
_PHOTOSHOP_IPTC = 0x0404

# Main-directory tags that describe the photo, not how the old file stored its pixels:
# DocumentName, ImageDescription, Make, Model, PageName, Software, DateTime, Artist,
# HostComputer, Copyright, Rating, RatingPercent and Windows' XPTitle..XPSubject.
_IFD0_KEEP = frozenset(
    {269, 270, 271, 272, 285, 305, 306, 315, 316, 33432, 0x4746, 0x4749}
    | set(range(0x9C9B, 0x9CA0))
)
# Exif-directory tags that no longer hold for the new file: MakerNote (private offsets
# that break when moved), the old pixel size, interoperability pointer, JPEG compression
# details, colour space (the embedded profile says it now).
_EXIF_DROP = frozenset({0x927C, 0xA002, 0xA003, 0xA005, 0x9101, 0x9102, 0xA001})
# PNG text keys that hold other metadata in text form (ImageMagick's raw profiles, XMP).
_PNG_TEXT_SKIP = re.compile(r"(Raw profile type .*|XML:com\.adobe\.xmp|exif|icc|xmp)", re.I)
# Descriptions written by other tools that are data, not a caption.
_NOT_A_CAPTION = ('{"shape"', "ImageJ=")
_XMP_ORIENTATION = (
    re.compile(rb'(tiff:Orientation\s*=\s*["\'])\d(["\'])'),
    re.compile(rb"(<tiff:Orientation>\s*)\d(\s*</tiff:Orientation>)"),
)


@dataclass(frozen=True)
class PhotoMeta:
    """What a photo says about itself, ready to be written onto a new rendering of it.

    dpi: (x, y) pixels per inch after orientation. exif: a TIFF-structured EXIF block without
    the 'Exif' header, descriptive tags only, no orientation. xmp: the XMP packet with its
    orientation reset to upright. iptc: IPTC-IIM records. text: PNG text chunks (key, value).
    """

    dpi: tuple[float, float] | None = None
    exif: bytes | None = None
    xmp: bytes | None = None
    iptc: bytes | None = None
    text: tuple[tuple[str, str], ...] = ()

    def caption(self) -> str | None:
        """The photo's own description (PNG text or EXIF ImageDescription), if any."""
        for key, value in self.text:
            if key == "Description":
                return value
        desc = _exif(self.exif).get(DESCRIPTION) if self.exif else None
        return desc if isinstance(desc, str) else None

    def summary(self) -> list[str]:
        """Short names of what is carried, for a status line or a log."""
        names = []
        if self.exif:
            exif = _exif(self.exif)
            names.append("EXIF + GPS" if exif.get_ifd(GPS_IFD) else "EXIF")
        names += [n for n, v in (("XMP", self.xmp), ("IPTC", self.iptc)) if v]
        if self.text:
            names.append("PNG text")
        if self.dpi:
            names.append(f"{_fmt_dpi(self.dpi)} dpi")
        return names


NO_META = PhotoMeta()


def _fmt_dpi(dpi: tuple[float, float]) -> str:
    x, y = (f"{v:g}" for v in dpi)
    return x if x == y else f"{x}x{y}"


def _exif(block: bytes) -> Image.Exif:
    exif = Image.Exif()
    exif.load(b"Exif\x00\x00" + block)
    return exif


# --------------------------------------------------------------------------- reading


def read_photo_meta(im: Image.Image, orientation: int = 1) -> PhotoMeta:
    """The descriptive metadata of an opened image (pixels need not be loaded). Never raises."""
    ours = _software(im).startswith("Huebrush")
    try:
        exif = _read_exif(im, drop_caption=ours)
    except Exception:  # broken EXIF must not cost the photo; its orientation note says so
        exif = None
    return PhotoMeta(
        dpi=_read_dpi(im, orientation),
        exif=exif,
        xmp=_guard(_read_xmp, im),
        iptc=_guard(_read_iptc, im),
        text=_guard(_read_text, im, ours) or (),
    )


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # each part of the metadata stands or falls alone
        return None


def _software(im: Image.Image) -> str:
    try:
        value = im.info.get("Software") or im.getexif().get(SOFTWARE)
    except Exception:
        return ""
    return value if isinstance(value, str) else ""


def _read_dpi(im: Image.Image, orientation: int) -> tuple[float, float] | None:
    dpi = im.info.get("dpi") or _exif_dpi(im)
    try:
        x, y = (float(v) for v in dpi)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(v) and 1.0 <= v <= 1e6 for v in (x, y)):
        return None
    # PNG stores pixels per metre: 300 dpi comes back as 299.9994.
    x, y = (float(round(v)) if abs(v - round(v)) < 0.01 else round(v, 3) for v in (x, y))
    return (y, x) if orientation >= 5 else (x, y)


def _exif_dpi(im: Image.Image) -> tuple[float, float] | None:
    """Resolution from EXIF, for formats with no field of their own (WebP)."""
    try:
        exif = im.getexif()
        x, y, unit = (exif.get(t) for t in _RESOLUTION_TAGS)
        scale = {2: 1.0, 3: 2.54}.get(2 if unit is None else unit)
        return None if x is None or y is None or scale is None else (x * scale, y * scale)
    except Exception:
        return None


def _read_exif(im: Image.Image, drop_caption: bool) -> bytes | None:
    src = im.getexif()
    out = Image.Exif()
    for tag in _IFD0_KEEP:
        value = src.get(tag)
        if value is None or (tag == DESCRIPTION and not _is_caption(value, drop_caption)):
            continue
        if _writable(tag, value, None):
            out[tag] = value
    found = len(out) > 0
    for group, drop in ((EXIF_IFD, _EXIF_DROP), (GPS_IFD, frozenset())):
        sub = {k: v for k, v in src.get_ifd(group).items() if k not in drop}
        sub = {k: v for k, v in sub.items() if _writable(k, v, group)}
        if sub:
            out.get_ifd(group).update(sub)  # asking creates the directory: only when filled
            found = True
    return out.tobytes()[6:] if found else None


def _is_caption(value: object, drop_caption: bool) -> bool:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and not drop_caption
        and not value.startswith(_NOT_A_CAPTION)
    )


def _writable(tag: int, value: object, group: int | None) -> bool:
    """Whether one tag survives Pillow's writer (odd types from odd files may not)."""
    if isinstance(value, dict):
        return False
    try:
        ifd = TiffImagePlugin.ImageFileDirectory_v2(group=group)
        ifd[tag] = value
        ifd.tobytes()
    except Exception:
        return False
    return True


def _read_xmp(im: Image.Image) -> bytes | None:
    info = im.info
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if xmp is None and im.format == "TIFF":
        xmp = im.tag_v2.get(_TIFF_XMP)  # type: ignore[attr-defined]
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    if isinstance(xmp, tuple) and all(isinstance(b, int) and 0 <= b < 256 for b in xmp):
        xmp = bytes(xmp)
    if not isinstance(xmp, bytes) or not xmp.strip(b"\0 \r\n\t"):
        return None
    # The pixels are written upright, so an XMP orientation would turn them a second time.
    for pattern in _XMP_ORIENTATION:
        xmp = pattern.sub(rb"\g<1>1\g<2>", xmp)
    return xmp


def _read_iptc(im: Image.Image) -> bytes | None:
    if im.format == "TIFF":
        tags = im.tag_v2  # type: ignore[attr-defined]
        if tags.tagtype.get(_TIFF_IPTC) == 4:
            # LONGs, Photoshop's habit, of which Pillow keeps only the first.
            value = _tiff_long_iptc(im)
        else:
            value = tags.get(_TIFF_IPTC)
            if isinstance(value, tuple) and all(isinstance(b, int) and b < 256 for b in value):
                value = bytes(value)
    else:
        value = (im.info.get("photoshop") or {}).get(_PHOTOSHOP_IPTC)
    return value if isinstance(value, bytes) and value[:1] == b"\x1c" else None


def _tiff_long_iptc(im: Image.Image) -> bytes | None:
    import tifffile

    fp = im.fp  # type: ignore[attr-defined]  # an ImageFile's
    if fp is None:
        return None
    at = fp.tell()
    try:
        fp.seek(0)
        with tifffile.TiffFile(fp) as tif:  # a handle it did not open stays open
            tag = tif.pages.first.tags.get(_TIFF_IPTC)
            if tag is None:
                return None
            value = tag.value
            order = tif.byteorder
    finally:
        fp.seek(at)
    if isinstance(value, bytes):  # tifffile hands IPTC over as the raw bytes
        raw = value
    else:
        longs = (value,) if isinstance(value, int) else tuple(value)
        raw = struct.pack(f"{order}{len(longs)}I", *longs)
    return raw[: len(raw) - 3] + raw[-3:].rstrip(b"\0")  # the padding to whole LONGs


def _read_text(im: Image.Image, ours: bool) -> tuple[tuple[str, str], ...]:
    if im.format != "PNG":
        return ()
    skip = {"Software"} | ({"Description"} if ours else set())
    return tuple(
        (str(k), v)
        for k, v in im.info.items()
        if isinstance(v, str) and k not in skip and not _PNG_TEXT_SKIP.fullmatch(str(k))
    )


# --------------------------------------------------------------------------- writing


# PNG text keys with a home in EXIF, for exports to other formats.
_EXIF_NAMES = {"Description": "Description", "Author": "Artist", "Copyright": "Copyright"}


def text_for_output(meta: PhotoMeta, ours: dict[str, str], png: bool) -> dict[str, str]:
    """The text metadata of the new file: the photo's, then ours where the photo is silent.

    Software always names the writer. Our Description only fills in for a missing caption:
    an archive's caption outranks a note that the photo was colourised (the hint file beside
    the export records that). Outside PNG only the PNG keys EXIF has a tag for are kept.
    """
    names = {k: k for k, _ in meta.text} if png else _EXIF_NAMES
    out = {names[k]: v for k, v in meta.text if k in names}
    caption = meta.caption()
    if caption is not None:
        out.setdefault("Description", caption)
    for key, value in ours.items():
        if key == "Software" or key not in out:
            out[key] = value
    return out


@dataclass(frozen=True)
class NewFile:
    """What EXIF must say about the file being written, not about the photo."""

    width: int
    height: int
    srgb: bool  # no embedded profile other than sRGB's
    fmt: str  # Pillow's format name


def exif_for_output(
    meta: PhotoMeta, tags: dict[int, str], dpi: tuple[float, float] | None, new: NewFile
) -> bytes | None:
    """The EXIF block to write (with its 'Exif' header): the photo's own with our text tags
    on top (Software replaced, the others only where the photo has none), the resolution and
    the new file's own Exif-directory entries. None when there is nothing to write."""
    exif = _exif(meta.exif) if meta.exif else Image.Exif()
    for tag, value in tags.items():
        if tag == SOFTWARE or tag not in exif:
            exif[tag] = value
    if dpi:
        exif[282], exif[283], exif[296] = float(dpi[0]), float(dpi[1]), 2
    if EXIF_IFD in exif:
        # The entries the Exif standard requires, for the pixels as they are now.
        sub = exif.get_ifd(EXIF_IFD)
        sub.setdefault(0x9000, b"0232")  # ExifVersion
        sub[0xA001] = 1 if new.srgb else 0xFFFF  # ColorSpace: sRGB or "uncalibrated"
        if new.fmt != "TIFF":  # TIFF has its own width and length tags
            sub[0xA002], sub[0xA003] = new.width, new.height
        if new.fmt == "JPEG":
            exif[0x0213] = 1  # YCbCrPositioning: centred
    if not len(exif):
        return None
    return exif.tobytes()


def main_directory_tags(exif: bytes | None) -> dict[int, Any]:
    """The main-directory tags of an EXIF block with its header (no pointers, no resolution)."""
    if not exif:
        return {}
    skip = {EXIF_IFD, GPS_IFD, *_RESOLUTION_TAGS}
    return {k: v for k, v in _exif(exif).items() if k not in skip}


def app13_segment(iptc: bytes) -> bytes:
    """A JPEG APP13 segment holding IPTC-IIM records as Photoshop's 8BIM resource 0x0404."""
    data = iptc + (b"\0" if len(iptc) % 2 else b"")
    resource = b"8BIM" + struct.pack(">HHI", _PHOTOSHOP_IPTC, 0, len(iptc)) + data
    body = b"Photoshop 3.0\0" + resource
    if len(body) + 2 > 0xFFFF:
        return b""  # one segment only; IPTC that large is not a caption, and XMP has it too
    return b"\xff\xed" + struct.pack(">H", len(body) + 2) + body


def tiff_tag_entries(meta: PhotoMeta, byteorder: str) -> list[tuple[int, str, int, Any, bool]]:
    """XMP (BYTE) and IPTC-NAA (LONG, as Photoshop writes it) as tifffile extratags."""
    entries: list[tuple[int, str, int, Any, bool]] = []
    if meta.xmp:
        entries.append((_TIFF_XMP, "B", len(meta.xmp), meta.xmp, True))
    if meta.iptc:
        padded = meta.iptc + b"\0" * (-len(meta.iptc) % 4)
        longs = struct.unpack(f"{byteorder}{len(padded) // 4}I", padded)
        entries.append((_TIFF_IPTC, "I", len(longs), longs, True))
    return entries


def png_chunks(meta: PhotoMeta, dpi: tuple[float, float] | None, exif: bytes | None) -> list:
    """(kind, data) pairs for a PNG written by hand: pHYs, eXIf and the XMP iTXt chunk."""
    chunks: list[tuple[bytes, bytes]] = []
    if dpi:
        per_metre = (max(1, round(v / 0.0254)) for v in dpi)
        chunks.append((b"pHYs", struct.pack(">IIB", *per_metre, 1)))
    if exif:
        chunks.append((b"eXIf", exif[6:] if exif.startswith(b"Exif\x00\x00") else exif))
    if meta.xmp:
        chunks.append((b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + meta.xmp))
    return chunks


# The two EXIF pointers tifffile will not write; stand-ins one below each keep the directory
# sorted, and are renamed once the sub-directories are appended.
_STAND_INS = {EXIF_IFD: EXIF_IFD - 1, GPS_IFD: GPS_IFD - 1}


def tiff_pointer_stand_ins(exif_block: bytes | None) -> list[tuple[int, str, int, int, bool]]:
    """tifffile extratags reserving the Exif/GPS pointers an EXIF block (exif_for_output's)
    needs."""
    if not exif_block:
        return []
    exif = _exif(exif_block)
    return [(_STAND_INS[g], "I", 1, 0, True) for g in (EXIF_IFD, GPS_IFD) if exif.get_ifd(g)]


def attach_exif_directories(buf: io.BytesIO, exif_block: bytes | None) -> None:
    """Append the Exif/GPS directories to a classic TIFF written into buf with the stand-ins
    above, patching the pointers in place (a big scan is not copied again)."""
    if not exif_block or not tiff_pointer_stand_ins(exif_block):
        return
    import tifffile

    buf.seek(0)
    with tifffile.TiffFile(buf) as tif:  # reads the directory only; buf stays open
        if tif.is_bigtiff:
            return
        order = tif.byteorder
        page_tags = tif.pages.first.tags
        slots = {
            g: (page_tags[s].offset, page_tags[s].valueoffset)
            for g, s in _STAND_INS.items()
            if s in page_tags
        }
    exif = _exif(exif_block)
    for group, (entry, value_at) in slots.items():
        ifd = TiffImagePlugin.ImageFileDirectory_v2(
            prefix=b"II" if order == "<" else b"MM", group=group
        )
        for tag, value in exif.get_ifd(group).items():
            ifd[tag] = value
        end = buf.seek(0, io.SEEK_END)
        if end % 2:
            end += buf.write(b"\0")  # TIFF directories start on a word boundary
        buf.write(ifd.tobytes(end))
        buf.seek(entry)
        buf.write(struct.pack(order + "H", group))
        buf.seek(value_at)
        buf.write(struct.pack(order + "I", end))
