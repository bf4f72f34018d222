"""Build the data files shipped inside ``crimeharm`` from the raw reference data.

Run from anywhere::

    python tools/build_package_data.py --raw /work/shared/data/raw

The script is deterministic and stdlib-only.  It verifies the sha256 of every raw
input, applies a fixed list of named data fixes (each must touch exactly the rows
it is meant to touch), validates every row, and writes ``cchi_2020.csv``,
``ho_codes.csv`` and ``PROVENANCE.md`` into ``src/crimeharm/builtin/data/``.  Any fault
that is not covered by a named fix stops the build.  ``--check`` rebuilds in
memory and fails if the files on disk differ.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO_ROOT.parent / "shared" / "data" / "raw"
DEFAULT_OUT = REPO_ROOT / "src" / "crimeharm" / "builtin" / "data"

CCHI_RAW = Path("cchi") / "cchi_2020_values.csv"
CCHI_RAW_SHA256 = "a0946dd811ae68dbb50088ad8b710f2ea8a8a235d1cd302a13e458b07e95d707"
CCHI_XLSX_SHA256 = "5724ad777c21b9be80e4ea4d9276569d8c27f5cef65bc4d115170c71c13767ce"
MOJ_RAW = Path("moj_ho_codes") / "moj_ho_codes_v73.csv"
MOJ_RAW_SHA256 = "a2ab9874294ece7bb1b9cb4b7654138200373c9a0d44451237c95ce1a17941d8"
MOJ_SQL_SHA256 = "ad89c2b1f7c55f1bf509480ec61ac4ab611f10e556b8beb57ba9c699c3e9bc4a"

CCHI_OUT = "cchi_2020.csv"
MOJ_OUT = "ho_codes.csv"
PROVENANCE_OUT = "PROVENANCE.md"

CCHI_ROWS = 698
MOJ_ROWS = 3039

# Source column names of cchi_2020_values.csv (note the trailing ": " in some).
URN = "ATHENA URN"
FULL_TITLE = "FULL_OFFENCE_TITLE"
SHORT_TITLE = "SHORT_TITLE"
SCORE = "CCHI Score"
SENT_DATA = "Sentencing data from actual offence available: "
SIMILAR = "If no sentencing data available what similar offence was used: "
START = "Starting Point"
MAXIMUM = "Maximum Sentence"
SCORE_FROM = "Score from: "
GROUP = "GROUP"
SUB_GROUP = "SUB_GROUP"
SUB_SUB_GROUP = "SUB_SUB_GROUP"
CLASS_CODE = "CLASSIFICATION_CODE"
HO_CLASS = "HOME_OFFICE_CLASSIFICATION"
HO_CODE = "HO_CODE"
HO_SUB = "HO_SUB_CODE"
HO_SUB_SUB = "HO_SUB_SUB_CODE"
NOTIFIABLE = "NOTIFIABLE"
INV_TYPE = "INVESTIGATION_TYPE"
ACT = "ACT"
CJS = "CJS_CODES"

CCHI_SOURCE_HEADER = (
    URN, FULL_TITLE, SHORT_TITLE, SCORE, SENT_DATA, SIMILAR, START, MAXIMUM, SCORE_FROM,
    GROUP, SUB_GROUP, SUB_SUB_GROUP, CLASS_CODE, HO_CLASS, HO_CODE, HO_SUB, HO_SUB_SUB,
    NOTIFIABLE, INV_TYPE, ACT, CJS,
)  # fmt: skip

# Shipped column -> source column (``notifiable`` is converted to true/false).
CCHI_COLUMNS: dict[str, str] = {
    "athena_urn": URN,
    "ho_code": HO_CLASS,
    "cjs_codes": CJS,
    "weight": SCORE,
    "title": FULL_TITLE,
    "short_title": SHORT_TITLE,
    "group": GROUP,
    "sub_group": SUB_GROUP,
    "sub_sub_group": SUB_SUB_GROUP,
    "classification_code": CLASS_CODE,
    "notifiable": NOTIFIABLE,
    "investigation_type": INV_TYPE,
    "starting_point": START,
    "maximum_sentence": MAXIMUM,
    "sentencing_data_available": SENT_DATA,
    "similar_offence_used": SIMILAR,
    "act": ACT,
}

MOJ_SOURCE_HEADER = (
    "category", "sub_category", "ho_code", "parent_group_description",
    "category_description", "sub_category_description", "risk_actuarial_category",
)  # fmt: skip
MOJ_COLUMNS = ("ho_code", "title", "parent_group")

NON_NOTIFIABLE = "NON-NOTIFIABLE"
NOTIFIABLE_VALUES = {"Notifiable": "true", "Non-Notifiable": "false"}
INVESTIGATION_TYPES = frozenset({"CRIME", "NONCRIME"})

# Offence group -> its sub-groups, as used by the CCHI 2020 sheet.
KNOWN_GROUPS: dict[str, frozenset[str]] = {
    "ARSON AND CRIMINAL DAMAGE": frozenset({"ARSON", "CRIMINAL DAMAGE"}),
    "BURGLARY": frozenset({"BURGLARY - BUSINESS AND COMMUNITY", "BURGLARY - RESIDENTIAL"}),
    "DRUG OFFENCES": frozenset({"POSSESSION OF DRUGS", "TRAFFICKING OF DRUGS"}),
    "FRAUD AND FORGERY": frozenset({"FRAUD AND FORGERY"}),
    "MISCELLANEOUS CRIMES AGAINST SOCIETY": frozenset({"MISC CRIMES AGAINST SOCIETY"}),
    "NFIB FRAUD": frozenset({"NFIB"}),
    NON_NOTIFIABLE: frozenset({NON_NOTIFIABLE}),
    "POSSESSION OF WEAPONS": frozenset({"POSSESSION OF WEAPONS"}),
    "PUBLIC ORDER OFFENCES": frozenset(
        {
            "OTHER OFFENCES PUBLIC ORDER",
            "PUBLIC FEAR, ALARM OR DISTRESS",
            "RACE OR RELIGIOUS AGG PUBLIC FEAR",
            "VIOLENT DISORDER",
        }
    ),
    "ROBBERY": frozenset({"ROBBERY OF BUSINESS PROPERTY", "ROBBERY OF PERSONAL PROPERTY"}),
    "SEXUAL OFFENCES": frozenset({"OTHER SEXUAL OFFENCES", "RAPE"}),
    "THEFT": frozenset({"BICYCLE THEFT", "OTHER THEFT", "SHOPLIFTING", "THEFT FROM THE PERSON"}),
    "VEHICLE OFFENCES": frozenset(
        {
            "AGGRAVATED VEHICLE TAKING",
            "INTERFERING WITH A MOTOR VEHICLE",
            "THEFT FROM A VEHICLE",
            "THEFT OR UNAUTH TAKING OF A MOTOR VEH",
        }
    ),
    "VIOLENCE AGAINST THE PERSON": frozenset(
        {"HOMICIDE", "STALKING AND HARASSMENT", "VIOLENCE WITH INJURY", "VIOLENCE WITHOUT INJURY"}
    ),
}

KNOWN_MOJ_PARENT_GROUPS = frozenset(
    {
        "Burglary",
        "Criminal damage",
        "Drug offences",
        "Fraud forgery",
        "Indictable motoring offences",
        "Other indictable",
        "Other summary offences",
        "Robbery",
        "Sexual offences",
        "Summary motoring offences",
        "Theft and handling",
        "Violence against the person",
    }
)

# HO codes with several different CCHI scores: reported, deliberately not resolved.
EXPECTED_CONFLICTS = frozenset(
    {
        "005/01", "008/01", "008/06", "019/08", "028/03", "067/01",
        "069/05", "079/05", "099/99", "125/12", "810/90",
    }
)  # fmt: skip

# Rows whose HO_CODE / HO_SUB_CODE columns disagree with HOME_OFFICE_CLASSIFICATION.
# Those columns are not shipped; the classification is kept for the reason given.
KNOWN_HO_PART_MISMATCHES: dict[str, str] = {
    "802.802.1.0": "HO_SUB_CODE is 1 but HOME_OFFICE_CLASSIFICATION is 802/00; kept 802/00 "
    "(802/00 'Dangerous Driving' is in the MoJ catalogue, 802/01 is not)",
    "NN.111.25.0": "HO_CODE is 11 but HOME_OFFICE_CLASSIFICATION is 111/25; kept 111/25 "
    "(the URN says 111 and the neighbouring Dangerous Dogs rows are 111/xx)",
}

# Required cells that are empty in the source; shipped empty (nothing to derive them from).
KNOWN_EMPTY_CELLS = frozenset(
    {
        ("19J.19.8.0", SUB_SUB_GROUP),
        ("61.61.21.2", SHORT_TITLE),
        ("8H.99.99.221", ACT),
        ("53C.99.99.229", ACT),
        ("53D.99.99.230", ACT),
    }
)

HO_CODE_RE = re.compile(r"^\d{3}/\d{2}$")
URN_RE = re.compile(r"^[0-9A-Z]+(\.[0-9A-Z]+)+$")
WEIGHT_RE = re.compile(r"^\d+(\.\d+)?$")
CJS_CODE_RE = re.compile(r"^[A-Z0-9]+$")
MOJIBAKE_RE = re.compile("Ã|â€|â‚|Â|¿")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

Row = dict[str, str]


class BuildError(Exception):
    """A fault in the raw data or the build that no named fix covers."""


@dataclass(frozen=True)
class Change:
    """One cell changed by a fix."""

    key: str
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class Fix:
    """A named, documented data fix with the exact rows (or row count) it must touch."""

    name: str
    description: str
    apply: Callable[[Row], list[tuple[str, str, str]]]
    expected_keys: frozenset[str] | None = None
    expected_rows: int | None = None


@dataclass
class FixReport:
    """What a fix actually changed."""

    fix: Fix
    changes: list[Change] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """Row keys touched, in row order, without repeats."""
        return list(dict.fromkeys(c.key for c in self.changes))


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sha256_text(text: str) -> str:
    """Return the hex sha256 of text encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Fail unless ``path`` exists and has the sha256 recorded in its SOURCE.txt."""
    if not path.is_file():
        raise BuildError(f"raw input not found: {path}")
    actual = sha256_of(path)
    if actual != expected:
        raise BuildError(
            f"sha256 mismatch for {path}:\n  expected {expected} (from SOURCE.txt)\n"
            f"  actual   {actual}\nThe raw file changed; review it and update this script."
        )
    print(f"sha256 ok  {path.name}  {actual}")


def read_csv(path: Path, header: Sequence[str]) -> list[Row]:
    """Read a UTF-8 CSV, requiring exactly the given header and no ragged rows."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        found = next(reader, None)
        if found is None or tuple(found) != tuple(header):
            raise BuildError(f"{path.name}: unexpected header {found!r}")
        rows: list[Row] = []
        for line_no, values in enumerate(reader, start=2):
            if len(values) != len(header):
                raise BuildError(f"{path.name} line {line_no}: {len(values)} fields")
            rows.append(dict(zip(header, values, strict=True)))
    return rows


