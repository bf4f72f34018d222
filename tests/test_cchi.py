"""Tests of the built-in CCHI 2020 schemes against the shipped CSV, read independently here."""

from __future__ import annotations

import csv
import statistics
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

import crimeharm as ch
from crimeharm.builtin.cchi import CONFLICT_POLICIES, load_cchi_2020
from crimeharm.testing import check_scheme

CSV = (
    Path(__file__).resolve().parents[1] / "src" / "crimeharm" / "builtin" / "data" / "cchi_2020.csv"
)
HO_CONFLICTS = {
    "005/01", "008/01", "008/06", "019/08", "028/03", "067/01",
    "069/05", "079/05", "099/99", "125/12", "810/90",
}  # fmt: skip


@cache
def rows() -> tuple[dict[str, str], ...]:
    with CSV.open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


def by_key(key: str) -> dict[str, list[dict[str, str]]]:
    """Source rows per code of a key system, in source order."""
    table: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows():
        if key == "ho":
            codes = [row["ho_code"]]
        elif key == "athena":
            codes = [row["athena_urn"]]
        else:
            codes = [c for c in row["cjs_codes"].split(";") if c]
        for code in codes:
            table[code].append(row)
    return dict(table)


def expected(key: str, policy: str) -> dict[str, float]:
    pick = {"max": max, "min": min, "median": statistics.median, "first": lambda w: w[0]}[policy]
    return {
        code: float(pick([float(r["weight"]) for r in group]))
        for code, group in by_key(key).items()
    }


def test_698_offences_in_source_order() -> None:
    offences = ch.cchi_offences()
    assert len(offences) == len(rows()) == 698
    assert [o.athena_urn for o in offences] == [r["athena_urn"] for r in rows()]
    assert [o.weight for o in offences] == [float(r["weight"]) for r in rows()]
    murder = offences[0]
    assert (murder.ho_code, murder.weight) == ("001/01", 5475.0)
    assert murder.cjs_codes == ("COML025",)


def test_ho_key_has_the_11_documented_conflicts() -> None:
    conflicts = ch.cchi_conflicts()
    assert set(conflicts) == HO_CONFLICTS
    for code, offences in conflicts.items():
        assert len({o.weight for o in offences}) > 1
        assert [o.athena_urn for o in offences] == [r["athena_urn"] for r in by_key("ho")[code]]
    independent = {c for c, g in by_key("ho").items() if len({r["weight"] for r in g}) > 1}
    assert independent == HO_CONFLICTS


def test_athena_key_has_no_conflicts_and_cjs_has_31() -> None:
    assert ch.cchi_conflicts("athena") == {}
    assert len(ch.cchi_conflicts("cjs")) == 31


@pytest.mark.parametrize("policy", ["max", "min", "median", "first"])
@pytest.mark.parametrize(("key", "name"), [("ho", "cchi-2020"), ("cjs", "cchi-2020-cjs")])
def test_each_policy_picks_as_documented(key: str, name: str, policy: str) -> None:
    scheme = ch.get_scheme(name, conflicts=policy)
    assert scheme.to_dict() == expected(key, policy)
    assert scheme.metadata["conflicts"] == policy
    assert set(scheme.metadata["conflicting_codes"]) == set(ch.cchi_conflicts(key))  # type: ignore[arg-type]


def test_default_policy_is_min() -> None:
    assert (
        ch.get_scheme("cchi-2020").to_dict()
        == ch.get_scheme("cchi-2020", conflicts="min").to_dict()
    )
    s = ch.get_scheme("cchi-2020")
    # 019/08 carries 2555 (several undefined offenders) and 1825 (rape of a female 16 or over);
    # 008/06 carries 182.5 (assault on police, ABH) and 10 (ABH)
    assert s.weight("019/08") == 1825.0
    assert s.weight("008/06") == 10.0
    assert ch.get_scheme("cchi-2020", conflicts="max").weight("019/08") == 2555.0
    assert ch.get_scheme("cchi-2020", conflicts="min").weight("125/12") == 1.0
    assert ch.get_scheme("cchi-2020", conflicts="median").weight("099/99") == 2.0
    assert ch.get_scheme("cchi-2020", conflicts="median").weight("008/06") == (182.5 + 10) / 2


def test_title_and_group_come_from_the_offence_whose_weight_was_taken() -> None:
    s = ch.get_scheme("cchi-2020", conflicts="min")
    chosen = next(r for r in by_key("ho")["019/08"] if float(r["weight"]) == 1825.0)
    offence = s.offence("019/08")
    assert offence.title == chosen["title"]
    assert offence.group == chosen["group"]


def test_raise_policy_raises_listing_the_codes() -> None:
    with pytest.raises(ch.SchemeError) as info:
        load_cchi_2020("ho", "raise")
    for code in HO_CONFLICTS:
        assert code in str(info.value)
    with pytest.raises(ch.SchemeError, match="019/08"):  # the caller's option, not a plugin fault
        ch.get_scheme("cchi-2020", conflicts="raise")
    athena = ch.get_scheme("cchi-2020-athena", conflicts="raise")  # nothing to resolve
    assert len(athena) == 698


def test_unknown_policy_and_key() -> None:
    with pytest.raises(ch.ParameterError, match="conflicts must be one of"):
        load_cchi_2020("ho", "average")  # type: ignore[arg-type]
    with pytest.raises(ch.ParameterError, match="'ons'"):
        load_cchi_2020("ons")  # type: ignore[arg-type]
    with pytest.raises(ch.CrimeHarmError, match="conflicts"):
        ch.get_scheme("cchi-2020", conflicts="average")
    assert set(CONFLICT_POLICIES) == {"max", "min", "median", "first", "raise"}


@pytest.mark.parametrize(
    ("name", "key", "size"),
    [
        ("cchi-2020", "ho", None),
        ("cchi-2020-athena", "athena", 698),
        ("cchi-2020-cjs", "cjs", None),
    ],
)
def test_schemes_match_the_csv_and_the_contract(name: str, key: str, size: int | None) -> None:
    scheme = check_scheme(name)
    assert len(scheme) == (size or len(by_key(key)))
    assert scheme.to_dict() == expected(key, "min")  # the default policy
    assert (scheme.version, scheme.unit, scheme.key_system) == ("2020", "days", key)
    assert "Cambridge" in scheme.source
    info = {row["name"]: row for row in ch.scheme_info()}[name]
    assert (info["version"], info["unit"], info["key_system"]) == ("2020", "days", key)


def test_athena_weights_are_the_csv_weights_row_by_row() -> None:
    s = ch.get_scheme("cchi-2020-athena")
    for row in rows():
        assert s.weight(row["athena_urn"]) == float(row["weight"])


def test_known_weights() -> None:
    s = ch.get_scheme("cchi-2020")
    assert s.weight("001/01") == 5475.0  # murder: 15 years * 365 days
    assert s.weight("034/01") == 365.0  # robbery
    assert s.weight("039/00") == 2.0  # theft from the person
    assert min(s.weights) >= 0


def test_get_scheme_caches_per_option_set() -> None:
    assert ch.get_scheme("cchi-2020") is ch.get_scheme("cchi-2020")
    assert ch.get_scheme("cchi-2020", conflicts="min") is not ch.get_scheme("cchi-2020")
