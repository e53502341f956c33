import subprocess
import sys

import pytest

# Allocates and frees a 64 MB block eight times, touching every page, and reports how many
# page faults the last seven cost. Run in a process of its own: the setting is process-wide.
PROBE = """
import resource, sys
import numpy as np
from training.malloc import keep_freed_memory
on = sys.argv[1] == "on" and keep_freed_memory()
a = np.ones(64 << 17)
del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(7):
    a = np.ones(64 << 17)
    del a
print(int(on), resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="glibc's mallopt: Linux only"
)


def _faults(mode: str) -> tuple[bool, int]:
    res = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    on, faults = res.stdout.split()
    return bool(int(on)), int(faults)


def test_freed_blocks_are_reused_without_faulting_their_pages_in_again() -> None:
    applied, kept = _faults("on")
    assert applied
    _, default = _faults("off")
    # glibc's default maps every block afresh: at least one fault per page, and numpy's
    # blocks this big may be backed by 2 MB pages.
    assert default >= 7 * 64 // 2
    assert kept * 10 < default


def test_the_training_command_keeps_freed_memory() -> None:
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "huebrush-train"]
    assert ep.value == "training.cli:run"