def set_cells(row: Row, new: dict[str, str]) -> list[tuple[str, str, str]]:
    """Set cells of a row; return (column, before, after) for those that changed."""
    changed = [(col, row[col], val) for col, val in new.items() if row[col] != val]
    for col, _, val in changed:
        row[col] = val
    return changed


def map_cells(row: Row, func: Callable[[str], str]) -> list[tuple[str, str, str]]:
    """Apply ``func`` to every cell of a row; return the cells that changed."""
    return set_cells(row, {col: func(val) for col, val in row.items()})


def apply_fixes(rows: list[Row], key_column: str, fixes: Iterable[Fix]) -> list[FixReport]:
    """Apply fixes in order, asserting each touches exactly the expected rows."""
    reports = []
    for fix in fixes:
        report = FixReport(fix)
        for row in rows:
            key = row[key_column]
            report.changes.extend(Change(key, *c) for c in fix.apply(row))
        keys = report.keys
        if fix.expected_keys is not None and set(keys) != fix.expected_keys:
            raise BuildError(
                f"fix {fix.name!r} should touch {sorted(fix.expected_keys)}, touched {keys}"
            )
        if fix.expected_rows is not None and len(keys) != fix.expected_rows:
            raise BuildError(
                f"fix {fix.name!r} should touch {fix.expected_rows} rows, touched {len(keys)}"
            )
        print_fix(report)
        reports.append(report)
    return reports


