"""`python -m gui.latency`: time from a click on the photo to the repainted colour result.

Runs the real main window offscreen (unless a display is forced), clicks points onto a photo
one after another, each given a colour in the picker at once (a click alone changes nothing
the network sees), and measures from each click until the result for it has been painted.
Prints p50/p95 per worker thread count; the 'network' column is the worker's own share
(request to finished preview), the rest is queueing, signal delivery and painting.

`--drag S` instead drags one point around for S seconds (a mouse move every 16 ms) and
reports what a user sees while dragging: results painted per second, how old the shown
position is when it arrives (request to finished preview), and the time from the release
to the full-size result, with quick drafts on and off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.mainwindow import MainWindow
    from gui.preferences import Preferences

DEFAULT_EDITS = 50
WARMUP_EDITS = 3
TIMEOUT_S = 120.0


def default_weights() -> Path | None:
    """The shipped weights, else the training run's best, else None."""
    from model.io.paths import default_weights_path

    for p in (default_weights_path(), Path("runs/main/best.safetensors")):
        if p.is_file():
            return p
    return None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


@contextmanager
def measuring_window(
    weights: Path | None, threads: int, prefs: Preferences
) -> Iterator[MainWindow]:
    """A real main window on the CPU with these preferences and settings of its own in a
    scratch folder, closed and the folder removed afterwards."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.mainwindow import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="huebrush-latency-") as scratch:
        tmp = Path(scratch)
        settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
        prefs.save(settings)
        win = MainWindow(
            weights=weights, device="cpu", settings=settings, data_dir=tmp, threads=threads
        )
        win.resize(1400, 900)
        win.show()
        try:
            yield win
        finally:
            win.doc.undo_stack.setClean()
            win.close()
            app.processEvents()


def measure(
    photo: Path, weights: Path | None, threads: int, edits: int, size: int, seed: int
) -> tuple[list[float], list[float], str]:
    """(click-to-paint ms, network ms, device) for `edits` clicks."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest

    from gui.colours import snapped
    from gui.preferences import Preferences

    with measuring_window(weights, threads, Preferences("cpu", size)) as win:

        def wait_for(cond: Callable[[], bool]) -> None:
            # Woken by each painted result; a slow safety timer also re-checks the condition,
            # so nothing polls while the worker runs.
            loop = QEventLoop()
            win.canvas.resultShown.connect(loop.quit)
            safety = QTimer()
            safety.timeout.connect(loop.quit)
            safety.start(250)
            deadline = time.perf_counter() + TIMEOUT_S
            try:
                while not cond():
                    if time.perf_counter() > deadline:
                        raise SystemExit("timed out waiting for a render")
                    loop.exec()
            finally:
                safety.stop()
                win.canvas.resultShown.disconnect(loop.quit)

        def shown() -> bool:
            link = win.render_link
            return link.generation > 0 and win.canvas.shown_generation == link.generation

        win.files.open_photo(photo)
        wait_for(lambda: win.doc.image is not None and shown())
        view = win.canvas.result
        rng = np.random.default_rng(seed)
        totals: list[float] = []
        nets: list[float] = []
        for i in range(WARMUP_EDITS + edits):
            fx, fy = rng.uniform(0.1, 0.9, 2)
            a, b = snapped(win.editor.lightness_at(fx, fy), tuple(rng.uniform(-40, 40, 2)))
            pos = view.to_widget(float(fx), float(fy)).toPoint()
            t0 = time.perf_counter()
            QTest.mouseClick(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)
            win.picker.colourPicked.emit(a, b, True)  # as a click on a colour of the picker
            wait_for(shown)
            ms = (time.perf_counter() - t0) * 1000
            if i >= WARMUP_EDITS:
                totals.append(ms)
                nets.append(win.render_link.last_latency_ms)
        device = win.render_link.device_label.text()
        return totals, nets, device


