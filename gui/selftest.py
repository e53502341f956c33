"""`huebrush --self-test`: colour the bundled sample through the app's own machinery.

The check drives the real main window (offscreen when there is no display): the Document,
the InferenceWorker and the Colorizer do exactly what they do for a user. It opens the sample
photo, exports the automatic colouring, places colour points the way a click and a pick in the
colour picker do, exports again, and checks the two full-resolution exports:

- the output has the photo's size and only finite values;
- the lightness is the photo's own (within 8-bit rounding);
- the hinted spots moved towards their hint colours compared with the export without hints
  (any network with the hint prior, as the shipped one has, is pulled that way).

With the shipped weights (no --weights) it also checks what only a trained network does:
there is colour (mean chroma above a floor) and each hinted spot is near its hint colour.
A random-weight network (tests pass --weights) is held to the checks any network meets.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STAGE_TIMEOUT_S = 300.0  # the first render loads the weights; a slow CPU may need minutes
L_MAX_ERROR = 1.0  # CIELAB L: worst pixel, after 8-bit sRGB rounding
L_MEAN_ERROR = 0.25
MIN_CHROMA = 3.0  # mean sqrt(a^2 + b^2) of the automatic colouring (default weights)
HINT_MAX_DISTANCE = 20.0  # ab distance of a hinted spot from its hint (default weights)
PROBE_RADIUS = 3  # full-resolution pixels around a hint that are averaged


@dataclass(frozen=True)
class Spot:
    """A colour point the self-test places: fractions of the photo, CIELAB ab."""

    name: str
    x: float
    y: float
    ab: tuple[float, float]


# Places on the sample (resources/samples/astronaut.png) with plausible colours.
SPOTS = (
    Spot("suit", 0.18, 0.62, (18.0, 38.0)),
    Spot("backdrop", 0.62, 0.12, (-8.0, -24.0)),
    Spot("flag", 0.06, 0.36, (45.0, 28.0)),
)


def needs_offscreen() -> bool:
    """True on Linux without a display, where Qt's default platform plugin would abort."""
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


class SelfTestFailed(Exception):
    """A check failed or a stage did not finish."""


class Report:
    """Collects the check lines; `failed` when any check did not pass."""

    def __init__(self) -> None:
        self.failed = 0

    def info(self, text: str) -> None:
        print(f"  {text}", flush=True)

    def check(self, ok: bool, text: str) -> None:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}", flush=True)
        if not ok:
            self.failed += 1


def _wait(app: object, done: Callable[[], bool], what: str, errors: list[str]) -> float:
    """Process events until `done()`; returns the seconds waited. Raises on errors/timeout."""
    from PySide6.QtCore import QEventLoop

    t0 = time.perf_counter()
    while not done():
        if errors:
            raise SelfTestFailed(f"{what}: {errors[0]}")
        if time.perf_counter() - t0 > STAGE_TIMEOUT_S:
            raise SelfTestFailed(f"{what}: no result after {STAGE_TIMEOUT_S:.0f} s")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)  # type: ignore[attr-defined]
        time.sleep(0.005)
    return time.perf_counter() - t0


