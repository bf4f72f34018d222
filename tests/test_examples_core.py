"""examples/met_vawg_top100.py runs end to end and prints what an independent count says.

The expectations come from a plain-Python recomputation on the same synthetic events: keep rows
whose offence group is sexual offences or violence against the person and whose victim is
female, weigh each with the CCHI table, halve per 365 days of age, sum per offender with
math.fsum, rank by harm then id.
"""

from __future__ import annotations

import math
import re
import runpy
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.builtin.demo import make_demo_events

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "met_vawg_top100.py"
N_EVENTS = 6000
SEED = 7
TOP = 12
AS_OF = np.datetime64("2023-07-18", "D")

_ROW = re.compile(
    r"^\s*(?P<rank>\d+)\s+(?P<id>\d+)\s+(?P<harm>[\d,]+\.\d)\s+(?P<count>\d+)\s+"
    r"(?P<victims>\d+)\s+(?P<last>\d{4}-\d{2}-\d{2})$"
)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _after(output: str, label: str) -> float:
    match = re.search(re.escape(label) + r"\s*([\d,.]+)", output)
    assert match, f"no {label!r} in the output"
    return _number(match[1].rstrip("."))


@pytest.fixture(scope="module")
def output() -> str:
    args = ["--events", str(N_EVENTS), "--seed", str(SEED), "--top", str(TOP)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """The VAWG harm of every offender, recomputed row by row in plain Python."""
    events = make_demo_events(N_EVENTS, seed=SEED, as_of=str(AS_OF), years=5)
    scheme = ch.get_scheme("cchi-2020")
    wanted = {"SEXUAL OFFENCES", "VIOLENCE AGAINST THE PERSON"}
    parts: dict[int, list[float]] = defaultdict(list)
    victims: dict[int, set[int]] = defaultdict(set)
    last: dict[int, np.datetime64] = {}
    kept = 0
    rows = zip(
        events.offender_id.tolist(),
        events.code_strings().tolist(),
        events.date.tolist(),
        events["victim_sex"].tolist(),
        events["victim_id"].tolist(),
        strict=True,
    )
    for who, code, day, sex, victim in rows:
        if sex != "F" or scheme.offence(code).group not in wanted:
            continue
        age = int((AS_OF - np.datetime64(day, "D")).astype(int))
        if not 0 <= age < 1826:
            continue
        kept += 1
        parts[who].append(scheme.weight(code) * 0.5 ** (age / 365))
        victims[who].add(victim)
        last[who] = max(last.get(who, np.datetime64(day, "D")), np.datetime64(day, "D"))
    harm = {who: math.fsum(p) for who, p in parts.items()}
    order = sorted(harm, key=lambda who: (-harm[who], who))
    return {
        "total_rows": len(events),
        "kept": kept,
        "harm": harm,
        "order": order,
        "count": {who: len(p) for who, p in parts.items()},
        "victims": {who: len(v) for who, v in victims.items()},
        "last": last,
    }


def test_top_rows_match_an_independent_count(output: str, expected: dict[str, Any]) -> None:
    rows = [m.groupdict() for line in output.splitlines() if (m := _ROW.match(line))]
    assert len(rows) == TOP
    for k, row in enumerate(rows):
        who = expected["order"][k]
        assert int(row["rank"]) == k + 1
        assert int(row["id"]) == who
        assert _number(row["harm"]) == pytest.approx(expected["harm"][who], abs=0.051)
        assert int(row["count"]) == expected["count"][who]
        assert int(row["victims"]) == expected["victims"][who]
        assert row["last"] == str(expected["last"][who])


def test_report_adds_up(output: str, expected: dict[str, Any]) -> None:
    assert _after(output, "rows read:") == expected["total_rows"]
    assert _after(output, "counted:") == expected["kept"]
    assert _after(output, "filtered out:") == expected["total_rows"] - expected["kept"]


def test_concentration(output: str, expected: dict[str, Any]) -> None:
    harm = sorted(expected["harm"].values(), reverse=True)
    total = math.fsum(harm)
    assert _after(output, "offenders with VAWG harm:") == len(harm)
    assert _after(output, "total harm") == pytest.approx(total, abs=0.051)
    top_share = _after(output, f"the top {TOP} hold")
    assert top_share == pytest.approx(100 * math.fsum(harm[:TOP]) / total, abs=0.051)
    # Gini from its definition over offenders sorted ascending
    x = harm[::-1]
    n = len(x)
    gini = math.fsum((2 * (i + 1) - n - 1) * v for i, v in enumerate(x)) / (n * total)
    assert _after(output, "Gini coefficient:") == pytest.approx(gini, abs=0.0006)
    shares = [
        float(m[2]) for m in re.finditer(r"the top (\d+)% of offenders hold ([\d.]+)%", output)
    ]
    assert len(shares) == 3
    assert shares == sorted(shares)
    assert all(0 < s <= 100 for s in shares)


def test_prints_only_the_top_ids(output: str, expected: dict[str, Any]) -> None:
    shown = {int(t) for t in re.findall(r"\b\d{7}\b", output)}
    assert shown == set(expected["order"][:TOP])


def test_functions_importable_without_running() -> None:
    namespace = runpy.run_path(str(SCRIPT), run_name="met_vawg_top100")
    events = make_demo_events(2000, seed=SEED, years=5)
    scheme = ch.get_scheme("cchi-2020")
    vawg = namespace["vawg_events"](events, scheme)
    groups = {scheme.offence(code).group for code in vawg.code_strings().tolist()}
    assert groups <= {"SEXUAL OFFENCES", "VIOLENCE AGAINST THE PERSON"}
    assert set(vawg["victim_sex"].tolist()) == {"F"}
    assert len(vawg) + vawg.dropped["filtered out"] == 2000
    scores = namespace["vawg_scores"](events)
    assert scores.params.window_days == 1826
    assert scores.params.decay_params == {"half_life_days": 365.0}
    assert scores.report.counted == len(vawg)
