"""Peak memory of one row, measured in a fresh child process.

The child loads the inputs and runs the row's setup, records its RSS (the baseline), resets the
kernel's peak-RSS mark (``/proc/self/clear_refs``), runs the row once and reports the peak.
Where the reset is unavailable the peak is ``ru_maxrss``, which may include the loading phase.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import harmv1
from benchmarks.rows import FORM_ARRAYS, Row

REPO = Path(__file__).resolve().parent.parent
MARK = "MEMORY-RESULT "


@dataclass(frozen=True)
class Memory:
    """MiB: RSS after loading + setup, peak RSS while running, and the difference."""

    baseline_mib: float
    peak_mib: float
    peak_above_mib: float
    ru_maxrss_mib: float  # whole-process peak including loading
    peak_reset: bool  # True if peak_mib covers the run only


def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _ru_maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure_here(row: Row, n: int, seed: int) -> Memory:
    """Load, set up, run `row` once in this process and return its memory use."""
    data = harmv1.load(n, seed, arrays=FORM_ARRAYS[row.form])
    runner = row.setup(data)
    gc.collect()
    baseline = _status_kib("VmRSS") or _ru_maxrss_kib()
    reset = _reset_peak() and _status_kib("VmHWM") is not None
    runner()
    hwm = _status_kib("VmHWM") if reset else None
    ru = _ru_maxrss_kib()
    peak = hwm if hwm is not None else ru
    mib = 1024.0
    return Memory(
        baseline_mib=baseline / mib,
        peak_mib=peak / mib,
        peak_above_mib=max(peak - baseline, 0) / mib,
        ru_maxrss_mib=ru / mib,
        peak_reset=hwm is not None,
    )


def child_main(key: str, n: int, seed: int, rows: dict[str, Row]) -> None:
    """Entry point of the child: measure `key` and print one marked JSON line."""
    print(MARK + json.dumps(asdict(measure_here(rows[key], n, seed))), flush=True)


def measure_in_child(row: Row, n: int, seed: int, timeout: float = 1800.0) -> Memory:
    """Run `python -m benchmarks.run --child KEY` and parse its report."""
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", row.key, "--n", str(n)]
    cmd += ["--seed", str(seed)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return Memory(**json.loads(line[len(MARK) :]))
    msg = (
        f"memory child for {row.key!r} (N={n}) failed with status {proc.returncode}:\n"
        f"{proc.stderr[-3000:]}"
    )
    raise RuntimeError(msg)
