"""`huebrush-colorize`: colour photos from the command line, with hint files or a palette."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm import tqdm

from model import __version__
from model.cli_args import (
    ArgumentError,
    check_working_size,
    max_pixels,
    parse_palette,
    parse_saturation,
)
from model.cli_report import library_messages, library_note, summary, too_large
from model.cli_signals import Interrupted, StopOnSignals
from model.colour.enhance import ENHANCE_MODES, EnhanceSettings
from model.finish import DEFAULT_FINISH, Finish
from model.hints.document import MAX_PALETTE, HintError, Hints, PaletteColor, sidecar_path
from model.io.claims import SIDECAR_KEY, OutputClaims, photo_id, photo_software
from model.io.errors import ImageLoadError, ImageSaveError, ImageTooLargeError
from model.io.load import DEFAULT_MAX_PIXELS, SUPPORTED_SUFFIXES, load_image
from model.io.naming import default_output_suffix
from model.io.pixels import LoadedImage
from model.io.save import SAVE_SUFFIXES, SIXTEEN_BIT_SUFFIXES, save_image
from model.pipeline import Job, Pipeline, current_notes
from model.render import render_rgb

if TYPE_CHECKING:
    from model.engines import Engine

OUTPUT_FORMATS = ("auto", *(s.lstrip(".") for s in SAVE_SUFFIXES))


def collect_inputs(paths: list[str]) -> list[Path]:
    """Files as given, and the images inside folders (not recursive, sorted)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out += sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
            )
        else:
            out.append(p)
    return out


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="huebrush-colorize",
        description="Colour black-and-white photos; a sidecar PHOTO.hints.json is used if present.",
    )
    ap.add_argument("paths", nargs="+", metavar="PATH", help="photos or folders of photos")
    ap.add_argument("-o", "--out", required=True, metavar="OUTDIR", help="output folder")
    ap.add_argument("--hints", metavar="FILE", help="hint file for all inputs (overrides sidecars)")
    ap.add_argument("--palette", metavar="COLOURS", help="global palette, e.g. '#c08040,#3a6fb0'")
    ap.add_argument("--saturation", type=float, help="global saturation hint 0..1")
    ap.add_argument("--engine", choices=["net", "levin"], default="net")
    ap.add_argument(
        "--finish",
        choices=[f.value for f in Finish],
        default=DEFAULT_FINISH.value,
        help="for photos with points: 'views' (default, as the app once you pause) averages the "
        "network's answers for the photo mirrored and an eighth smaller and larger (about "
        "0.15 dB closer to the truth at 10 points); 'refine' first adapts its last layers to "
        "the points (0.2-0.3 dB, seconds per photo on a CPU); 'pass' is one pass, fastest",
    )
    ap.add_argument(
        "--refine",
        dest="finish",
        action="store_const",
        const=Finish.REFINE.value,
        help="the same as --finish refine",
    )
    ap.add_argument(
        "--keep-rest",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="the points colour only their own regions and the automatic colours stay elsewhere "
        "(default: what the photo's hint file records, else off)",
    )
    ap.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    ap.add_argument("--weights", metavar="FILE", help="network weights (default: the shipped ones)")
    ap.add_argument(
        "--working-size", type=int, default=256, help="network resolution (default 256)"
    )
    ap.add_argument(
        "--enhance",
        choices=ENHANCE_MODES,
        default=None,
        help="enhance the lightness the network sees: percentile contrast stretch or histogram "
        "equalisation (default: what the photo's hint file records, else none); the output "
        "keeps the original lightness",
    )
    ap.add_argument(
        "--enhance-output",
        action="store_true",
        help="with --enhance, give the output the enhanced lightness too",
    )
    ap.add_argument(
        "--format",
        choices=OUTPUT_FORMATS,
        default="auto",
        help="output format (default auto: TIFF and PNG photos keep their format, the rest "
        "become PNG, so the lightness is kept exactly)",
    )
    ap.add_argument(
        "--strip-metadata",
        action="store_true",
        help="do not copy the photos' own metadata (EXIF with GPS, XMP, IPTC, resolution) "
        "into the outputs",
    )
    ap.add_argument(
        "--overwrite",
        action="store_true",
        help="replace whatever has an output's name; without it, only this photo's own "
        "output from an earlier run is replaced, and anything else (your files, other "
        "photos' outputs, and BMPs, which cannot record who wrote them) gets the next free "
        "name. Inputs and their hint files are never replaced",
    )
    ap.add_argument(
        "--save-hints",
        action="store_true",
        help="also write each output's hints beside it (OUTPUT.hints.json), for photos "
        "coloured with any; the outputs' metadata already names how they were made",
    )
    ap.add_argument(
        "--max-megapixels",
        type=float,
        default=DEFAULT_MAX_PIXELS / 1e6,
        metavar="N",
        help=f"refuse photos larger than this (default {DEFAULT_MAX_PIXELS / 1e6:g}: "
        "larger files are more likely to be decompression bombs than photos)",
    )
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--version", action="version", version=f"huebrush {__version__}")
    return ap


