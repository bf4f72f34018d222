"""examples/compare_national_schemes.py runs and prints what an independent count says.

The matched-offence figures are recomputed here from the shipped CSV files with the csv
module (CCHI rows grouped by their ONS classification code, median CCHI weight per code);
the demo overlap is recomputed from two plain ``score(...).top(100)`` rankings.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import runpy
import statistics
from collections import defaultdict
from pathlib import Path

import numpy as np

import crimeharm as ch

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "compare_national_schemes.py"
DATA = ROOT / "src" / "crimeharm" / "builtin" / "data"


def _read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _ratios() -> list[float]:
    ons = {r["ons_code"]: float(r["weight"]) for r in _read("ons_css.csv")}
    by_code: dict[str, list[float]] = defaultdict(list)
    for r in _read("cchi_2020.csv"):
        code = r["classification_code"].replace("/", ".")
        if code in ons:
            by_code[code].append(float(r["weight"]))
    return sorted(ons[c] / statistics.median(ws) for c, ws in by_code.items())


def test_compare_national_schemes_example() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        module = runpy.run_path(str(SCRIPT), run_name="example")
        assert module["main"]() == 0
    text = out.getvalue()
    ratios = _ratios()
    above = sum(r > 1 for r in ratios)
    assert f"ONS codes matched to CCHI 2020 offences: {len(ratios)}" in text
    assert f"ONS weight above the CCHI's: {above} of {len(ratios)}" in text
    assert f"largest {ratios[-1]:.1f}" in text
    quantiles = ", ".join(f"{x:.2f}" for x in np.quantile(ratios, [0.1, 0.25, 0.5, 0.75, 0.9]))
    assert quantiles in text

    events = ch.make_demo_events(60_000, seed=5, as_of="2023-07-18")
    cchi, ons = ch.get_scheme("cchi-2020"), ch.get_scheme("ons-css-ho")
    codes = events.code_strings()
    keep = np.array([c in cchi and c in ons for c in codes.tolist()])
    kept = events.take(np.flatnonzero(keep))
    assert f"events scored: {int(keep.sum()):,} of {len(events):,}" in text
    tops = [
        set(ch.score(kept, s, as_of="2023-07-18", window_days=1826).top(100).offender_id.tolist())
        for s in (cchi, ons)
    ]
    common = len(tops[0] & tops[1])
    row = re.search(r"^\s*cchi-2020\s+ons-css-ho\s+100\s+(\d+)\s", text, flags=re.MULTILINE)
    assert row is not None, text
    assert int(row.group(1)) == common
