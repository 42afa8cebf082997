"""Work around reference-count bugs of PySide6 6.12.0 on Python 3.11.

Measured here (PySide6 6.12.0, CPython 3.11.7): every Python call of `SignalInstance.emit`
returns `True` without owning a reference, and every Python override or slot that returns
`None` (a model's `data()`, `paintEvent`, a slot) loses one reference of `None`. On Python
3.12+ these singletons are immortal and nothing happens; on 3.11 the interpreter aborts after
a few thousand callbacks ("deallocating None"). So, when the probe sees the leak, we give the
three singletons a refcount so large that the leak can never reach zero (what 3.12 does by
design), and `emit()` hands back the reference it steals. Reported to the lead: pinning
PySide6 below 6.12 (or Python 3.12) avoids the need.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    sig_probe = Signal(int)
    """Emitted only to measure the bug."""


def _emit_leaks() -> bool:
    probe = _Probe()
    results = []
    before = sys.getrefcount(True)
    for _ in range(20):
        results.append(probe.sig_probe.emit(1))
    leaked = before - sys.getrefcount(True) + sum(1 for r in results if r is True)
    for result in results:
        # Give back what the probe itself stole.
        if leaked >= 20 and isinstance(result, bool):
            _incref(result)
    return leaked >= 20


EMIT_LEAKS = _emit_leaks()
_IMMORTAL = 1 << 40


def _immortalize(obj: object) -> None:
    # ob_refcnt is the first field of every object (CPython 3.11 layout).
    ctypes.c_ssize_t.from_address(id(obj)).value += _IMMORTAL


if EMIT_LEAKS and sys.version_info < (3, 12):
    for _singleton in (None, True, False):
        _immortalize(_singleton)


def emit(signal: Any, *args: Any) -> None:
    """`signal.emit(*args)`, safe on every PySide6 version we allow."""
    result = signal.emit(*args)
    if EMIT_LEAKS and isinstance(result, bool):
        _incref(result)