def print_fix(report: FixReport) -> None:
    """Print what a fix changed."""
    fix = report.fix
    print(f"fix applied: {fix.name} ({len(report.keys)} rows, {len(report.changes)} cells)")
    if fix.expected_keys is not None:
        for c in report.changes:
            print(f"    {c.key}  {col_name(c.column)}: {c.before!r} -> {c.after!r}")
    else:
        for column, count in column_counts(report).items():
            print(f"    {column}: {count} cells")


def col_name(column: str) -> str:
    """Source column name without the trailing ': ' some headers carry."""
    return column.strip().rstrip(":")


def column_counts(report: FixReport) -> dict[str, int]:
    """Count changed cells per column, in first-seen order."""
    counts: dict[str, int] = {}
    for c in report.changes:
        name = col_name(c.column)
        counts[name] = counts.get(name, 0) + 1
    return counts


# --------------------------------------------------------------------------- CCHI fixes


def fix_shifted_columns(row: Row) -> list[tuple[str, str, str]]:
    """Undo the one-column right shift of Starting Point..GROUP (NN.111.5.0)."""
    if not row[GROUP].startswith(("http://", "https://")):
        return []
    before = {START: "", MAXIMUM: "Band A fine", SCORE_FROM: "6 months"}
    if any(row[col] != val for col, val in before.items()):
        raise BuildError(f"{row[URN]}: URL in GROUP but unexpected neighbouring cells")
    if not (
        row[SUB_GROUP] == row[SUB_SUB_GROUP] == NON_NOTIFIABLE
        and row[NOTIFIABLE] == "Non-Notifiable"
        and row[CLASS_CODE] == "NN"
    ):
        raise BuildError(f"{row[URN]}: URL in GROUP but the row is not non-notifiable")
    return set_cells(
        row,
        {
            START: row[MAXIMUM],
            MAXIMUM: row[SCORE_FROM],
            SCORE_FROM: row[GROUP],
            GROUP: NON_NOTIFIABLE,
        },
    )


def fix_unslashed_ho_code(row: Row) -> list[tuple[str, str, str]]:
    """Rebuild a 5-digit HOME_OFFICE_CLASSIFICATION (e.g. 00200) as NNN/NN."""
    value = row[HO_CLASS]
    if not re.fullmatch(r"\d{5}", value):
        return []
    derived = f"{int(row[HO_CODE]):03d}/{int(row[HO_SUB]):02d}"
    if derived.replace("/", "") != value:
        raise BuildError(f"{row[URN]}: {value!r} disagrees with HO_CODE/HO_SUB_CODE {derived}")
    return set_cells(row, {HO_CLASS: derived})


def undo_mojibake(value: str) -> str:
    """Reverse (possibly repeated) UTF-8-read-as-cp1252 mojibake."""
    for _ in range(3):
        if not MOJIBAKE_RE.search(value):
            break
        try:
            value = value.encode("cp1252").decode("utf-8")
        except UnicodeError as exc:
            raise BuildError(f"cannot repair suspected mojibake in {value!r}") from exc
    return value


def fix_mojibake(row: Row) -> list[tuple[str, str, str]]:
    """Repair cells garbled by double UTF-8/cp1252 decoding."""
    return set_cells(row, {c: undo_mojibake(v) for c, v in row.items() if MOJIBAKE_RE.search(v)})


