"""The shared result type and table printer of every benchmark.

A benchmark module `benchmarks/bench_<area>.py` defines `run(quick: bool) -> list[Result]`.
Each Result names the figure, its target, what was measured, and (where the issue asks for one)
the floor measured in the same run, so the ratio is honest on any machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    area: str
    figure: str  # e.g. "apply 100k changes"
    measured: float
    unit: str  # e.g. "changes/s", "ms"
    target: float | None = None  # the number the issue asks for
    higher_is_better: bool = False
    floor: float | None = None  # same quantity for the raw floor (e.g. sqlite3 executemany)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times worse than the floor (1.0 = as good as the floor)."""
        if self.floor is None or self.floor == 0 or self.measured == 0:
            return None
        return self.floor / self.measured if self.higher_is_better else self.measured / self.floor

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        if self.higher_is_better:
            return self.measured >= self.target
        return self.measured <= self.target


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def format_table(results: Iterable[Result]) -> str:
    rows = [("area", "figure", "target", "measured", "floor", "ratio", "result")]
    for r in results:
        op = ">=" if r.higher_is_better else "<="
        target = f"{op} {_num(r.target)} {r.unit}" if r.target is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else "-"
        verdict = {True: "pass", False: "MISS", None: "info"}[r.passed]
        rows.append(
            (r.area, r.figure, target, f"{_num(r.measured)} {r.unit}", _num(r.floor), ratio, verdict)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
