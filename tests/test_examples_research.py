"""The research examples (explain, compare, concentration, manifest and pseudonyms) run and
print what the docs say they print."""

from __future__ import annotations

import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert done.value.code == 0
    return out.getvalue()


def test_explain_offender() -> None:
    text = _run("explain_offender.py")
    assert "<Explanation of offender" in text
    assert "identical:             True" in text
    ranked = re.search(r"ranked harm:\s+(\S+)", text)
    summed = re.search(r"sum of contributions:\s+(\S+)", text)
    assert ranked is not None
    assert summed is not None
    assert ranked.group(1) == summed.group(1)
    counted = int(re.search(r"from (\d+) counted events", text).group(1))  # type: ignore[union-attr]
    assert counted >= 5
    rows = [line for line in text.splitlines() if re.match(r"\s*\d+\s+\d{4}-\d\d-\d\d\s", line)]
    assert len(rows) == counted
    contributions = [float(line.split()[6].replace(",", "")) for line in rows]
    harm = float(re.search(r"harm ([\d,.]+) days", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert sum(contributions) == pytest.approx(harm, abs=1e-3 * len(rows))


def test_compare_schemes() -> None:
    text = _run("compare_schemes.py")
    assert "<ComparisonTable: 6 pairs>" in text
    header = next(line for line in text.splitlines() if "kendall_tau_b" in line)
    assert header.split() == [
        "pair_a",
        "pair_b",
        "n",
        "common",
        "overlap",
        "jaccard",
        "spearman",
        "kendall_tau_b",
    ]
    rows = [line.split() for line in text.splitlines() if re.match(r"\s*\S+\s+\S+\s+100\s", line)]
    assert len(rows) == 6
    for row in rows:
        common, overlap, jaccard = int(row[3]), float(row[4]), float(row[5])
        assert overlap == pytest.approx(common / 100, abs=1e-4)
        assert jaccard == pytest.approx(common / (200 - common), abs=1e-4)
        assert -1.0 <= float(row[7]) <= 1.0
    churn = re.findall(r"(\d+) stayed, (\d+) left \(churn (\d+)%\)", text)
    assert len(churn) == 2
    for stayed, left, pct in churn:
        assert int(stayed) + int(left) == 100
        assert int(pct) == int(left)


def test_concentration() -> None:
    text = _run("concentration.py")
    shares = [float(v) for v in re.findall(r"hold\s+([\d.]+)% of harm", text)]
    assert len(shares) == 5
    assert shares == sorted(shares)  # top 1% <= 2% <= 3% <= 7% <= 10%
    assert "Northamptonshire Police" in text
    assert "Thames Valley Police" in text
    assert "Western Australia Police" in text
    gini = float(re.search(r"^Gini ([\d.]+)", text, re.M).group(1))  # type: ignore[union-attr]
    assert 0.0 <= gini < 1.0
    assert "(all)" in text
    assert "Victims (people):" in text


def test_manifest_and_pseudonymise() -> None:
    text = _run("manifest_and_pseudonymise.py")
    assert "wrote ranking.csv and ranking.csv.manifest.json" in text
    assert "events verified: True" in text
    assert "first event left out, verified: False" in text
    assert "reproduced bit for bit: True" in text
    ids = re.findall(r"^\s+\d+\s+([0-9a-f]{16})\s", text, re.M)
    assert len(ids) == 10
    assert len(set(ids)) == 10
    assert text == _run("manifest_and_pseudonymise.py")  # deterministic demo key