def _quiet_offscreen(kind: object, context: object, message: str) -> None:
    """Qt's messages to stderr, less the offscreen plugin's note on every window resize."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(f"{message}\n")


def _mean_ab(lab: np.ndarray, spot: Spot) -> np.ndarray:
    h, w = lab.shape[:2]
    r, c = min(int(spot.y * h), h - 1), min(int(spot.x * w), w - 1)
    k = PROBE_RADIUS
    patch = lab[max(r - k, 0) : r + k + 1, max(c - k, 0) : c + k + 1, 1:]
    return patch.reshape(-1, 2).mean(axis=0)


def run_self_test(weights: Path | None = None, device: str | None = None) -> int:
    """Run the checks, print a report; 0 when all passed."""
    from model import __version__

    t_start = time.perf_counter()
    print(f"huebrush {__version__} self-test", flush=True)
    report = Report()
    try:
        with tempfile.TemporaryDirectory(prefix="huebrush-selftest-") as tmp:
            _run(Path(tmp), weights, device, report)
    except SelfTestFailed as err:
        report.check(False, str(err))
    except Exception:
        traceback.print_exc()
        report.check(False, "unexpected error (traceback above)")
    seconds = time.perf_counter() - t_start
    if report.failed:
        print(f"self-test FAILED: {report.failed} check(s) ({seconds:.1f} s)", flush=True)
        return 1
    print(f"self-test passed ({seconds:.1f} s)", flush=True)
    return 0


def _run(tmp: Path, weights: Path | None, device: str | None, report: Report) -> None:
    from PySide6.QtCore import QSettings, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from gui.colours import snapped
    from gui.mainwindow import MainWindow
    from gui.resources import sample_photo
    from model.colour.colorspace import rgb_to_lab
    from model.io.load import load_image
    from model.io.paths import default_weights_path
    from model.network.weights import file_hash

    trained = weights is None
    weights_path = Path(weights) if weights else default_weights_path()
    if not weights_path.is_file():
        raise SelfTestFailed(f"weights not found: {weights_path}")
    photo = sample_photo()
    if not photo.is_file():
        raise SelfTestFailed(f"sample photo not found: {photo}")
    report.info(
        f"weights: {weights_path} ({'shipped default' if trained else 'given'}, "
        f"sha256 {file_hash(weights_path)})"
    )
    app = QApplication.instance() or QApplication(sys.argv[:1])
    qInstallMessageHandler(_quiet_offscreen)
    report.info(f"Qt platform: {QApplication.platformName()}")

    # A private settings file and data folder: the user's preferences, recent files and
    # recovery file stay untouched.
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(weights=weights_path, device=device, settings=settings, data_dir=tmp / "data")
    errors: list[str] = []
    # Any message box would wait forever for a click nobody makes: record it and stop instead.
    win.error = lambda title, message: errors.append(f"{title}: {message}")  # type: ignore[method-assign]
    win.worker.failed.connect(lambda msg: errors.append(f"render failed: {msg}"))
    exported: list[str] = []
    win.worker.exported.connect(exported.append)
    try:
        win.show()

        def rendered() -> bool:
            link = win.render_link
            return link.generation > 0 and win.canvas.shown_generation == link.generation

        win.files.open_sample()
        s = _wait(app, lambda: win.doc.image is not None and rendered(), "open", errors)
        report.info(f"device: {win.render_link.device_label.text().removeprefix('Device: ')}")
        report.check(True, f"opened and coloured {photo.name} in the window ({s:.1f} s)")

        def export(name: str) -> np.ndarray:
            path = tmp / name
            n = len(exported)
            if not win.exports.export(path):
                raise SelfTestFailed(f"export {name} was refused")
            _wait(app, lambda: len(exported) > n, f"export {name}", errors)
            return load_image(path).rgb

        plain = export("no-hints.png")

        hints: list[tuple[Spot, tuple[float, float]]] = []
        for spot in SPOTS:
            # What a click on the photo and a pick in the colour picker emit.
            win.canvas.pointAddRequested.emit(spot.x, spot.y)
            ab = snapped(win.editor.lightness_at(spot.x, spot.y), spot.ab)
            win.picker.colourPicked.emit(ab[0], ab[1], True)
            hints.append((spot, ab))
        placed = win.doc.points
        report.check(
            len(placed) == len(SPOTS)
            and all(
                np.allclose(p.ab, ab, atol=1e-2) for p, (_, ab) in zip(placed, hints, strict=False)
            ),
            f"{len(placed)} colour points placed through the canvas and picker signals",
        )
        s = _wait(app, rendered, "render with hints", errors)
        report.check(True, f"re-rendered with the hints ({s:.1f} s)")
        hinted = export("hints.png")
    finally:
        win.doc.undo_stack.setClean()  # no "save changes?" question on the way out
        win.shutdown()
        win.hide()
        win.deleteLater()
        app.processEvents()

    source = load_image(photo)
    H, W = source.L.shape
    report.check(
        hinted.shape == (H, W, 3) and plain.shape == (H, W, 3),
        f"output size {hinted.shape[1]}x{hinted.shape[0]}, the photo's is {W}x{H}",
    )
    report.check(
        bool(np.isfinite(hinted).all() and np.isfinite(plain).all()), "output values finite"
    )
    lab_hinted = rgb_to_lab(hinted.astype(np.float64))
    lab_plain = rgb_to_lab(plain.astype(np.float64))
    dl = np.abs(lab_hinted[..., 0] - source.L)
    report.check(
        float(dl.max()) <= L_MAX_ERROR and float(dl.mean()) <= L_MEAN_ERROR,
        f"lightness kept: max |dL| {dl.max():.2f} (limit {L_MAX_ERROR}), "
        f"mean {dl.mean():.3f} (limit {L_MEAN_ERROR})",
    )
    chroma = float(np.hypot(lab_plain[..., 1], lab_plain[..., 2]).mean())
    chroma_h = float(np.hypot(lab_hinted[..., 1], lab_hinted[..., 2]).mean())
    if trained:
        report.check(
            chroma >= MIN_CHROMA,
            f"colour without hints: mean chroma {chroma:.1f} (min {MIN_CHROMA})",
        )
    else:
        report.info(f"mean chroma {chroma:.1f} without hints, {chroma_h:.1f} with")
    # Any network with the hint-spread prior (the shipped design) is pulled towards its
    # hints: the hinted spots must on average be nearer their colours than without hints.
    # A random network without the prior may ignore hints entirely; that is only reported.
    dists, dists0 = [], []
    for spot, ab in hints:
        target = np.asarray(ab)
        got = _mean_ab(lab_hinted, spot)
        before = _mean_ab(lab_plain, spot)
        d, d0 = float(np.hypot(*(got - target))), float(np.hypot(*(before - target)))
        dists.append(d)
        dists0.append(d0)
        text = (
            f"{spot.name} hint ({ab[0]:.0f}, {ab[1]:.0f}): got ab ({got[0]:.0f}, {got[1]:.0f}), "
            f"distance {d:.1f} (without hints {d0:.1f})"
        )
        if trained:
            report.check(d <= HINT_MAX_DISTANCE, f"{text}, limit {HINT_MAX_DISTANCE:.0f}")
        else:
            report.info(text)
    d, d0 = float(np.mean(dists)), float(np.mean(dists0))
    text = f"hints pull towards their colours: mean distance {d:.1f}, without hints {d0:.1f}"
    if trained or uses_prior(weights_path):
        report.check(d < d0, text)
    else:
        report.info(f"{text} (not required: this network has no hint prior)")


def uses_prior(weights: Path) -> bool:
    """True when the weights file's network takes the edge-aware spread of the hints."""
    from model.network.config import NetConfig
    from model.network.weights import read_metadata

    return NetConfig.from_json(read_metadata(weights)["config"]).prior