def measure_drag(
    photo: Path, weights: Path | None, threads: int, seconds: float, size: int, drafts: bool
) -> dict[str, float]:
    """Updates per second, p50/p95 age of what is shown, release-to-final ms for one drag."""
    import math

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest

    from gui.colours import snapped
    from gui.preferences import Preferences

    with measuring_window(weights, threads, Preferences("cpu", size, drafts=drafts)) as win:
        results: list[tuple[float, object]] = []
        win.worker.resultReady.connect(lambda r: results.append((time.perf_counter(), r)))

        def run_until(cond: Callable[[], bool]) -> None:
            loop = QEventLoop()
            timer = QTimer()
            timer.timeout.connect(lambda: loop.quit() if cond() else None)
            timer.start(5)
            deadline = time.perf_counter() + TIMEOUT_S
            while not cond():
                if time.perf_counter() > deadline:
                    raise SystemExit("timed out waiting for a render")
                loop.exec()
            timer.stop()

        def settled() -> bool:
            # the newest edit's full-size answer has arrived (not a draft)
            newest = win.render_link.generation
            return any(r.generation == newest and r.draft is None for _, r in results)

        win.files.open_photo(photo)
        link = win.render_link
        run_until(lambda: win.doc.image is not None and link.generation > 0 and settled())
        view = win.canvas.result
        QTest.mouseClick(
            view,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            view.to_widget(0.5, 0.5).toPoint(),
        )
        win.picker.colourPicked.emit(*snapped(win.editor.lightness_at(0.5, 0.5), (30, 30)), True)
        run_until(settled)
        for _ in range(WARMUP_EDITS):  # warm the draft size's network shapes too
            win.doc.move_point(0, 0.5, 0.45, final=True)
            run_until(settled)
            win.doc.move_point(0, 0.5, 0.5, final=True)
            run_until(settled)
        results.clear()
        QTest.mousePress(
            view,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
            view.to_widget(0.5, 0.5).toPoint(),
        )
        start = time.perf_counter()
        step = {"i": 0}
        last = [view.to_widget(0.5, 0.5).toPoint()]

        def move() -> None:
            step["i"] += 1
            t = step["i"] * 0.016
            fx = 0.5 + 0.25 * math.sin(2 * math.pi * t / 2.0)
            fy = 0.5 + 0.25 * (1 - math.cos(2 * math.pi * t / 2.0)) * 0.5
            last[0] = view.to_widget(fx, fy).toPoint()
            QTest.mouseMove(view, last[0])

        mover = QTimer()
        mover.timeout.connect(move)
        mover.start(16)
        run_until(lambda: time.perf_counter() - start >= seconds)
        mover.stop()
        during = [r for _, r in results]
        released = time.perf_counter()
        # Released where the pointer last was, as a user lets go: no move, the drag just ends.
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, last[0])
        run_until(settled)
        newest = win.render_link.generation
        final_at = next(t for t, r in results if r.generation == newest and r.draft is None)
        # The worker delivers from its own thread, so the last step's full-size answer can land
        # between the last move and the release: then the release had nothing left to wait for.
        ages = [r.latency_ms for r in during]
        return {
            "per_s": len(during) / seconds,
            "drafts": sum(r.draft is not None for r in during),
            "age_p50": statistics.median(ages) if ages else math.nan,
            "age_p95": percentile(ages, 95) if ages else math.nan,
            "final_ms": max(0.0, (final_at - released) * 1000),
        }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure each thread count, print a table."""
    ap = argparse.ArgumentParser(prog="python -m gui.latency", description=__doc__)
    ap.add_argument("--photo", type=Path, help="photo to click on (default: the sample)")
    ap.add_argument("--weights", type=Path, help="weights file (default: shipped or run's best)")
    ap.add_argument("--edits", type=int, default=DEFAULT_EDITS)
    ap.add_argument("--size", type=int, default=256, help="working resolution")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="worker threads")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--drag", type=float, metavar="S", help="measure a drag of S seconds")
    args = ap.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from gui.qtfix import protect_none
    from gui.resources import sample_photo

    protect_none()
    weights = args.weights or default_weights()
    if weights is None:
        print("no weights found: pass --weights PATH", file=sys.stderr)
        return 2
    photo = args.photo or sample_photo()
    if args.drag:
        print(f"photo {Path(photo).name}, weights {Path(weights).name}, ", end="")
        print(f"working size {args.size}, {args.drag} s drag")
        print(
            f"{'threads':>7}  {'drafts':>6}  {'updates/s':>9}  {'drafted':>7}  "
            f"{'age p50':>7}  {'age p95':>7}  {'release to full':>15}"
        )
        for n in args.threads:
            for drafts in (True, False):
                r = measure_drag(photo, weights, n, args.drag, args.size, drafts)
                print(
                    f"{n:>7}  {'on' if drafts else 'off':>6}  {r['per_s']:9.1f}  "
                    f"{r['drafts']:7.0f}  {r['age_p50']:7.0f}  {r['age_p95']:7.0f}  "
                    f"{r['final_ms']:15.0f}",
                    flush=True,
                )
        return 0
    print(f"photo {Path(photo).name}, weights {Path(weights).name}, ", end="")
    print(f"working size {args.size}, {args.edits} clicks")
    print(f"{'threads':>7}  {'p50 ms':>7}  {'p95 ms':>7}  {'mean':>7}  {'network p50':>11}  device")
    for n in args.threads:
        totals, nets, device = measure(photo, weights, n, args.edits, args.size, args.seed)
        print(
            f"{n:>7}  {statistics.median(totals):7.0f}  {percentile(totals, 95):7.0f}  "
            f"{statistics.fmean(totals):7.0f}  {statistics.median(nets):11.0f}  {device}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
