"""The sensitivity, RFG and figure example scripts run and print what the docs describe."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sensitivity_sweep_example() -> None:
    out = run("sensitivity_sweep.py", "--events", "20000", "--top", "20", "--boot", "20")
    assert "sweep: 13 settings" in out  # baseline + 3 windows x 4 half-lives
    rows = re.findall(r"^(baseline \(.*?\)|\d+d, half-life \d+d)\s+([\d.]+)\s", out, re.MULTILINE)
    assert len(rows) == 13
    assert rows[0][1] == "1.00"  # the baseline overlaps itself fully
    assert all(0.0 <= float(v) <= 1.0 for _, v in rows)
    assert "bootstrap: 20 replicates" in out
    ranks = re.findall(r"^\s+(\d+)\s+[\d,]+\s+(\d+)-(\d+)\s", out, re.MULTILINE)
    assert [int(r) for r, _, _ in ranks] == list(range(1, 11))
    assert all(int(lo) <= int(hi) for _, lo, hi in ranks)


def test_rfg_domestic_abuse_example() -> None:
    out = run("rfg_domestic_abuse.py", "--events", "20000", "--top", "5")
    assert "with 2+ victims" in out
    for name in ("recency", "frequency", "gravity", "victims"):
        assert re.search(rf"^  {name}\s+[-\d., inf]+$", out, re.MULTILINE), name
    table = re.findall(
        r"^\s+(\d+)\s+\d+\s+\d+\s+[\d,]+\s+\d+\s+([1-5] [1-5] [1-5] [1-5])\s+(\d+)$",
        out,
        re.MULTILINE,
    )
    assert [int(rank) for rank, _, _ in table] == list(range(1, len(table) + 1))
    assert 1 <= len(table) <= 5
    for _, bands, total in table:  # equal weights: the total is the sum of the four bands
        assert sum(int(b) for b in bands.split()) == int(total)
    assert re.search(r"Jaccard \d\.\d\d$", out, re.MULTILINE)


def test_make_figures_example(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    out = run("make_figures.py", "--events", "20000", "--out", str(tmp_path))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "figures.json", "lorenz.png", "rank_scatter.png", "scheme_shares.png",
        "sweep_frequency.png", "sweep_stability.png", "timeline.png",
    ]  # fmt: skip
    for name in names[1:]:
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
        assert f"wrote {tmp_path / name}" in out
