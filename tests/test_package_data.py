"""Tests of the data files shipped in ``crimeharm/builtin/data``.

The files are built by ``tools/build_package_data.py``; these tests read only the
shipped files (located relative to this file, so the package need not be installed).
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "crimeharm" / "builtin" / "data"

CCHI_HEADER = [
    "athena_urn", "ho_code", "cjs_codes", "weight", "title", "short_title", "group",
    "sub_group", "sub_sub_group", "classification_code", "notifiable", "investigation_type",
    "starting_point", "maximum_sentence", "sentencing_data_available",
    "similar_offence_used", "act",
]  # fmt: skip
HO_CODES_HEADER = ["ho_code", "title", "parent_group"]
HO_CODE_RE = re.compile(r"^\d{3}/\d{2}$")

KNOWN_GROUPS = frozenset(
    {
        "ARSON AND CRIMINAL DAMAGE", "BURGLARY", "DRUG OFFENCES", "FRAUD AND FORGERY",
        "MISCELLANEOUS CRIMES AGAINST SOCIETY", "NFIB FRAUD", "NON-NOTIFIABLE",
        "POSSESSION OF WEAPONS", "PUBLIC ORDER OFFENCES", "ROBBERY", "SEXUAL OFFENCES",
        "THEFT", "VEHICLE OFFENCES", "VIOLENCE AGAINST THE PERSON",
    }
)  # fmt: skip

# HO codes that carry several different CCHI scores (deliberately not resolved).
CONFLICTING_HO_CODES = frozenset(
    {
        "019/08", "005/01", "008/01", "028/03", "099/99", "067/01",
        "008/06", "079/05", "069/05", "125/12", "810/90",
    }
)  # fmt: skip

# CCHI HO codes that the MoJ catalogue (V73) does not list.
KNOWN_GAPS = frozenset(
    {
        "008/69", "036/05", "069/07", "081/85", "083/08", "093/44", "093/47",
        "093/68", "095/76", "096/03", "098/95", "104/45", "111/25", "131/03",
    }
)  # fmt: skip


def data_file(name: str) -> Path:
    """Path of a shipped data file."""
    return DATA_DIR / name


@cache
def read_csv(name: str) -> tuple[list[str], tuple[dict[str, str], ...]]:
    """Header and rows of a shipped CSV file."""
    with data_file(name).open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        rows = tuple(reader)
        return list(reader.fieldnames or []), rows


def cchi_rows() -> tuple[dict[str, str], ...]:
    """Rows of cchi_2020.csv."""
    return read_csv("cchi_2020.csv")[1]


def ho_code_rows() -> tuple[dict[str, str], ...]:
    """Rows of ho_codes.csv."""
    return read_csv("ho_codes.csv")[1]


def is_placeholder(ho_code: str) -> bool:
    """Catch-all codes such as 099/99 ('Other offences (specify ...)')."""
    return ho_code.endswith("/99")


def test_cchi_header() -> None:
    assert read_csv("cchi_2020.csv")[0] == CCHI_HEADER


def test_cchi_row_count() -> None:
    assert len(cchi_rows()) == 698


def test_cchi_athena_urn_unique() -> None:
    urns = [r["athena_urn"] for r in cchi_rows()]
    assert all(urns)
    assert len(set(urns)) == len(urns)


def test_cchi_ho_code_format() -> None:
    bad = [
        (r["athena_urn"], r["ho_code"]) for r in cchi_rows() if not HO_CODE_RE.match(r["ho_code"])
    ]
    assert bad == []


def test_cchi_weights_finite_non_negative() -> None:
    for row in cchi_rows():
        weight = float(row["weight"])
        assert math.isfinite(weight), row["athena_urn"]
        assert weight >= 0, row["athena_urn"]


def test_murder_weight() -> None:
    murder = [r for r in cchi_rows() if r["ho_code"] == "001/01"]
    assert murder
    assert {float(r["weight"]) for r in murder} == {5475.0}


def test_weights_kept_as_written() -> None:
    weights = {r["weight"] for r in cchi_rows()}
    assert {"5475", "547.5", "0.3"} <= weights


def test_groups_known_and_not_urls() -> None:
    groups = {r["group"] for r in cchi_rows()}
    assert not any(g.startswith("http") for g in groups)
    assert groups == KNOWN_GROUPS


def test_notifiable_consistent_with_group() -> None:
    rows = cchi_rows()
    assert {r["notifiable"] for r in rows} == {"true", "false"}
    for row in rows:
        assert (row["notifiable"] == "false") == (row["group"] == "NON-NOTIFIABLE"), row
    assert sum(r["notifiable"] == "false" for r in rows) == 118


def test_investigation_type_normalised() -> None:
    assert {r["investigation_type"] for r in cchi_rows()} == {"CRIME", "NONCRIME"}


def test_cells_trimmed_and_clean() -> None:
    for row in cchi_rows():
        for column, value in row.items():
            assert value == " ".join(value.split()), (row["athena_urn"], column)
            assert "Ã" not in value, (row["athena_urn"], column)
            assert "â€" not in value, (row["athena_urn"], column)


def test_cjs_codes_semicolon_joined() -> None:
    code_re = re.compile(r"^[A-Z0-9]+(;[A-Z0-9]+)*$")
    for row in cchi_rows():
        assert row["cjs_codes"] == "" or code_re.match(row["cjs_codes"]), row["athena_urn"]


@pytest.mark.parametrize(
    ("urn", "column", "expected"),
    [
        ("NN.111.5.0", "group", "NON-NOTIFIABLE"),
        ("NN.111.5.0", "starting_point", "Band A fine"),
        ("NN.111.5.0", "maximum_sentence", "6 months"),
        ("1.1.1.1A", "ho_code", "002/00"),
        (
            "67.67.1.1",
            "act",
            "Magistrates’ Court Act 1980 Sec 106 Criminal Justice Act 1967 Sec 89",
        ),
    ],
)
def test_fixed_rows(urn: str, column: str, expected: str) -> None:
    row = next(r for r in cchi_rows() if r["athena_urn"] == urn)
    assert row[column] == expected


def test_conflicting_ho_codes() -> None:
    weights: dict[str, set[float]] = defaultdict(set)
    for row in cchi_rows():
        weights[row["ho_code"]].add(float(row["weight"]))
    assert {code for code, ws in weights.items() if len(ws) > 1} == CONFLICTING_HO_CODES


def test_ho_codes_header_and_rows() -> None:
    header, rows = read_csv("ho_codes.csv")
    assert header == HO_CODES_HEADER
    codes = [r["ho_code"] for r in rows]
    assert len(codes) == 3039
    assert len(set(codes)) == 3039
    assert codes == sorted(codes)
    assert all(HO_CODE_RE.match(c) for c in codes)
    assert all(r["title"] and r["parent_group"] for r in rows)


def test_cchi_codes_in_moj_catalogue_or_known_gaps() -> None:
    catalogue = {r["ho_code"] for r in ho_code_rows()}
    cchi_codes = {r["ho_code"] for r in cchi_rows() if not is_placeholder(r["ho_code"])}
    assert cchi_codes - catalogue == KNOWN_GAPS


def test_provenance_lists_shipped_hashes() -> None:
    provenance = data_file("PROVENANCE.md").read_text(encoding="utf-8")
    for name in ("cchi_2020.csv", "ho_codes.csv"):
        digest = hashlib.sha256(data_file(name).read_bytes()).hexdigest()
        assert digest in provenance, name
    for code in CONFLICTING_HO_CODES | KNOWN_GAPS:
        assert code in provenance, code
