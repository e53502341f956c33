"""Colour management: embedded ICC profiles converted to sRGB, and sRGB told apart."""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms

from model.io.errors import one_line

# lcms's cmsFLAGS_BLACKPOINTCOMPENSATION (ImageCms.Flags only exists in newer Pillow releases).
_BLACK_POINT_COMPENSATION = 0x2000


@functools.cache
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def lab_to_rgb_image(im: Image.Image) -> Image.Image:
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))
    out = ImageCms.profileToProfile(im, lab, _srgb_profile(), outputMode="RGB")
    assert out is not None  # None only with inPlace=True
    return out


def _profile_info(icc: bytes) -> tuple[str, str] | None:
    """(description, colour space) of an ICC profile, or None if unreadable."""
    try:
        prof = ImageCms.ImageCmsProfile(io.BytesIO(icc)).profile
        desc = one_line(prof.profile_description or "") or "unnamed"
        return desc, prof.xcolor_space.strip()
    except Exception:
        return None


def _is_srgb(desc: str, space: str) -> bool:
    # Profiles are identified by name: every common sRGB variant says so ("sRGB IEC61966-2.1",
    # "sRGB built-in", "sRGB v4 ICC preference"...), and a converted no-op costs a full pass.
    # "Linear sRGB" shares the primaries but not the tone curve, so it does need converting.
    lowered = desc.lower()
    return space == "RGB" and "srgb" in lowered and "linear" not in lowered


def is_srgb_profile(icc: bytes | None) -> bool:
    """Whether pixels tagged with icc (None: untagged) are sRGB."""
    if not icc:
        return True
    info = _profile_info(icc)
    return info is not None and _is_srgb(*info)


def apply_icc(im: Image.Image, icc: bytes | None, notes: list[str]) -> tuple[Image.Image, bool]:
    """Convert an L/RGB/CMYK image from its embedded profile to sRGB (L stays gray)."""
    if not icc:
        return im, False
    info = _profile_info(icc)
    if info is None:
        notes.append("embedded colour profile is unreadable and was ignored")
        return im, False
    desc, space = info
    if _is_srgb(desc, space):
        return im, False
    expected = {"L": "GRAY", "RGB": "RGB", "CMYK": "CMYK"}.get(im.mode)
    if space != expected:
        notes.append(f"embedded colour profile '{desc}' ({space}) does not fit {im.mode} data")
        return im, False
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out = ImageCms.profileToProfile(
            im,
            src,
            _srgb_profile(),
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            outputMode="RGB",
            flags=_BLACK_POINT_COMPENSATION,  # type: ignore[arg-type]
        )
    except Exception as e:
        notes.append(f"embedded colour profile '{desc}' could not be applied ({e})")
        return im, False
    if out is None:  # pragma: no cover - only with inPlace=True
        return im, False
    if im.mode == "L":
        out = out.getchannel("G")  # a gray profile maps to the neutral axis; keep one channel
    what = "CMYK" if im.mode == "CMYK" else "colours"
    notes.append(f"{what} converted from embedded profile '{desc}' to sRGB")
    return out, True


def note_unapplied_profile(icc: bytes, notes: list[str], bit_depth: int) -> None:
    """Profiles are only applied through Pillow's 8-bit modes; say so for other data."""
    info = _profile_info(icc)
    if info is None:
        notes.append("embedded colour profile is unreadable and was ignored")
    elif not _is_srgb(*info):
        notes.append(
            f"{bit_depth}-bit data: embedded colour profile '{info[0]}' not converted to sRGB "
            "(kept as stored; the profile is kept for output)"
        )
