"""What `huebrush-colorize` says: one line per photo that failed, and nothing printed behind
its back. Decoders talk on their own (Pillow through Python's warnings, tifffile through
logging, several lines each); while a photo is read and written, that is collected here and
reported as one note, or dropped when the photo's own error line says it all.
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Callable, Iterator

from model.io.errors import ImageTooLargeError, one_line

# Loggers of the libraries that decode and encode photos.
_LIBRARY_LOGGERS = ("tifffile", "PIL")


class _Collect(logging.Handler):
    def __init__(self, into: Callable[[], list[str]]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.into().append(one_line(record.getMessage()))


@contextlib.contextmanager
def library_messages(
    route: Callable[[], list[str] | None] | None = None,
) -> Iterator[list[str]]:
    """Collect the warnings and log records of the block into the yielded list (one line
    each) instead of letting them print. With `route`, a message goes to the list route()
    gives in the thread that emits it, where it gives one (model.pipeline.current_notes: the
    photo a batch's stage works on)."""
    caught: list[str] = []

    def into() -> list[str]:
        target = route() if route is not None else None
        return caught if target is None else target

    def show(message: Warning | str, *args: object, **kwargs: object) -> None:
        into().append(one_line(str(message)))

    handler = _Collect(into)
    loggers = [logging.getLogger(name) for name in _LIBRARY_LOGGERS]
    saved = [(lg, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = show  # restored by catch_warnings
            yield caught
    finally:
        for lg, propagate in saved:
            lg.removeHandler(handler)
            lg.propagate = propagate


def library_note(caught: list[str]) -> str | None:
    """One note for a photo's collected messages, or None when there were none."""
    unique = list(dict.fromkeys(m for m in caught if m))
    if not unique:
        return None
    more = f" (and {len(unique) - 1} more)" if len(unique) > 1 else ""
    return f"a library warned: {unique[0][:160]}{more}"


def too_large(e: ImageTooLargeError) -> str:
    """The size-limit refusal in the command line's words: the flag that allows it."""
    mp = e.width * e.height / 1e6
    return (
        f"{e.filename}: image is {e.width}x{e.height} ({mp:.1f} megapixels), over the limit of "
        f"{e.max_pixels / 1e6:g} megapixels; --max-megapixels {math.ceil(mp)} allows it"
    )


def summary(done: int, failed: int, out_dir: object, left: int = 0, stopped: str = "") -> str:
    """The last line of a run, e.g. '3 colourised, 1 failed -> out'."""
    text = f"{done} colourised, {failed} failed"
    if stopped:
        text = f"stopped by {stopped}: {text}, {left} not done"
    return f"{text} -> {out_dir}"
