"""Machine, Python and library versions for the benchmark header."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

LIBRARIES = ("crimeharm", "numpy", "pandas", "pyarrow", "polars", "duckdb")
ENV_VARS = ("OPENBLAS_CORETYPE", "OMP_NUM_THREADS", "POLARS_MAX_THREADS", "RAYON_NUM_THREADS")
REPO = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return None


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def describe() -> dict[str, object]:
    """Everything the header reports, as plain JSON-able values."""
    affinity = getattr(os, "sched_getaffinity", None)
    mem = _mem_total_gib()
    return {
        "cpu": _cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(affinity(0)) if affinity else os.cpu_count(),
        "memory_gib": round(mem, 1) if mem is not None else None,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {sys.version.split()[0]}",
        "versions": {lib: _version(lib) for lib in LIBRARIES},
        "crimeharm_commit": _git_commit(),
        "env": {var: os.environ.get(var) for var in ENV_VARS},
    }


def header_lines(info: dict[str, object]) -> list[str]:
    """Markdown bullet lines for `describe()`'s output."""
    versions = info["versions"]
    env = info["env"]
    assert isinstance(versions, dict)
    assert isinstance(env, dict)
    env_text = ", ".join(
        f"{k}={v if v is not None else '(unset)'}"
        for k, v in env.items()
        if v is not None or k == "OPENBLAS_CORETYPE"
    )
    return [
        f"- machine: {info['cpu']}, {info['logical_cores']} logical cores "
        f"({info['usable_cores']} usable), {info['memory_gib']} GiB RAM; {info['platform']}",
        f"- {info['python']}; " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- crimeharm commit: {info['crimeharm_commit']}",
        f"- environment: {env_text}",
    ]


def cpu_seconds() -> tuple[float, float] | None:
    """Machine-wide (busy, steal) CPU seconds since boot from /proc/stat, or None."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    hz = os.sysconf("SC_CLK_TCK")
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
    return busy / hz, ticks[7] / hz


class CpuMeter:
    """CPU used by *other* processes (and stolen by the hypervisor) over a stretch of time."""

    def __init__(self) -> None:
        self._start = cpu_seconds()
        self._own = sum(os.times()[:2])
        self._wall = os.times().elapsed

    def others(self) -> dict[str, float] | None:
        """Average cores busy with other processes, and stolen, since construction."""
        end = cpu_seconds()
        if self._start is None or end is None:
            return None
        wall = max(os.times().elapsed - self._wall, 1e-9)
        own = sum(os.times()[:2]) - self._own
        other = max(end[0] - self._start[0] - own, 0.0)
        return {"other_cores": other / wall, "steal_cores": (end[1] - self._start[1]) / wall}
