"""Errors of reading and writing images: one line each, naming the file and the reason."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from PIL import Image


def one_line(text: str) -> str:
    return " ".join(str(text).split())


class ImageLoadError(Exception):
    """A photo could not be loaded; the message is one line: "<file>: <reason>"."""

    def __init__(self, message: str, *, filename: str = "", reason: str = "") -> None:
        super().__init__(one_line(message))
        self.filename = filename
        self.reason = reason


class ImageSaveError(Exception):
    """An image could not be written; the message is one line: "<file>: <reason>"."""

    def __init__(self, message: str, *, filename: str = "", reason: str = "") -> None:
        super().__init__(one_line(message))
        self.filename = filename
        self.reason = reason


class ImageTooLargeError(ImageLoadError):
    """A photo whose header claims more pixels than the caller's max_pixels allows."""

    def __init__(self, name: str, reason: str, width: int, height: int, limit: int) -> None:
        super().__init__(f"{name}: {reason}", filename=name, reason=reason)
        self.width, self.height, self.max_pixels = width, height, limit


def load_error(name: str, reason: str) -> ImageLoadError:
    return ImageLoadError(f"{name}: {reason}", filename=name, reason=one_line(reason))


def save_error(name: str, reason: str) -> ImageSaveError:
    return ImageSaveError(f"{name}: {reason}", filename=name, reason=one_line(reason))


@contextlib.contextmanager
def decode_errors(name: str) -> Iterator[None]:
    """Turn whatever a decoder raises on bad data into one ImageLoadError.

    Pillow and tifffile raise OSError, SyntaxError, ValueError, EOFError, struct.error,
    zlib.error, IndexError... depending on where a damaged file breaks them; the caller must only
    ever see ImageLoadError. The original exception stays attached as __cause__.
    """
    try:
        yield
    except ImageLoadError:
        raise
    except Exception as e:
        raise decode_failure(name, e) from e


def decode_failure(name: str, e: BaseException) -> ImageLoadError:
    if isinstance(e, MemoryError):
        return load_error(name, "not enough memory to decode this image")
    detail = one_line(str(e)) or type(e).__name__
    if isinstance(e, Image.DecompressionBombError):
        return load_error(name, f"refused by Pillow's decompression-bomb limit ({detail})")
    reason = "truncated or corrupt image data"
    if "truncated" not in detail.lower():
        reason += f" ({detail})"
    return load_error(name, reason)