@dataclass
class _Tally:
    """How the run went, for its last line."""

    out_dir: Path
    total: int = 0
    done: int = 0
    failed: int = 0
    hints_failed: int = 0


def main(argv: list[str] | None = None) -> int:
    """Colour the photos; exit status 0, 1 if any photo failed, 2 for bad arguments, and
    130 or 143 when stopped by SIGINT or SIGTERM (after the file being written is whole)."""
    with StopOnSignals() as signals:
        tally = _Tally(Path("."))
        try:
            return _run(build_parser().parse_args(argv), signals, tally)
        except Interrupted as stop:
            left = tally.total - tally.done - tally.failed
            print(summary(tally.done, tally.failed, tally.out_dir, left, str(stop)))
            return stop.exit_status


def _refuse(message: str) -> int:
    print(f"huebrush-colorize: {message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace, signals: StopOnSignals, tally: _Tally) -> int:
    try:
        extra_palette = parse_palette(args.palette) if args.palette else ()
        saturation = None if args.saturation is None else parse_saturation(args.saturation)
        check_working_size(args.working_size)
        pixel_limit = max_pixels(args.max_megapixels)
        shared = Hints.from_json(args.hints) if args.hints else None
    except (ArgumentError, HintError) as e:
        return _refuse(str(e))
    if args.enhance_output and args.enhance in (None, "none"):
        return _refuse("--enhance-output needs --enhance stretch|equalize")
    out_dir = tally.out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        return _refuse(f"cannot create {out_dir}: {e.strerror}")

    from model.engines import make_engine

    try:
        engine = make_engine(
            args.engine, args.device, args.weights, args.working_size, Finish(args.finish)
        )
    except Exception as e:  # missing/bad weights, CUDA requested without a GPU
        return _refuse(str(e))

    inputs = collect_inputs(args.paths)
    tally.total = len(inputs)
    claims = OutputClaims(out_dir, inputs, overwrite=args.overwrite)
    stages = _Stages(args, engine, shared, extra_palette, saturation, pixel_limit, claims)
    stages.signals, stages.tally = signals, tally
    # One photo after another in this thread for a single photo; for a batch, a pipeline:
    # the next photos are read and coloured while one is rendered and written.
    pipeline = Pipeline(stages.all(), threads=len(inputs) > 1)
    stages.stopped = lambda: pipeline.stopped
    progress = tqdm(total=len(inputs), desc="colourising", unit="photo", disable=args.no_progress)
    try:
        with library_messages(current_notes), progress:
            for job in pipeline.run(inputs, poll=signals.check):
                _report(job, tally)
                progress.update()
                signals.check()  # a signal held while a stage wrote
    finally:
        claims.release_all()
    print(summary(tally.done, tally.failed, out_dir))
    return 1 if tally.failed or tally.hints_failed else 0


@dataclass
class _Photo:
    """A photo on its way through the stages."""

    src: Path
    hints: Hints
    enhance: EnhanceSettings
    image: LoadedImage
    work: LoadedImage
    ab: np.ndarray | None = None
    hints_error: str | None = None


class _Stages:
    """Reading, colouring, and rendering + writing one photo (model.pipeline's stages)."""

    def __init__(
        self,
        args: argparse.Namespace,
        engine: Engine,
        shared: Hints | None,
        extra_palette: tuple[PaletteColor, ...],
        saturation: float | None,
        pixel_limit: int | None,
        claims: OutputClaims,
    ) -> None:
        self.args, self.engine, self.claims = args, engine, claims
        self.shared, self.extra_palette, self.saturation = shared, extra_palette, saturation
        self.pixel_limit = pixel_limit
        self.stopped: Callable[[], bool] = lambda: False
        self.signals: StopOnSignals | None = None
        self.tally: _Tally | None = None

    def all(self) -> list[Callable[[Any], Any]]:
        return [self.load, self.colour, self.write]

    def load(self, src: Path) -> _Photo:
        args = self.args
        hints = _photo_hints(src, self.shared, self.extra_palette, self.saturation, args)
        enhance = (
            EnhanceSettings.of(hints)
            if args.enhance is None
            else EnhanceSettings(args.enhance, args.enhance_output)
        )
        hints = hints.with_enhance(enhance.mode, enhance.enhance_output)
        img = load_image(src, max_pixels=self.pixel_limit)
        return _Photo(src, hints, enhance, img, enhance.network_input(img))

    def colour(self, photo: _Photo) -> _Photo:
        return replace(photo, ab=self.engine.colours(photo.work, photo.hints))

    def write(self, photo: _Photo) -> _Photo:
        args, claims, src, img = self.args, self.claims, photo.src, photo.image
        assert photo.ab is not None and self.signals is not None and self.tally is not None
        suffix = default_output_suffix(src) if args.format == "auto" else f".{args.format}"
        dest = claims.claim(src, suffix)
        try:
            # Rendered straight to the file's 8 or 16 bits (no float copy of the photo).
            depth = img.bit_depth if dest.suffix.lower() in SIXTEEN_BIT_SUFFIXES else 8
            out_L = photo.enhance.output_lightness(img, photo.work)
            rgb = render_rgb(photo.ab, photo.work.L if out_L is None else out_L, depth)
            if self.stopped():
                raise _Dropped
            desc = "; ".join(
                d for d in (self.engine.describe(photo.hints), photo.enhance.describe()) if d
            )
            meta = {"Software": photo_software(__version__, src), "Description": desc}
            with self.signals.writing():  # a signal waits until the files are whole
                save_image(
                    dest,
                    rgb,
                    bit_depth=img.bit_depth,
                    alpha=img.alpha,
                    icc_profile=img.output_icc_profile,
                    metadata=meta,
                    photo_meta=None if args.strip_metadata else img.meta,
                )
                claims.written(dest)
                hints_error = _write_hints(dest, src, photo.hints, claims, args.save_hints)
                self.tally.done += 1  # counted before a held signal stops the run
                self.tally.hints_failed += hints_error is not None
        finally:
            claims.release(dest)  # the placeholder, if nothing was written
        return replace(photo, hints_error=hints_error)


class _Dropped(Exception):
    """The run was stopped before this photo was written."""


def _report(job: Job, tally: _Tally) -> None:
    """One photo's notes, or its error line."""
    e = job.error
    if e is None:
        photo = job.value
        notes = [*photo.image.notes, library_note(job.notes), photo.hints_error]
        for note in filter(None, notes):
            tqdm.write(f"{photo.src.name}: {note}", file=sys.stderr)
        return
    if isinstance(e, _Dropped):
        return
    tally.failed += 1
    if isinstance(e, ImageTooLargeError):
        tqdm.write(f"error: {too_large(e)}", file=sys.stderr)
    elif isinstance(e, (ImageLoadError, ImageSaveError, HintError)):
        tqdm.write(f"error: {e}", file=sys.stderr)
    elif isinstance(e, (OSError, MemoryError, RuntimeError, ValueError)):
        tqdm.write(
            f"error: {job.item}: {e.__class__.__name__}: {e}".splitlines()[0], file=sys.stderr
        )
    else:
        raise e


def _photo_hints(
    src: Path,
    shared: Hints | None,
    extra_palette: tuple[PaletteColor, ...],
    saturation: float | None,
    args: argparse.Namespace,
) -> Hints:
    """The hints src is coloured with: --hints, else its own hint file, with the command
    line's palette, saturation and keep-rest on top."""
    hints = shared
    side = sidecar_path(src)
    if hints is None and side.exists():  # exists(): a FIFO or folder there is refused, not skipped
        hints = Hints.from_json(side)
    hints = hints or Hints()
    if extra_palette:
        palette = hints.palette + extra_palette
        if len(palette) > MAX_PALETTE:
            raise HintError(
                f"{src.name}: its hints and --palette make {len(palette)} palette colours, "
                f"at most {MAX_PALETTE} allowed"
            )
        hints = hints.with_palette(palette)
    if saturation is not None:
        hints = hints.with_saturation(saturation)
    if args.keep_rest is not None:
        hints = hints.with_keep_rest(args.keep_rest)
    return hints


def _write_hints(
    dest: Path, src: Path, hints: Hints, claims: OutputClaims, save: bool
) -> str | None:
    """With --save-hints, dest's hint file (when there are hints to keep: an output made
    without any says all in its metadata); else an obsolete one of an earlier run goes.
    Returns a note when the hint file could not be written (the image stands)."""
    side = sidecar_path(dest)
    if save and hints != Hints():
        # The meta field names the photo, so a later run knows the file is its own to replace.
        mine = replace(hints, extra={**hints.extra, SIDECAR_KEY: photo_id(src)})
        try:
            mine.to_json(side)
        except OSError as e:
            return f"written, but not its hint file {side.name} ({e.strerror or e})"
        return None
    stale = claims.stale_sidecar(dest, src)
    if stale is not None:
        with contextlib.suppress(OSError):
            os.unlink(stale)
    return None


if __name__ == "__main__":
    sys.exit(main())
