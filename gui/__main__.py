"""`python -m gui` and the bundled `huebrush` executable.

`huebrush colorize ...` runs the batch command line (model.cli); anything else opens the app
(or answers `--version`, `--help`, `--self-test`). One entry point keeps the PyInstaller bundle
to a single executable.
"""

from __future__ import annotations

import sys
import traceback


def run(argv: list[str]) -> int:
    """Dispatch to the batch CLI or the app."""
    if argv and argv[0] == "colorize":
        from model.cli import main as colorize

        return colorize(argv[1:])
    from gui.app import main, startup_failure  # torch-free, so it can report the next step

    try:
        import model.hints.document  # noqa: F401  (numpy, torch: what a damaged install lacks)
    except Exception:
        startup_failure(argv, traceback.format_exc())
        return 1
    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
