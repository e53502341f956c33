"""`huebrush-colorize`: colour photos from the command line, with hint files or a palette."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from model import __version__
from model.colour.colorspace import hex_to_ab
from model.colour.enhance import ENHANCE_MODES, EnhanceSettings
from model.finish import DEFAULT_FINISH, Finish
from model.hints.document import HintError, Hints, PaletteColor, sidecar_path
from model.io.errors import ImageLoadError, ImageSaveError
from model.io.folder import output_for
from model.io.load import SUPPORTED_SUFFIXES, load_image
from model.io.save import SAVE_SUFFIXES, save_image

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


def parse_palette(text: str) -> tuple[PaletteColor, ...]:
    """'#hex,#hex' (optionally '#hex:weight') -> palette colours."""
    colours = []
    for item in (s.strip() for s in text.split(",") if s.strip()):
        hexpart, _, weight = item.partition(":")
        colours.append(PaletteColor(hex_to_ab(hexpart), float(weight) if weight else 1.0))
    return tuple(colours)


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
    ap.add_argument("--no-progress", action="store_true")
    ap.add_argument("--version", action="version", version=f"huebrush {__version__}")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out_dir = Path(args.out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"huebrush-colorize: cannot create {out_dir}: {e.strerror}", file=sys.stderr)
        return 2
    shared: Hints | None = None
    try:
        if args.hints:
            shared = Hints.from_json(args.hints)
        extra_palette = parse_palette(args.palette) if args.palette else ()
    except (HintError, ValueError) as e:
        print(f"huebrush-colorize: {e}", file=sys.stderr)
        return 2
    if args.enhance_output and args.enhance in (None, "none"):
        print(
            "huebrush-colorize: --enhance-output needs --enhance stretch|equalize", file=sys.stderr
        )
        return 2
    if args.saturation is not None and not 0.0 <= args.saturation <= 1.0:
        print("huebrush-colorize: --saturation must be within 0..1", file=sys.stderr)
        return 2

    from model.engines import make_engine

    try:
        engine = make_engine(
            args.engine, args.device, args.weights, args.working_size, Finish(args.finish)
        )
    except Exception as e:  # missing/bad weights, CUDA requested without a GPU
        print(f"huebrush-colorize: {e}", file=sys.stderr)
        return 2

    inputs = collect_inputs(args.paths)
    taken = {p.resolve() for p in inputs}
    failed = 0
    for src in tqdm(inputs, desc="colourising", unit="photo", disable=args.no_progress):
        try:
            hints = shared
            if hints is None and sidecar_path(src).is_file():
                hints = Hints.from_json(sidecar_path(src))
            hints = hints or Hints()
            if extra_palette:
                hints = hints.with_palette(hints.palette + extra_palette)
            if args.saturation is not None:
                hints = hints.with_saturation(args.saturation)
            if args.keep_rest is not None:
                hints = hints.with_keep_rest(args.keep_rest)
            enhance = (
                EnhanceSettings.of(hints)
                if args.enhance is None
                else EnhanceSettings(args.enhance, args.enhance_output)
            )
            hints = hints.with_enhance(enhance.mode, enhance.enhance_output)
            img = load_image(src)
            work = enhance.network_input(img)
            rgb = engine(work, hints, enhance.output_lightness(img, work))
            dest = output_for(src, out_dir, taken, args.format)
            taken.add(dest.resolve())
            desc = "; ".join(d for d in (engine.describe(hints), enhance.describe()) if d)
            meta = {"Software": f"Huebrush {__version__}", "Description": desc}
            save_image(
                dest,
                rgb,
                bit_depth=img.bit_depth,
                alpha=img.alpha,
                icc_profile=img.output_icc_profile,
                metadata=meta,
                photo_meta=None if args.strip_metadata else img.meta,
            )
            hints.to_json(sidecar_path(dest))
            for note in img.notes:
                tqdm.write(f"{src.name}: {note}")
        except (ImageLoadError, ImageSaveError, HintError) as e:
            failed += 1
            tqdm.write(f"error: {e}", file=sys.stderr)
        except (OSError, MemoryError, RuntimeError, ValueError) as e:
            failed += 1
            tqdm.write(
                f"error: {src}: {e.__class__.__name__}: {e}".splitlines()[0], file=sys.stderr
            )
    done = len(inputs) - failed
    print(f"{done} colourised, {failed} failed -> {out_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
