"""Huebrush core: colour science, hints, networks, image files and inference (no Qt)."""

import os

__version__ = "0.1.0"

# GNU OpenMP's threads (torch's intra-op pool) spin at every barrier before they sleep; where
# another program holds a core, the spinning starves the thread that has the work. On 2
# shared cores a 6-view finish took 8-40 s with 2 threads against 1.1 s with 1, and 1.3 s
# with 2 threads that sleep at once. Read once, when torch loads: so set here, before any
# module imports torch; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