def fix_strip(row: Row) -> list[tuple[str, str, str]]:
    """Trim leading and trailing whitespace from every cell."""
    return map_cells(row, str.strip)


def collapse_whitespace(value: str) -> str:
    """Replace every run of whitespace (including newlines) by one space."""
    return " ".join(value.split())


def fix_collapse(row: Row) -> list[tuple[str, str, str]]:
    """Collapse internal runs of whitespace in every cell."""
    return map_cells(row, collapse_whitespace)


def fix_investigation_type(row: Row) -> list[tuple[str, str, str]]:
    """Upper-case INVESTIGATION_TYPE ('Crime' -> 'CRIME', like 'NONCRIME')."""
    return set_cells(row, {INV_TYPE: row[INV_TYPE].upper()})


def fix_yes_no(row: Row) -> list[tuple[str, str, str]]:
    """Capitalise a bare 'yes'/'no' in the sentencing-data-available column."""
    value = row[SENT_DATA]
    return set_cells(row, {SENT_DATA: value.capitalize()}) if value in ("yes", "no") else []


CCHI_FIXES = (
    Fix(
        "shifted-columns",
        "Row NN.111.5.0 (Dogs (Protection of Livestock) Act 1953, dogs worrying livestock) has "
        "Starting Point..GROUP shifted one column to the right: Starting Point empty, Maximum "
        "Sentence 'Band A fine', Score from '6 months', GROUP a sentencing-council URL. "
        "Shifted back: Starting Point 'Band A fine', Maximum Sentence '6 months', Score from "
        "the URL (not shipped), GROUP 'NON-NOTIFIABLE' (lost value; SUB_GROUP, SUB_SUB_GROUP, "
        "CLASSIFICATION_CODE 'NN' and NOTIFIABLE 'Non-Notifiable' all say non-notifiable). "
        "The restored values equal those of NN.111.25.0, the 'Dog out of control (no injury)' "
        "offence the row names as its analogue (checked by the build); score 1 = Band A fine.",
        fix_shifted_columns,
        expected_keys=frozenset({"NN.111.5.0"}),
    ),
    Fix(
        "unslashed-ho-code",
        "Row 1.1.1.1A (attempted murder, victim aged 1 and over) has HOME_OFFICE_CLASSIFICATION "
        "'00200'; HO_CODE 2 / HO_SUB_CODE 0 give '002/00', as on the sibling attempted-murder "
        "rows 1.1.2.0A and 2.2.0.1.",
        fix_unslashed_ho_code,
        expected_keys=frozenset({"1.1.1.1A"}),
    ),
    Fix(
        "double-mojibake",
        "Row 67.67.1.1 ACT reads 'MagistratesÃ¢â‚¬â„¢ Court Act 1980 ...' (a right single "
        "quote encoded to UTF-8 and misread as cp1252 twice; the same bytes are in the "
        "workbook); decoded back to 'Magistrates’ Court Act 1980 ...'.",
        fix_mojibake,
        expected_keys=frozenset({"67.67.1.1"}),
    ),
    Fix(
        "strip-whitespace",
        "Leading/trailing whitespace trimmed in every cell (e.g. 'No ', ' life ', "
        "'4 years '); whitespace-only cells become empty.",
        fix_strip,
        expected_rows=250,
    ),
    Fix(
        "collapse-whitespace",
        "Internal runs of whitespace (double spaces, one newline) collapsed to one space, "
        "e.g. 'Female child  no penetration', 'as amended by    Criminal Justice ...'.",
        fix_collapse,
        expected_rows=75,
    ),
    Fix(
        "investigation-type-case",
        "INVESTIGATION_TYPE upper-cased: 'Crime' -> 'CRIME' (source mixes 'Crime', 'CRIME' and "
        "'NONCRIME').",
        fix_investigation_type,
        expected_rows=661,
    ),
    Fix(
        "yes-no-case",
        "'Sentencing data from actual offence available' values 'yes'/'no' capitalised to "
        "'Yes'/'No' like the other rows.",
        fix_yes_no,
        expected_rows=19,
    ),
)

# ---------------------------------------------------------------------------- MoJ fixes


def fix_moj_pound_sign(row: Row) -> list[tuple[str, str, str]]:
    """Restore the pound sign that the source SQL has as an inverted question mark."""
    col = "sub_category_description"
    return set_cells(row, {col: row[col].replace("¿", "£")}) if "¿" in row[col] else []


MOJ_FIXES = (
    Fix(
        "pound-sign",
        "999/50 '*Criminal Damage in excess of ¿5000 (Generic Old)': the '¿' (lost '£', already "
        "so in the V73 SQL) restored to '£'.",
        fix_moj_pound_sign,
        expected_keys=frozenset({"999/50"}),
    ),
    Fix(
        "collapse-whitespace",
        "Runs of whitespace collapsed to one space (and trimmed), e.g. 'Murder    [Use this "
        "code only if ...]' -> 'Murder [Use this code only if ...]'.",
        fix_collapse,
        expected_rows=156,
    ),
)

# ---------------------------------------------------------------------------- validation


