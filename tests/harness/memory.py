"""Memory accounting for the convergence harness: RSS from `/proc`, no psutil.

The harness parent hosts the reference server, the mission runner and one fault proxy per
client, so a leak anywhere in them shows as parent RSS that keeps rising with the kill count.
`MemoryWatch` samples the parent at evenly spaced kill counts ("rounds") and keeps the peak
RSS of every child it could see, by kind: forked lives just before their SIGKILL, the
zygotes before they exit, drains from their own report. (`getrusage(RUSAGE_CHILDREN)` is no
use here: Linux carries the parent's RSS at fork into a child's maxrss, so it reports the
parent.)

A sample is taken after `malloc_trim(0)` (glibc): without it the figure is dominated by free
memory the allocator keeps in per-thread arenas, which jumps by hundreds of MB from one
sample to the next and would hide a slow real leak. Peak figures (VmHWM) are untrimmed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


def status_kb(pid: int | str = "self", key: str = "VmRSS") -> int | None:
    """A `kB` line of `/proc/<pid>/status` (VmRSS, VmHWM, ...); None when unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # the process is gone, or no /proc (not Linux)
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


@cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        lib = ctypes.CDLL(name)
        lib.malloc_trim.argtypes = [ctypes.c_size_t]
        return lib
    except (OSError, AttributeError, TypeError):  # not glibc: no malloc_trim
        return None


def trim() -> None:
    """Give free heap memory back to the kernel (glibc); a no-op elsewhere."""
    lib = _libc()
    if lib is not None:
        lib.malloc_trim(0)


@cache
def _sqlite() -> ctypes.CDLL | None:
    try:
        import _sqlite3  # noqa: F401  (loads the libsqlite3 the sqlite3 module uses)

        lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
        lib.sqlite3_memory_used.restype = ctypes.c_int64
        return lib
    except (OSError, AttributeError, ImportError):  # a statically linked sqlite3
        return None


def sqlite_kb() -> int | None:
    """Bytes SQLite holds in this process (page caches, statements), in kB, when visible."""
    lib = _sqlite()
    return None if lib is None else int(lib.sqlite3_memory_used()) // 1024


def settled_rss_kb(readings: int = 1, gap_s: float = 0.1) -> int:
    """RSS after `malloc_trim`; the least of `readings` taken `gap_s` apart, so a page the
    server is rendering at that instant does not count as growth."""
    least = 0
    for n in range(readings):
        if n:
            time.sleep(gap_s)
        trim()
        rss = status_kb() or 0
        least = rss if n == 0 else min(least, rss)
    return least


@dataclass
class Sample:
    kills: int
    rss_kb: int
    sqlite_kb: int | None


@dataclass
class MemoryWatch:
    """Parent samples at `rounds` evenly spaced kill counts, and the largest child peak."""

    kills: int
    rounds: int = 10
    samples: list[Sample] = field(default_factory=list)
    child_peaks_kb: dict[str, int] = field(default_factory=dict)  # kind -> largest peak
    phase_peaks_kb: dict[str, int] = field(default_factory=dict)  # parent VmHWM at phase end
    _next: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        self.samples.append(Sample(0, settled_rss_kb(readings=3), sqlite_kb()))

    def kill_point(self, kills: int) -> None:
        """Called after each kill point: samples when `kills` reached the next round."""
        with self._lock:
            if self._next > self.rounds or kills < self._next * self.kills / self.rounds:
                return
            while self._next <= self.rounds and kills >= self._next * self.kills / self.rounds:
                self._next += 1
            self.samples.append(Sample(kills, settled_rss_kb(readings=3), sqlite_kb()))

    def phase_done(self, phase: str) -> None:
        """The parent's peak so far, at the end of a phase (VmHWM only ever rises)."""
        self.phase_peaks_kb[phase] = self.parent_peak_kb

    def child(self, pid: int, kind: str) -> None:
        """Note a live child's peak RSS (call just before it is killed or exits)."""
        self.child_kb(kind, status_kb(pid, "VmHWM"))

    def child_kb(self, kind: str, peak_kb: int | None) -> None:
        if peak_kb is not None:
            with self._lock:
                self.child_peaks_kb[kind] = max(self.child_peaks_kb.get(kind, 0), peak_kb)

    @property
    def child_peak_kb(self) -> int:
        with self._lock:
            return max(self.child_peaks_kb.values(), default=0)

    @property
    def parent_peak_kb(self) -> int:
        return status_kb("self", "VmHWM") or 0

    def halves(self) -> tuple[Sample, Sample] | None:
        """(the sample at round N/2, the last sample), when the run got that far."""
        later = [s for s in self.samples if s.kills > 0]
        if len(later) < 2:
            return None
        half = later[-1].kills / 2
        mid = min(later[:-1], key=lambda s: abs(s.kills - half))
        return mid, later[-1]
