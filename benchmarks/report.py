"""Markdown tables and the JSON record of a benchmark run."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.memory import Memory
from benchmarks.rows import FORM_LABELS, FORMS


@dataclass
class RowResult:
    """Timings and memory of one row at one N (status 'n/a' carries the reason)."""

    form: str
    name: str
    peer: bool
    status: str = "ok"
    reason: str | None = None
    times: list[float] = field(default_factory=list)
    exact_ids: bool | None = None
    memory: Memory | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def best(self) -> float | None:
        return min(self.times) if self.times else None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["median"], out["min"] = self.median, self.best
        return out


def fastest_peer(results: list[RowResult]) -> dict[str, float]:
    """Per form, the smallest median among the pandas / polars / duckdb rows."""
    best: dict[str, float] = {}
    for r in results:
        m = r.median
        if r.peer and m is not None:
            best[r.form] = min(best.get(r.form, m), m)
    return best


def _secs(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.4f}" if x < 0.1 else f"{x:.3f}"


def _mib(mem: Memory | None, attr: str) -> str:
    return "—" if mem is None else f"{getattr(mem, attr):.0f}"


def table(results: list[RowResult]) -> str:
    """One markdown table: form, row, median, min, ratio to fastest peer, memory."""
    best = fastest_peer(results)
    lines = [
        "| form | row | median s | min s | × fastest peer | peak MiB above inputs | inputs MiB |",
        "|---|---|--:|--:|--:|--:|--:|",
    ]
    notes: list[str] = []
    order = {f: i for i, f in enumerate(FORMS)}
    for r in sorted(results, key=lambda r: (order[r.form], not r.peer)):
        m = r.median
        ratio = f"{m / best[r.form]:.2f}" if m is not None and r.form in best else "—"
        if r.status != "ok":
            ratio = "n/a"
            notes.append(f"{FORM_LABELS[r.form]} / {r.name}: {r.reason}")
        elif r.exact_ids is None:
            ratio = "—"  # not a ranking row (construction only)
        lines.append(
            f"| {FORM_LABELS[r.form]} | {r.name} | {_secs(m)} | {_secs(r.best)} | {ratio} "
            f"| {_mib(r.memory, 'peak_above_mib')} | {_mib(r.memory, 'baseline_mib')} |"
        )
    if notes:
        lines.append("")
        lines.extend(f"- n/a: {note}" for note in notes)
    return "\n".join(lines)
