"""The quality bench: the SIGGRAPH17 point protocol run through the CLI's own engines.

Every photo is squashed to 256x256, the protocol's N points are written to a hint file and
read back, and the photo is coloured by the same engine objects `huebrush-colorize` uses, so
the numbers describe what users get, not a private evaluation path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from model.colour.colorspace import rgb_to_lab
from model.engines import Engine, NetEngine, make_engine
from model.finish import Finish
from model.hints.document import Hints, PaletteColor
from model.hints.encoding import kmeans_palette
from model.inference import Colorizer, Prepared, lab_to_rgb_rows, to_uint8
from model.io.load import load_image
from model.io.pixels import LoadedImage
from training.evaluate import points_for
from training.metrics import colourfulness, mean_and_se, psnr, ssim

DEFAULT_POINTS = (0, 1, 2, 5, 10, 20, 50, 100)

DEFAULT_ENGINES = ("net", "views", "levin", "gray")

# net: one pass (what the app shows while editing); views and refine: the finishes of
# model.views (the app's default once the user pauses, and the opt-in fit to the points).
ENGINE_NAMES = ("net", "views", "refine", "levin", "gray")

_FINISHES = {"net": Finish.PASS, "views": Finish.VIEWS, "refine": Finish.REFINE}

PALETTE_K = 6

PALETTE_POINTS = (0, 10)

PALETTE_KEY = "net+palette"

PALETTE_NOTE = (
    "Only the net is run with the palette: Levin et al. propagation and the grey baseline "
    "ignore palettes, so their results would equal the no-palette rows."
)


class GrayEngine:
    """The photo's own L with ab = 0: what leaving a photo black-and-white scores."""

    def __call__(
        self, image: LoadedImage, hints: Hints, out_L: np.ndarray | None = None
    ) -> np.ndarray:
        L = image.L if out_L is None else out_L
        return lab_to_rgb_rows(L, np.zeros((*L.shape, 2), np.float32))

    def describe(self, hints: Hints | None = None) -> str:
        return "grey (L only, ab = 0)"


class ReusingColorizer(Colorizer):
    """A Colorizer that keeps the last photo's `prepare()` result.

    The bench colours each photo at many point counts, and the ImageNet features depend on the
    photo alone. NetEngine still runs unchanged (prepare, predict, render), as in the CLI.
    """

    _last: tuple[object, Prepared] | None = None

    def prepare(self, image: Any) -> Prepared:
        """As Colorizer.prepare, but the same image object gets the same Prepared back."""
        # Identity, not equality: holding the object in _last keeps its id from being reused.
        if self._last is not None and self._last[0] is image:
            return self._last[1]
        prep = super().prepare(image)
        self._last = (image, prep)
        return prep


def build_engines(
    names: Iterable[str], device: str = "auto", weights: str | None = None, working_size: int = 256
) -> dict[str, Engine]:
    """The named engines; 'net' and 'levin' as make_engine builds them for the CLI."""
    engines: dict[str, Engine] = {}
    for name in names:
        if name == "gray":
            engines[name] = GrayEngine()
        elif name in _FINISHES:
            # make_engine('net') with a Colorizer that reuses prepare(); everything else equal.
            col = ReusingColorizer.load(weights, device=device, working_size=working_size)
            _ = col.net  # a bad weights file fails before any photo is read, as in the CLI
            engines[name] = NetEngine(col, _FINISHES[name])
        else:
            engines[name] = make_engine(name, device, weights, working_size)
    return engines


def protocol_hints(
    ab: np.ndarray, n: int, seed: int, index: int, palette: Sequence[PaletteColor] = ()
) -> Hints:
    """The protocol's n points for photo `index` (deterministic per seed/photo/n), as Hints."""
    return Hints(points=tuple(points_for(ab, n, seed, index)), palette=tuple(palette))


def protocol_palette(
    ab: np.ndarray, seed: int, index: int, k: int = PALETTE_K
) -> list[PaletteColor]:
    """A k-colour palette: seeded k-means of all of the photo's true ab values."""
    return kmeans_palette(ab.reshape(-1, 2), k, np.random.default_rng([seed, index, k, 1]))