def validate_cchi(rows: list[Row]) -> None:
    """Check every fixed CCHI row; raise with all faults found."""
    errors: list[str] = []
    if len(rows) != CCHI_ROWS:
        errors.append(f"expected {CCHI_ROWS} rows, found {len(rows)}")
    seen: set[str] = set()
    for line_no, row in enumerate(rows, start=2):
        urn = row[URN]
        where = f"line {line_no} ({urn or 'no URN'})"

        def err(msg: str, where: str = where) -> None:
            errors.append(f"{where}: {msg}")

        if not URN_RE.match(urn):
            err(f"bad ATHENA URN {urn!r}")
        if urn in seen:
            err("duplicate ATHENA URN")
        seen.add(urn)
        weight = row[SCORE]
        if not WEIGHT_RE.match(weight) or not math.isfinite(float(weight)):
            err(f"weight {weight!r} is not a finite non-negative number")
        if not HO_CODE_RE.match(row[HO_CLASS]):
            err(f"HO code {row[HO_CLASS]!r} does not match NNN/NN")
        else:
            check_ho_parts(row, err)
        for col in (FULL_TITLE, SHORT_TITLE, SUB_SUB_GROUP, CLASS_CODE, ACT):
            if (not row[col]) != ((urn, col) in KNOWN_EMPTY_CELLS):
                err(f"{col} is {'empty' if not row[col] else 'no longer empty'}")
        if row[GROUP] not in KNOWN_GROUPS:
            err(f"unknown GROUP {row[GROUP]!r}")
        elif row[SUB_GROUP] not in KNOWN_GROUPS[row[GROUP]]:
            err(f"SUB_GROUP {row[SUB_GROUP]!r} is not in GROUP {row[GROUP]!r}")
        if row[NOTIFIABLE] not in NOTIFIABLE_VALUES:
            err(f"NOTIFIABLE {row[NOTIFIABLE]!r}")
        non_notifiable = (
            row[NOTIFIABLE] == "Non-Notifiable",
            row[GROUP] == NON_NOTIFIABLE,
            row[SUB_GROUP] == NON_NOTIFIABLE,
            row[SUB_SUB_GROUP] == NON_NOTIFIABLE,
        )
        if len(set(non_notifiable)) != 1:
            err("NOTIFIABLE disagrees with GROUP/SUB_GROUP/SUB_SUB_GROUP")
        if row[INV_TYPE] not in INVESTIGATION_TYPES:
            err(f"INVESTIGATION_TYPE {row[INV_TYPE]!r}")
        codes = row[CJS].split(";") if row[CJS] else []
        if any(not CJS_CODE_RE.match(c) for c in codes) or len(set(codes)) != len(codes):
            err(f"bad CJS codes {row[CJS]!r}")
        for col, val in row.items():
            if MOJIBAKE_RE.search(val) or CONTROL_RE.search(val) or val != val.strip():
                err(f"{col_name(col)} has mojibake, control characters or stray spaces")
    if errors:
        raise BuildError("cchi_2020_values.csv faults:\n  " + "\n  ".join(errors))


def check_ho_parts(row: Row, err: Callable[[str], None]) -> None:
    """Check HO_CODE/HO_SUB_CODE against HOME_OFFICE_CLASSIFICATION (known exceptions)."""
    urn = row[URN]
    try:
        parts = f"{int(row[HO_CODE]):03d}/{int(row[HO_SUB]):02d}"
    except ValueError:
        parts = f"{row[HO_CODE]!r}/{row[HO_SUB]!r}"
    if (parts != row[HO_CLASS]) != (urn in KNOWN_HO_PART_MISMATCHES):
        err(f"HO_CODE/HO_SUB_CODE give {parts}, classification is {row[HO_CLASS]}")


def check_shift_fix(rows: list[Row]) -> None:
    """Require the restored NN.111.5.0 cells to equal those of its named analogue."""
    by_urn = {r[URN]: r for r in rows}
    fixed, analogue = by_urn["NN.111.5.0"], by_urn["NN.111.25.0"]
    if fixed[SIMILAR] != "Dog out of control (no injury)":
        raise BuildError(f"NN.111.5.0 analogue changed: {fixed[SIMILAR]!r}")
    for col in (START, MAXIMUM, SCORE_FROM, GROUP, SCORE):
        if fixed[col] != analogue[col]:
            raise BuildError(f"NN.111.5.0 {col} {fixed[col]!r} != analogue {analogue[col]!r}")
    print("check ok   NN.111.5.0 restored cells equal those of its analogue NN.111.25.0")


def validate_moj(rows: list[Row]) -> None:
    """Check every fixed MoJ row; raise with all faults found."""
    errors: list[str] = []
    if len(rows) != MOJ_ROWS:
        errors.append(f"expected {MOJ_ROWS} rows, found {len(rows)}")
    seen: set[str] = set()
    for line_no, row in enumerate(rows, start=2):
        code = row["ho_code"]
        where = f"line {line_no} ({code})"
        try:
            derived = f"{int(row['category']):03d}/{int(row['sub_category']):02d}"
        except ValueError:
            derived = "?"
        if not HO_CODE_RE.match(code) or derived != code:
            errors.append(f"{where}: ho_code disagrees with category/sub_category")
        if code in seen:
            errors.append(f"{where}: duplicate ho_code")
        seen.add(code)
        if row["parent_group_description"] not in KNOWN_MOJ_PARENT_GROUPS:
            errors.append(f"{where}: unknown parent group {row['parent_group_description']!r}")
        if not (row["sub_category_description"] or row["category_description"]):
            errors.append(f"{where}: no title")
        for col, val in row.items():
            if MOJIBAKE_RE.search(val) or CONTROL_RE.search(val) or val != val.strip():
                errors.append(f"{where}: {col} has mojibake, control characters or stray spaces")
    if errors:
        raise BuildError("moj_ho_codes_v73.csv faults:\n  " + "\n  ".join(errors))


