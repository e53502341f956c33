"""`python -m gui` and the bundled `huebrush` executable.

`huebrush colorize ...` runs the batch command line (model.cli); anything else opens the app.
One entry point keeps the PyInstaller bundle to a single executable.
"""

from __future__ import annotations

import sys


def run(argv: list[str]) -> int:
    """Dispatch to the batch CLI or the app."""
    if argv and argv[0] == "colorize":
        from model.cli import main as colorize

        return colorize(argv[1:])
    from gui.app import main

    return main(argv)


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