def via_hint_file(hints: Hints, path: Path) -> Hints:
    """Write the hints as a hint file and read them back, as the CLI receives them."""
    hints.to_json(path)
    return Hints.from_json(path)


def _scores(out: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    return {"psnr": psnr(out, truth), "ssim": ssim(out, truth), "colourfulness": colourfulness(out)}


def run_quality(
    images: Sequence[np.ndarray],
    engines: dict[str, Engine],
    points: Sequence[int],
    seed: int,
    workdir: Path,
    palette: bool = True,
    progress: bool = True,
) -> dict[str, dict[int, dict[str, list[float]]]]:
    """Per-photo scores: {engine key: {points: {metric: [one value per photo]}}}."""
    runs: list[tuple[str, int, bool]] = [(e, n, False) for n in points for e in engines]
    if palette and "net" in engines:
        runs += [("net", n, True) for n in PALETTE_POINTS]
    scores: dict[str, dict[int, dict[str, list[float]]]] = {}
    with tqdm(
        total=len(images) * len(runs), desc="quality", unit="run", disable=not progress
    ) as bar:
        for i, truth in enumerate(images):
            png = workdir / f"{i:05d}.png"
            Image.fromarray(truth).save(png)
            img = load_image(png)
            ab = rgb_to_lab(truth.astype(np.float32) / 255.0)[..., 1:].astype(np.float32)
            pal = protocol_palette(ab, seed, i) if any(r[2] for r in runs) else []
            for name, n, with_palette in runs:
                hints = protocol_hints(ab, n, seed, i, pal if with_palette else ())
                suffix = "_palette" if with_palette else ""
                hints = via_hint_file(hints, workdir / f"{i:05d}_{n}{suffix}.hints.json")
                out = to_uint8(engines[name](img, hints))
                key = PALETTE_KEY if with_palette else name
                slot = scores.setdefault(key, {}).setdefault(n, {})
                for metric, value in _scores(out, truth).items():
                    slot.setdefault(metric, []).append(value)
                bar.update()
            png.unlink()
    return scores


def summarise(per_image: dict[str, dict[int, dict[str, list[float]]]]) -> dict[str, Any]:
    """Means and standard errors per engine and point count (keys are strings for JSON)."""
    out: dict[str, Any] = {}
    for key, by_n in per_image.items():
        out[key] = {}
        for n, metrics in by_n.items():
            row: dict[str, float | int] = {"images": len(metrics["psnr"])}
            for metric, values in metrics.items():
                row[metric], row[f"{metric}_se"] = mean_and_se(values)
            out[key][str(n)] = row
    return out


def weights_info(engines: dict[str, Engine], weights: str | None) -> dict[str, Any]:
    net = next((engines[n] for n in _FINISHES if n in engines), None)
    if isinstance(net, NetEngine):
        col = net.colorizer
        return {
            "path": Path(str(col.weights_path)).name,
            "id": col.weights_id(),
            "device": col.device_name,
        }
    return {"path": Path(weights).name if weights else None, "id": None, "note": "net not run"}


# What must match for rows of an earlier report to stand beside new ones.
_PROTOCOL_KEYS = ("dataset", "seed", "points", "eval_size", "working_size")


def reuse_rows(report: dict[str, Any], previous: dict[str, Any]) -> list[str]:
    """Copy into `report` the rows of engines it did not run from an earlier report.

    The weight-independent baselines (Levin takes ~20 min on the full val set) then need not
    be re-run when only the weights change. The protocol must match exactly, or the rows would
    describe other photos or points. Returns the engines copied (recorded in meta["reused"]).
    """
    meta, old_meta = report["meta"], previous["meta"]
    for key in _PROTOCOL_KEYS:
        if meta[key] != old_meta[key]:
            raise ValueError(f"protocol differs in {key}: {old_meta[key]!r} != {meta[key]!r}")
    copied = [k for k in previous["results"] if k not in report["results"]]
    if PALETTE_KEY in copied:
        copied.remove(PALETTE_KEY)  # the palette rows are the net's: they belong to its weights
    for key in copied:
        report["results"][key] = previous["results"][key]
        report["per_image_psnr"][key] = previous["per_image_psnr"][key]
    meta["reused"] = {"engines": copied, "date": old_meta["date"]}
    return copied