# -------------------------------------------------------------------------- conversion


def to_cchi_output(rows: list[Row]) -> list[Row]:
    """Map fixed source rows to the shipped columns, in source order."""
    out = []
    for row in rows:
        shipped = {name: row[src] for name, src in CCHI_COLUMNS.items()}
        shipped["notifiable"] = NOTIFIABLE_VALUES[row[NOTIFIABLE]]
        out.append(shipped)
    return out


def to_moj_output(rows: list[Row]) -> list[Row]:
    """Map fixed MoJ rows to ho_code,title,parent_group sorted by ho_code."""
    out = [
        {
            "ho_code": r["ho_code"],
            "title": r["sub_category_description"] or r["category_description"],
            "parent_group": r["parent_group_description"],
        }
        for r in rows
    ]
    return sorted(out, key=lambda r: r["ho_code"])


def csv_text(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """Render rows as CSV text with LF line endings."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def conflicts(rows: list[Row]) -> dict[str, list[tuple[str, str]]]:
    """HO codes mapped to several different weights -> [(urn, weight), ...]."""
    by_code: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        by_code[r["ho_code"]].append((r["athena_urn"], r["weight"]))
    return {
        code: pairs
        for code, pairs in sorted(by_code.items())
        if len({float(w) for _, w in pairs}) > 1
    }


def distinct_weights(pairs: list[tuple[str, str]]) -> list[str]:
    """Distinct weights of (urn, weight) pairs, numerically sorted."""
    return sorted({w for _, w in pairs}, key=float)


# -------------------------------------------------------------------------- provenance


def md_code(value: str) -> str:
    """Markdown inline code for a cell value, '(empty)' for an empty one."""
    return f"`{value}`" if value else "(empty)"


def fix_lines(reports: list[FixReport]) -> list[str]:
    """Markdown bullets describing applied fixes."""
    lines = []
    for rep in reports:
        fix = rep.fix
        lines.append(
            f"- **{fix.name}** ({len(rep.keys)} rows, {len(rep.changes)} cells): {fix.description}"
        )
        if fix.expected_keys is not None:
            for c in rep.changes:
                before, after = md_code(c.before), md_code(c.after)
                lines.append(f"  - `{c.key}` {col_name(c.column)}: {before} → {after}")
        elif rep.changes:
            counts = ", ".join(f"{col} {n}" for col, n in column_counts(rep).items())
            lines.append(f"  - cells per column: {counts}")
    return lines


def provenance(
    cchi_reports: list[FixReport],
    moj_reports: list[FixReport],
    cchi_rows: list[Row],
    moj_codes: set[str],
    shipped_sha: dict[str, str],
) -> str:
    """Render PROVENANCE.md."""
    clash = conflicts(cchi_rows)
    gaps = sorted({r["ho_code"] for r in cchi_rows} - moj_codes)
    n_false = sum(r["notifiable"] == "false" for r in cchi_rows)
    clash_lines = [
        f"| {code} | {', '.join(distinct_weights(pairs))} | "
        + ", ".join(f"{u} ({w})" for u, w in pairs)
        + " |"
        for code, pairs in clash.items()
    ]
    mismatch_lines = [f"- `{u}`: {why}" for u, why in KNOWN_HO_PART_MISMATCHES.items()]
    empty_lines = [f"- `{u}`: {col_name(col)}" for u, col in sorted(KNOWN_EMPTY_CELLS)]
    lines = [
        "# Provenance of the crimeharm package data",
        "",
        "Generated by `tools/build_package_data.py` from the raw files in `shared/data/raw/`;",
        "do not edit by hand (rerun the script; `--check` verifies these files).",
        "",
        f"## `{CCHI_OUT}` — Cambridge Crime Harm Index, 2020 update",
        "",
        "- **Content**: the 'CCHI 2020 values sheet', one row per ATHENA URN (police",
        f"  Athena/NICHE offence code), {len(cchi_rows)} rows in source order. `weight` is the",
        "  CCHI score in days (custody days, or the day-equivalent of a community sentence or",
        "  fine) exactly as written in the source (e.g. 5475, 547.5, 0.3).",
        "  The cover page says the index is 'current with the latest England and Wales",
        "  sentencing guidelines as of the 6th October 2020' and that 'for murder the minimum",
        "  sentence is 15 years - 15 X 365 = 5475 CCHI points'.",
        "- **Publisher**: Cambridge Centre for Evidence-Based Policing (cambridge-ebp.co.uk,",
        "  'the-chi' page), 'Cambridge Crime Harm Index 2020 Update'.",
        "- **Obtained from**: github.com/techinesis/UK-Crime-Explorer (TU/e 4CBLW020 student",
        "  project, Group 3), path `data/cchi2020dataxls.xlsx`, commit",
        "  `b9174e26d60a70edaa9fd74d10faf9503232f0cd` (snapshot HEAD",
        "  `747d5e9087b32e421181d249e5d36712bb049dcd`, git blob",
        "  `d7724fe035da3aec6b3fd365bc6771e9b101defa`); retrieved 2026-11-24.",
        "- **Licence and copyright**: NOT an open licence. The workbook carries only",
        "  'Copyright Cambridge Centre for Evidence based Policing 2020'. The Institute of",
        "  Criminology page says the values 'may be downloaded or copied from the spreadsheet",
        "  ... which the Institute provides as a resource for its students and the wider",
        "  research community'. SOURCE.txt advises: treat as reference/test data and get",
        "  permission before redistributing inside a shipped package.",
        f"- **Raw input**: `cchi/{CCHI_RAW.name}` sha256 `{CCHI_RAW_SHA256}` (a mechanical",
        "  CSV export of the sheet: first 20 columns verbatim, the CJS-code spill-over columns",
        "  joined with ';'); it was exported from `cchi_2020_update_values.xlsx`, sha256",
        f"  `{CCHI_XLSX_SHA256}`.",
        f"- **Shipped file**: `{CCHI_OUT}` sha256 `{shipped_sha[CCHI_OUT]}`.",
        "- **Columns**: athena_urn ← ATHENA URN; ho_code ← HOME_OFFICE_CLASSIFICATION;",
        "  cjs_codes ← CJS_CODES (';'-joined, may be empty); weight ← CCHI Score; title ←",
        "  FULL_OFFENCE_TITLE; short_title ← SHORT_TITLE; group/sub_group/sub_sub_group ←",
        "  GROUP/SUB_GROUP/SUB_SUB_GROUP; classification_code ← CLASSIFICATION_CODE;",
        "  notifiable ← NOTIFIABLE ('Notifiable' → true, 'Non-Notifiable' → false);",
        "  investigation_type ← INVESTIGATION_TYPE; starting_point ← Starting Point;",
        "  maximum_sentence ← Maximum Sentence; sentencing_data_available ← 'Sentencing data",
        "  from actual offence available'; similar_offence_used ← 'If no sentencing data",
        "  available what similar offence was used'; act ← ACT. Not shipped: 'Score from'",
        "  (source URL of the sentencing guideline), HO_CODE, HO_SUB_CODE, HO_SUB_SUB_CODE.",
        "",
        "### Fixes applied (in this order)",
        "",
        *fix_lines(cchi_reports),
        "",
        "Every row was then validated: unique ATHENA URN; weight a finite non-negative",
        "number; ho_code matches `^\\d{3}/\\d{2}$` and agrees with HO_CODE/HO_SUB_CODE; GROUP",
        "one of the 14 known offence groups and SUB_GROUP one of its sub-groups; NOTIFIABLE",
        "consistent with GROUP/SUB_GROUP/SUB_SUB_GROUP; INVESTIGATION_TYPE CRIME or NONCRIME;",
        "CJS codes alphanumeric; no mojibake, control characters or stray spaces.",
        "",
        "Not fixed (the columns are not shipped), HO_CODE/HO_SUB_CODE disagreeing with",
        "HOME_OFFICE_CLASSIFICATION:",
        "",
        *mismatch_lines,
        "",
        "Shipped empty because the source cell is empty and nothing justifies a value:",
        "",
        *empty_lines,
        "",
        "Free text is otherwise kept as written (e.g. 'Band b fine' next to 'Band B fine',",
        "'4 Years' next to '4 years', questions such as 'Suggest fine?').",
        "",
        "### HO codes with several different CCHI scores (not resolved)",
        "",
        f"{len(clash)} HO codes carry different scores on different rows (the 1:1 key is the",
        "ATHENA URN, not the HO code). Every row is shipped; the library picks a policy at",
        "load time.",
        "",
        "| ho_code | distinct weights | rows (athena_urn (weight)) |",
        "|---|---|---|",
        *clash_lines,
        "",
        f"### HO codes absent from `{MOJ_OUT}`",
        "",
        f"{len(gaps)} CCHI HO codes are not in the MoJ catalogue: " + ", ".join(gaps) + ".",
        "Their titles fit their HO categories (e.g. 111/25 dangerous dogs, 093/44",
        "psychoactive substances), so they look like police recording codes that the",
        "court-side catalogue lacks rather than typos; this was not verified code by code.",
        "",
        "### Caveats",
        "",
        "- Superseded by the May-2023 CCHI update (2022 burglary guideline, non-fatal",
        "  strangulation) and the Feb-2026 update; neither was obtainable, so these are the",
        "  2020 values.",
        f"- Non-notifiable offences are included: {n_false} rows with notifiable=false (SOURCE.txt",
        "  counts 117 by the GROUP column, which on row NN.111.5.0 held a URL before the",
        "  shifted-columns fix); 4 of them are ASB rows with INVESTIGATION_TYPE NONCRIME.",
        "- Placeholder / catch-all HO codes occur (e.g. 099/99 'Other offences (specify ...)',",
        "  xxx/90 'Other ...' codes such as 810/90, 820/90); their weights are for one",
        "  particular offence and say little about other offences recorded under the code.",
        "  099/99 holds six rows from 2 to 357, including '(outcomes only)' rows for",
        "  racially aggravated GBH (8H.99.99.221) and fraud (53C/53D.99.99.229/230).",
        "- Values are kept as published even where odd: attempted witness intimidation",
        "  (79.79.5.0A, 126) outscores the completed offence (79.79.5.0, 42); the source",
        "  says a higher category was used 'since harming is worse than just threatening'.",
        "- Weights of 182 (26 weeks) and 182.5 (6 months) both occur; scores below 1",
        "  (0.1, 0.3) are used for breach of the peace, licence-recall failures and FPN",
        "  obstruction offences.",
        "",
        f"## `{MOJ_OUT}` — Ministry of Justice catalogue of Home Office offence codes",
        "",
        f"- **Content**: all {len(moj_codes)} Home Office offence classification codes",
        "  (category/sub-category) used in courts and probation, notifiable and summary,",
        "  sorted by ho_code. `title` = sub_category_description (never empty in V73;",
        "  category_description would be used if it were), `parent_group` =",
        "  parent_group_description, the MoJ court-statistics offence group (not the Home",
        "  Office offence group used by the CCHI). Includes placeholder codes (000/00",
        "  'Invalid Offence', xxx/00 '... [Use this code only if you are unable to determine",
        "  which subcoded Offence applies]', 999/xx migrated generic codes).",
        "- **Publisher**: Ministry of Justice (HMPPS); the repository credits 'Ministry of",
        "  Justice Data - Lookup Offences: maintenance and updating of Home Office codes'.",
        "- **Obtained from**: github.com/ministryofjustice/hmpps-manage-offences-api, path",
        "  `src/main/resources/migration/common/V73__seed_risk_actuarial_ho_code_table.sql`,",
        "  commit `01ce1e767969a51f99472f61772b25a6f5e0e917` (2026-07-20, 'ACT-561 seed",
        "  actuarial tables (#425)'; snapshot HEAD `daf5d3764d17f0ab6e1e996c0f4d16ff327e02d5`,",
        "  git blob `ee68a440cd6cbddb7755390aa0438ac6bcbb7c14`); retrieved 2026-11-24.",
        "- **Licence and copyright**: MIT License, 'Copyright (c) 2020-2021 Crown Copyright",
        "  (Ministry of Justice)'.",
        f"- **Raw input**: `moj_ho_codes/{MOJ_RAW.name}` sha256 `{MOJ_RAW_SHA256}` (a",
        "  mechanical CSV export of the SQL seed, one row per INSERT), exported from",
        f"  `V73__seed_risk_actuarial_ho_code_table.sql`, sha256 `{MOJ_SQL_SHA256}`.",
        f"- **Shipped file**: `{MOJ_OUT}` sha256 `{shipped_sha[MOJ_OUT]}`.",
        "",
        "### Fixes applied (in this order)",
        "",
        *fix_lines(moj_reports),
        "",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------- build


def build(raw: Path) -> dict[str, str]:
    """Build all shipped files from ``raw``; return file name -> text."""
    cchi_path, moj_path = raw / CCHI_RAW, raw / MOJ_RAW
    verify_sha256(cchi_path, CCHI_RAW_SHA256)
    verify_sha256(moj_path, MOJ_RAW_SHA256)

    print(f"\n== {CCHI_RAW}")
    cchi_src = read_csv(cchi_path, CCHI_SOURCE_HEADER)
    cchi_reports = apply_fixes(cchi_src, URN, CCHI_FIXES)
    check_shift_fix(cchi_src)
    validate_cchi(cchi_src)
    for urn, why in KNOWN_HO_PART_MISMATCHES.items():
        print(f"note (not fixed, column not shipped): {urn}: {why}")
    cchi_rows = to_cchi_output(cchi_src)

    print(f"\n== {MOJ_RAW}")
    moj_src = read_csv(moj_path, MOJ_SOURCE_HEADER)
    moj_reports = apply_fixes(moj_src, "ho_code", MOJ_FIXES)
    validate_moj(moj_src)
    moj_rows = to_moj_output(moj_src)
    moj_codes = {r["ho_code"] for r in moj_rows}

    clash = conflicts(cchi_rows)
    print(f"\nHO codes with several different CCHI scores ({len(clash)}, not resolved):")
    for code, pairs in clash.items():
        print(f"    {code}: {', '.join(distinct_weights(pairs))}")
    if set(clash) != EXPECTED_CONFLICTS:
        raise BuildError(f"conflicting HO codes changed: {sorted(clash)}")
    gaps = sorted({r["ho_code"] for r in cchi_rows} - moj_codes)
    print(f"\nCCHI HO codes not in the MoJ catalogue ({len(gaps)}): {', '.join(gaps)}")

    files = {
        CCHI_OUT: csv_text(list(CCHI_COLUMNS), cchi_rows),
        MOJ_OUT: csv_text(MOJ_COLUMNS, moj_rows),
    }
    shipped_sha = {name: sha256_text(text) for name, text in files.items()}
    files[PROVENANCE_OUT] = provenance(cchi_reports, moj_reports, cchi_rows, moj_codes, shipped_sha)
    return files


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw data directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="do not write; fail if the files on disk differ"
    )
    args = parser.parse_args(argv)
    try:
        files = build(args.raw)
    except BuildError as exc:
        print(f"build_package_data: error: {exc}", file=sys.stderr)
        return 1
    print()
    stale = []
    for name, text in files.items():
        path = args.out / name
        if args.check:
            current = path.read_bytes() if path.is_file() else None
            if current != text.encode("utf-8"):
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        print(f"wrote {path}  sha256 {sha256_text(text)}")
    if stale:
        print(f"build_package_data: out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
