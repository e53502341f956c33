"""A guard against a reference-count bug in some PySide6 builds.

PySide6-Essentials 6.12.0 (shiboken6 6.12.0) returns None from every void method (update(),
resize(), QPainter.drawLine(), processEvents()...) without taking a new reference to it. On
CPython 3.12+ None is immortal and nothing happens; on 3.11 each call lowers None's count by
one, and after a few thousand calls the interpreter aborts with "none_dealloc: deallocating
None". An interactive session makes that many calls within seconds.

`protect_none()` measures whether the installed binding has the bug and, only then, gives None
a reference count so large that the leak cannot exhaust it in any session. None is never freed
in CPython anyway, so this changes nothing else.
"""

from __future__ import annotations

import ctypes
import sys

_PROBE_CALLS = 64
_HEADROOM = 1 << 40  # about 10^12 void calls

_checked = False
applied = False


def binding_leaks_none() -> bool:
    """True when a void Qt method call drops a reference to None."""
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    return before - sys.getrefcount(None) >= _PROBE_CALLS // 2


def protect_none() -> bool:
    """Apply the guard if this interpreter and binding need it; True if it was applied."""
    global _checked, applied
    if _checked:
        return applied
    _checked = True
    if (
        sys.implementation.name != "cpython"
        or sys.version_info >= (3, 12)
        or hasattr(sys, "gettotalrefcount")  # debug builds lay out objects differently
        or not binding_leaks_none()
    ):
        return False
    # ob_refcnt is the first field of every object in release builds of CPython.
    ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM
    applied = True
    return True
