"""The guard against bindings that drop references to None (see gui/qtfix.py)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QWidget

from gui import qtfix


def test_many_void_calls_are_survivable(qapp) -> None:
    qtfix.protect_none()
    w = QWidget()
    for _ in range(20_000):  # several times what an unguarded None survives on 3.11
        w.update()
    assert sys.getrefcount(None) > 1000
    assert qtfix.protect_none() == qtfix.applied  # idempotent
