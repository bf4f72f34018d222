"""The built-in ONS Crime Severity Score and the crosswalk that reaches it from HO codes.

The shipped files are read independently here (csv module); values quoted in the raw data's
SOURCE.txt are checked literally. The weights against the raw source file itself are checked by
``tools/build_package_data.py --check`` (run below when the raw data is present).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.builtin.ons_css import load_ons_css_via, ons_crosswalk
from crimeharm.testing import check_scheme

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "crimeharm" / "builtin" / "data"
RAW = Path(os.environ.get("CRIMEHARM_RAW_DATA", ROOT.parent / "shared" / "data" / "raw"))


@cache
def rows(name: str) -> tuple[dict[str, str], ...]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


# -- ons-css ---------------------------------------------------------------------------------


def test_ons_css_is_every_shipped_row_with_its_weight_as_written() -> None:
    scheme = ch.get_scheme("ons-css")
    check_scheme(scheme)
    shipped = rows("ons_css.csv")
    assert len(shipped) == 134
    assert scheme.key_system == "ons"
    assert scheme.codes.tolist() == [r["ons_code"] for r in shipped]
    for r in shipped:
        assert re.fullmatch(r"\d+(\.\d+)?", r["weight"]), r
        assert scheme.weight(r["ons_code"]) == float(r["weight"])
        assert scheme.offence(r["ons_code"]).title == r["title"]
        assert scheme.offence(r["ons_code"]).group == r["category"]


def test_values_quoted_in_source_txt() -> None:
    scheme = ch.get_scheme("ons-css")
    # SOURCE.txt: "homicide 7973.39; rape of a female aged 16 or over 2952.94; criminal damage 5.40"
    assert round(scheme.weight("1"), 2) == 7973.39
    assert round(scheme.weight("19C"), 2) == 2952.94
    assert round(scheme.weight("58A"), 2) == 5.40
    # codes that a float would merge stay distinct strings
    assert {"4.1", "4.10"} <= set(scheme.codes.tolist())


def test_one_weight_per_severity_code_and_listed_differences() -> None:
    by_severity: dict[str, set[str]] = defaultdict(set)
    differ = {}
    for r in rows("ons_css.csv"):
        by_severity[r["severity_code"]].add(r["weight"])
        if r["severity_code"] != r["ons_code"]:
            differ[r["ons_code"]] = r["severity_code"]
    assert all(len(ws) == 1 for ws in by_severity.values())
    assert len(by_severity) == 128  # SOURCE.txt: 128 distinct severity codes over 134 rows
    assert set(differ) == {"1", "4.1", "4.2", "4.10", "1/4.1/4.10/4.2", "28A", "30A"}


def test_no_date_serial_survives_and_recovered_rows_are_marked() -> None:
    for r in rows("ons_crosswalk.csv"):
        assert not re.fullmatch(r"\d{5}", r["from_code"]), r
    recovered = [r for r in rows("ons_crosswalk.csv") if r["certainty"] == "recovered"]
    assert recovered
    for r in recovered:
        assert "date serial" in r["source"]
    rape = [r for r in recovered if r["from_code"] == "019/08"]
    assert [r["ons_code"] for r in rape] == ["19C"]


def test_provenance_lists_hashes_licences_and_release() -> None:
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in ("ons_css.csv", "ons_codes.csv", "ons_crosswalk.csv"):
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() in provenance, name
    for text in ("Open Government Licence v3.0", "Dan Birks, Andrew P Smith", "MIT"):
        assert text in provenance
    assert "Release uncertainty" in provenance
    scheme = ch.get_scheme("ons-css")
    assert "Open Government Licence v3.0" in scheme.metadata["licence"]
    assert "Dan Birks" in scheme.metadata["licence"]


# -- crosswalk rows trace to their sources ---------------------------------------------------


def test_every_crosswalk_row_re_derives_from_the_shipped_files() -> None:
    cchi = {r["athena_urn"]: r for r in rows("cchi_2020.csv")}
    ons = {r["source_line"]: r for r in rows("ons_css.csv")}
    ons_codes = {r["ons_code"] for r in rows("ons_css.csv")}
    moj = {r["ho_code"]: r for r in rows("ho_codes.csv")}
    for r in rows("ons_crosswalk.csv"):
        assert r["ons_code"] in ons_codes, r
        derivation, source = r["derivation"], r["source"]
        if derivation == "cchi-classification":
            assert r["certainty"] == "stated"
            urns = source.removeprefix("cchi_2020.csv athena_urn=").split(";")
            for urn in urns:
                row = cchi[urn]
                assert row["classification_code"].replace("/", ".") == r["ons_code"], r
                key = {
                    "ho": [row["ho_code"]],
                    "athena": [row["athena_urn"]],
                    "cjs": row["cjs_codes"].split(";"),
                }[r["from_system"]]
                assert r["from_code"] in key, r
        elif derivation in ("police-uk-map", "police-uk-category"):
            line = re.match(r"policeuk-ons-code-join\.csv line (\d+)", source)
            assert line, r
            assert ons[line.group(1)]["ons_code"] == r["ons_code"], r
            if derivation == "police-uk-category":
                assert ons[line.group(1)]["police_uk_category"] == r["from_code"]
        elif derivation == "ons-dotted-code":
            main, sub = r["ons_code"].split(".")
            assert r["from_code"] == f"{int(main):03d}/{int(sub):02d}"
            assert r["certainty"] == "inferred"
        elif derivation == "ho-category":
            assert r["certainty"] == "inferred"
            assert int(r["from_code"][:3]) == int(r["ons_code"])
            assert moj[r["from_code"]]["parent_group"] not in (
                "Other summary offences",
                "Summary motoring offences",
            )
        else:
            pytest.fail(f"unknown derivation {derivation!r}")


def test_crosswalk_checksum_and_systems() -> None:
    assert set(ch.list_crosswalks()) >= {"ho-to-ons", "athena-to-ons", "cjs-to-ons"}
    xw = ch.get_crosswalk("ho-to-ons")
    assert (xw.from_system, xw.to_system) == ("ho", "ons")
    expected = sum(1 for r in rows("ons_crosswalk.csv") if r["from_system"] == "ho")
    assert len(xw) == expected
    assert len(xw.checksum) == 64


# -- ons-css-ho ------------------------------------------------------------------------------


def _expected_ho_weight(code: str, policy: str) -> float | None:
    """Independent re-computation: best certainty rows, then the policy over their weights."""
    order = {"stated": 0, "recovered": 1, "inferred": 2}
    weights = {r["ons_code"]: float(r["weight"]) for r in rows("ons_css.csv")}
    mine = [
        r for r in rows("ons_crosswalk.csv") if r["from_system"] == "ho" and r["from_code"] == code
    ]
    if not mine:
        return None
    best = min(order[r["certainty"]] for r in mine)
    ws = [weights[r["ons_code"]] for r in mine if order[r["certainty"]] == best]
    return {"min": min, "max": max, "median": statistics.median, "first": lambda w: w[0]}[policy](
        ws
    )


@pytest.mark.parametrize("policy", ["min", "max", "median", "first"])
def test_ons_css_ho_weights_follow_the_policy(policy: str) -> None:
    scheme = ch.get_scheme("ons-css-ho", conflicts=policy)
    check_scheme(scheme)
    assert scheme.key_system == "ho"
    ho_codes = {r["from_code"] for r in rows("ons_crosswalk.csv") if r["from_system"] == "ho"}
    assert set(scheme.codes.tolist()) == ho_codes
    for code in scheme.codes.tolist():
        assert scheme.weight(code) == _expected_ho_weight(code, policy), code
    assert scheme.metadata["conflicts"] == policy


def test_known_mappings() -> None:
    scheme = ch.get_scheme("ons-css-ho")
    ons = ch.get_scheme("ons-css")
    assert scheme.weight("001/01") == ons.weight("1")  # murder
    assert scheme.weight("019/08") == ons.weight("19C")  # rape of a female 16+
    assert scheme.weight("004/10") == ons.weight("4.10")  # corporate manslaughter
    assert scheme.weight("034/01") == ons.weight("34A") == ons.weight("34B")  # robbery


def test_raise_policy_and_stated_only() -> None:
    with pytest.raises(ch.SchemeError, match="several different weights"):
        load_ons_css_via("ho", conflicts="raise")
    stated = load_ons_css_via("ho", min_certainty="stated")
    inferred = set(ch.get_scheme("ons-css-ho").codes.tolist()) - set(stated.codes.tolist())
    assert inferred
    with pytest.raises(ch.ParameterError):
        load_ons_css_via("ho", conflicts="mean")


def test_scoring_ho_events_reports_unmapped_codes_never_zero() -> None:
    scheme = ch.get_scheme("ons-css-ho")
    ev = ch.Events(
        offender_id=[1, 1, 2, 3],
        offence_code=["001/01", "053/40", "195/99", "019/08"],
        date=["2023-01-01"] * 4,
    )
    with pytest.raises(ch.UnknownCodeError, match="053/40") as info:
        ch.score(ev, scheme, as_of="2023-07-18")
    assert "valid Home Office code" in str(info.value)
    scores = ch.score(ev, scheme, as_of="2023-07-18", on_unknown="skip")
    assert scores.report.total == 4
    assert int(scores.count.sum()) == 2
    harm = dict(zip(scores.offender_id.tolist(), scores.harm.tolist(), strict=True))
    assert harm[1] == scheme.weight("001/01")
    assert 2 not in harm


def test_athena_and_cjs_schemes() -> None:
    athena = ch.get_scheme("ons-css-athena")
    assert athena.weight("1.1.1.1") == ch.get_scheme("ons-css").weight("1")
    assert athena.metadata["conflicting_codes"] == []
    cjs = ch.get_scheme("ons-css-cjs")
    assert cjs.key_system == "cjs"
    assert "COML025" in cjs


def test_crosswalk_requires_matching_key_system() -> None:
    with pytest.raises(ch.SchemeError, match="keyed by 'ho'"):
        ons_crosswalk("ho").apply(ch.get_scheme("cchi-2020"))


@pytest.mark.skipif(not RAW.is_dir(), reason="raw reference data not available")
def test_build_check_against_the_raw_files() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_package_data.py"),
            "--raw",
            str(RAW),
            "--check",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_ons_codes_catalogue() -> None:
    codes = {r["ons_code"] for r in rows("ons_codes.csv")}
    assert {r["ons_code"] for r in rows("ons_css.csv")} <= codes
    assert np.all([c.strip() == c for c in codes])
