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


# ------------------------------------------------------------------------------ ONS CSS

ONS_RAW = Path("ons_css_weights") / "policeuk-ons-code-join.csv"
ONS_RAW_SHA256 = "c46921cbc356ebfeb8234d7e889ddf234bdf76248e8c3c30646ee4aa9298bab6"
ONS_LICENSE = Path("ons_css_weights") / "LICENSE-repo.md"
HIER_RAW = Path("ons_prc_offence_hierarchy") / "crime_offence_hierarchy.csv"
HIER_RAW_SHA256 = "b007141bffffffbc8970b4c3f48abb73071d33176e7c15874733fb9ae7bbc7ab"
HIER_CYPHER_SHA256 = "0a0494e203f42954de5bf9ce1fc9b740b899b59c1002397007f6b3db4784b007"

ONS_OUT = "ons_css.csv"
ONS_CODES_OUT = "ons_codes.csv"
CROSSWALK_OUT = "ons_crosswalk.csv"

ONS_ROWS = 134
HIER_ROWS = 164

O_CAT, O_DESC, O_SEV_CODE, O_CODE = (
    "ONS_COUNTS_category", "ONS_COUNTS_description", "ONS_SEVERITY_code", "ONS_COUNTS_code",
)  # fmt: skip
O_SEV_CAT, O_SEV_OFF, O_WEIGHT = (
    "ONS_SEVERITY_category", "ONS_SEVERITY_offence", "ONS_SEVERITY_weight",
)  # fmt: skip
P_CODE, P_SUB, P_OFF, P_CAT = (
    "POLICE_UK_CAT_MAP_code", "POLICE_UK_CAT_MAP_sub_class",
    "POLICE_UK_CAT_MAP_offence", "POLICE_UK_CAT_MAP_category",
)  # fmt: skip
ONS_SOURCE_HEADER = (
    O_CAT, O_DESC, O_SEV_CODE, O_CODE, O_SEV_CAT, O_SEV_OFF, O_WEIGHT, P_CODE, P_SUB, P_OFF, P_CAT,
)  # fmt: skip
ONS_COLUMNS = (
    "ons_code", "weight", "title", "category", "severity_code", "severity_offence",
    "severity_category", "police_uk_category", "source_line",
)  # fmt: skip
ONS_CODES_COLUMNS = ("ons_code", "label", "group", "source")
CROSSWALK_COLUMNS = (
    "from_system", "from_code", "ons_code", "derivation", "certainty", "source",
)  # fmt: skip

POLICE_UK_CATEGORIES = frozenset(
    {
        "Bicycle Theft", "Burglary", "Criminal Damage and Arson", "Drugs", "Other Crime",
        "Other Theft", "Possession of Weapons", "Public Order", "Robbery", "Shoplifting",
        "Theft from the Person", "Vehicle Crime", "Violence and Sexual Offences",
    }
)  # fmt: skip
ONS_CODE_RE = re.compile(r"^(\d{1,3}[A-Z]?|\d{1,2}\.\d{1,2}|1/4\.1/4\.10/4\.2)$")
POLICE_UK_CODE_RE = re.compile(r"^\d{1,3}(/\d{1,2})?$")
SERIAL_RE = re.compile(r"^\d{5}$")
HOMICIDE_SEVERITY = "1, 4.1/2/10"

# Counting codes whose weight the joined file takes from another (severity) code.
EXPECTED_SEVERITY_DIFFERENCES: dict[str, str] = {
    "1": HOMICIDE_SEVERITY,
    "4.1": HOMICIDE_SEVERITY,
    "4.2": HOMICIDE_SEVERITY,
    "4.10": HOMICIDE_SEVERITY,
    "1/4.1/4.10/4.2": HOMICIDE_SEVERITY,
    "28A": "28C",
    "30A": "30C",
}

# police.uk map codes a spreadsheet turned into date serials: serial -> (how it was read, the
# original code). The build re-derives every original from its serial by the stated reading and
# checks the MoJ title of the recovered Home Office code against the row's police.uk offence.
SERIAL_RECOVERY: dict[str, tuple[str, str]] = {
    "43831": ("day/month", "1/1"),
    "43833": ("day/month", "3/1"),
    "43864": ("day/month", "3/2"),
    "43874": ("day/month", "13/2"),
    "43875": ("day/month", "14/2"),
    "43918": ("day/month", "28/3"),
    "43986": ("day/month", "4/6"),
    "44031": ("day/month", "19/7"),
    "44047": ("day/month", "4/8"),
    "44062": ("day/month", "19/8"),
    "44078": ("day/month", "4/9"),
    "44093": ("day/month", "19/9"),
    "44123": ("day/month", "19/10"),
    "44139": ("day/month", "4/11"),
    "20302": ("month/year", "8/55"),
    "22129": ("month/year", "8/60"),
}
# The rows (ONS counting codes) whose police.uk map code is a date serial.
SERIAL_ROWS = frozenset(
    {
        "1", "1/4.1/4.10/4.2", "13", "14", "19C", "19D", "19F", "19G", "28A", "28C",
        "28D", "28E", "28F", "28G", "3A", "3B", "4.1", "4.10", "4.2", "4.6", "4.7",
        "4.8", "4.9", "8P", "9B",
    }
)  # fmt: skip
SERIAL_YEAR = 2020  # the year a day/month entry was given (the file was made in 2020/21)

# CCHI CLASSIFICATION_CODE values written with '/' where the ONS code has '.'.
CCHI_SLASH_CODES = frozenset({"37/1", "37/2", "4/1", "4/3", "4/4", "4/7", "4/8", "4/9"})
# CCHI CLASSIFICATION_CODE values that are not ONS CSS codes (no weight in the CSS).
CCHI_NON_ONS_CLASSES = frozenset({"53C", "53D", "8H", "ASB", "NFIB", "NN"})
# police.uk map Home Office codes in neither the MoJ catalogue nor the CCHI; kept as stated.
KNOWN_UNLISTED_POLICE_UK_HO = frozenset({"036/06"})

CERTAINTY_ORDER = ("stated", "recovered", "inferred")


def excel_serial_date(serial: int) -> tuple[int, int, int]:
    """(year, month, day) of an Excel 1900-system date serial (serials > 60)."""
    import datetime

    day = datetime.date(1899, 12, 30) + datetime.timedelta(days=serial)
    return day.year, day.month, day.day


def recover_serial(serial: str) -> str:
    """The police.uk code a listed date serial stood for, re-derived and checked."""
    if serial not in SERIAL_RECOVERY:
        raise BuildError(f"date-serial police.uk code {serial!r} is not in SERIAL_RECOVERY")
    reading, expected = SERIAL_RECOVERY[serial]
    year, month, day = excel_serial_date(int(serial))
    if reading == "day/month":
        if year != SERIAL_YEAR:
            raise BuildError(f"serial {serial} is in {year}, not {SERIAL_YEAR}")
        derived = f"{day}/{month}"
    else:
        if day != 1:
            raise BuildError(f"serial {serial} is not the first of a month")
        derived = f"{month}/{year % 100}"
    if derived != expected:
        raise BuildError(f"serial {serial} reads as {derived!r}, listed as {expected!r}")
    return derived


def fix_police_uk_serial(row: Row) -> list[tuple[str, str, str]]:
    """Replace a date-serial police.uk map code by the code it was (listed, re-derived)."""
    value = row[P_CODE]
    if not SERIAL_RE.match(value):
        return []
    return set_cells(row, {P_CODE: recover_serial(value)})


ONS_FIXES = (
    Fix(
        "strip-whitespace",
        "Leading and trailing spaces removed from every cell (e.g. 'Arson not endangering "
        "life ', 'Violence with injury ', and a severity offence title padded with 80 spaces).",
        fix_strip,
        expected_rows=19,
    ),
    Fix(
        "collapse-whitespace",
        "Runs of spaces collapsed to one ('Robbery -  personal', 'careless driving  when').",
        fix_collapse,
        expected_rows=2,
    ),
    Fix(
        "police-uk-date-serials",
        "POLICE_UK_CAT_MAP_code values that a spreadsheet turned into date serials restored to "
        "the police.uk code they were: 'D/M' codes had been read as day/month of 2020 (44062 = "
        "19 Aug 2020 <- '19/8'), 'M/YY' codes as month/year (22129 = 1 Aug 1960 <- '8/60'). "
        "Every serial is listed in the build script with its reading; the build re-derives the "
        "code from the serial and checks that the Home Office code's MoJ title shares words with "
        "the row's police.uk offence text (table below).",
        fix_police_uk_serial,
        expected_keys=SERIAL_ROWS,
    ),
)


def police_uk_ho_code(code: str) -> str | None:
    """'19/8' -> '019/08'; a class-only code ('58') -> None."""
    if "/" not in code:
        return None
    main, sub = code.split("/")
    return f"{int(main):03d}/{int(sub):02d}"


WORD_RE = re.compile(r"[a-z]+")
STOP_WORDS = frozenset({"a", "an", "and", "by", "for", "in", "of", "on", "or", "the", "to", "etc"})


def words(text: str) -> set[str]:
    """Lower-case content words of a title."""
    return {w for w in WORD_RE.findall(text.lower()) if w not in STOP_WORDS and len(w) > 2}


def validate_ons(rows: list[Row]) -> None:
    """Refuse any fault in the ONS weights file that no named fix covers."""
    errors: list[str] = []
    seen: set[str] = set()
    by_severity: dict[str, tuple[str, str]] = {}
    for line, row in enumerate(rows, start=2):
        code = row[O_CODE]
        where = f"{ONS_RAW.name} line {line} ({code!r})"
        if not ONS_CODE_RE.match(code):
            errors.append(f"{where}: ONS_COUNTS_code is not an ONS counting code")
        if code in seen:
            errors.append(f"{where}: ONS_COUNTS_code repeats")
        seen.add(code)
        weight = row[O_WEIGHT]
        if not WEIGHT_RE.match(weight) or not math.isfinite(float(weight)) or float(weight) <= 0:
            errors.append(f"{where}: weight {weight!r} is not a positive number")
        severity = row[O_SEV_CODE]
        if severity != code and EXPECTED_SEVERITY_DIFFERENCES.get(code) != severity:
            errors.append(f"{where}: severity code {severity!r} differs from the counting code")
        pair = (weight, row[O_SEV_OFF])
        if by_severity.setdefault(severity, pair) != pair:
            errors.append(f"{where}: severity code {severity!r} has two weights or titles")
        if row[P_CODE] and not POLICE_UK_CODE_RE.match(row[P_CODE]):
            errors.append(f"{where}: police.uk map code {row[P_CODE]!r} is not 'N' or 'N/N'")
        if row[P_CAT] not in POLICE_UK_CATEGORIES:
            errors.append(f"{where}: unknown police.uk category {row[P_CAT]!r}")
        for col, value in row.items():
            if value != collapse_whitespace(value) or CONTROL_RE.search(value):
                errors.append(f"{where}: stray whitespace in {col}")
    if len(rows) != ONS_ROWS:
        errors.append(f"{ONS_RAW.name}: {len(rows)} rows, expected {ONS_ROWS}")
    missing = set(EXPECTED_SEVERITY_DIFFERENCES) - {
        r[O_CODE] for r in rows if r[O_CODE] != r[O_SEV_CODE]
    }
    if missing:
        errors.append(f"expected severity-code differences not found: {sorted(missing)}")
    if errors:
        raise BuildError("ONS CSS weights:\n  " + "\n  ".join(errors))


def to_ons_output(rows: list[Row]) -> list[Row]:
    """One shipped row per ONS counting code, in source order; weight exactly as written."""
    return [
        {
            "ons_code": r[O_CODE],
            "weight": r[O_WEIGHT],
            "title": r[O_DESC],
            "category": r[O_CAT],
            "severity_code": r[O_SEV_CODE],
            "severity_offence": r[O_SEV_OFF],
            "severity_category": r[O_SEV_CAT],
            "police_uk_category": r[P_CAT],
            "source_line": str(line),
        }
        for line, r in enumerate(rows, start=2)
    ]


def to_ons_codes(hier: list[Row], ons_rows: list[Row]) -> list[Row]:
    """Every known ONS counting code: the PRC hierarchy's leaves, then CSS codes it lacks."""
    labels = {r["code"]: r["label"] for r in hier}
    groups = {r["parent_code"] for r in hier}
    out: list[Row] = []
    for r in hier:
        if r["code"] in groups:
            continue  # a group node, not an offence code
        out.append(
            {
                "ons_code": r["code"],
                "label": r["label"],
                "group": labels.get(r["parent_code"], ""),
                "source": f"{HIER_RAW.name} (ONS PRC hierarchy 2017-18)",
            }
        )
    have = {r["ons_code"] for r in out}
    for r in ons_rows:
        if r["ons_code"] not in have:
            out.append(
                {
                    "ons_code": r["ons_code"],
                    "label": r["title"],
                    "group": r["category"],
                    "source": f"{ONS_RAW.name} line {r['source_line']}",
                }
            )
    return out


def code_stem(code: str) -> str:
    """Leading digits of an ONS code ('8N' -> '8', '105A' -> '105', '4.10' -> '4')."""
    match = re.match(r"\d+", code)
    return match.group(0) if match else ""


def build_crosswalk(
    ons_rows: list[Row], ons_fixed: list[Row], cchi_rows: list[Row], moj_codes: set[str]
) -> tuple[list[Row], dict[str, object]]:
    """Rows mapping HO codes, Athena URNs, CJS codes and police.uk categories to ONS codes."""
    ons = {r["ons_code"]: r for r in ons_rows}
    cchi_ho = {r["ho_code"] for r in cchi_rows}
    out: list[Row] = []
    notes: dict[str, object] = {}

    # 1. The CCHI's own key columns: CLASSIFICATION_CODE is the ONS counting code of the row.
    unmatched: dict[str, int] = defaultdict(int)
    ho_pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in cchi_rows:
        cls = r["classification_code"]
        if cls in CCHI_SLASH_CODES:
            cls = cls.replace("/", ".")
        if cls not in ons:
            if cls not in CCHI_NON_ONS_CLASSES:
                raise BuildError(f"CCHI {r['athena_urn']}: classification {cls!r} unknown")
            unmatched[cls] += 1
            continue
        urn_ref = f"{CCHI_OUT} athena_urn={r['athena_urn']}"
        out.append(_xw("athena", r["athena_urn"], cls, "cchi-classification", "stated", urn_ref))
        ho_pairs[(r["ho_code"], cls)].append(r["athena_urn"])
        for cjs in (c for c in r["cjs_codes"].split(";") if c):
            out.append(_xw("cjs", cjs, cls, "cchi-classification", "stated", urn_ref))
    for (ho, cls), urns in sorted(ho_pairs.items()):
        ref = f"{CCHI_OUT} athena_urn=" + ";".join(urns)
        out.append(_xw("ho", ho, cls, "cchi-classification", "stated", ref))
    notes["cchi_unmatched"] = dict(sorted(unmatched.items()))
    stated_ho: dict[str, set[str]] = defaultdict(set)
    for ho, cls in ho_pairs:
        stated_ho[ho].add(cls)

    # 2. The police.uk map column of the joined ONS file (Home Office code -> ONS code).
    recovered: list[tuple[str, str, str, str, str]] = []
    for raw, fixed in zip(ons_rows, ons_fixed, strict=True):
        code = fixed[P_CODE]
        line = raw["source_line"]
        out.append(
            _xw(
                "police-uk",
                fixed[P_CAT],
                raw["ons_code"],
                "police-uk-category",
                "stated",
                f"{ONS_RAW.name} line {line}",
            )
        )
        ho = police_uk_ho_code(code) if code else None
        if ho is None:
            continue
        was_serial = fixed["_serial"] != ""
        if ho not in moj_codes and ho not in cchi_ho and ho not in KNOWN_UNLISTED_POLICE_UK_HO:
            raise BuildError(f"{ONS_RAW.name} line {line}: police.uk code {code} -> {ho} unknown")
        ref = f"{ONS_RAW.name} line {line} {P_CODE}={fixed['_serial'] or code}"
        if was_serial:
            title = MOJ_TITLES.get(ho, "")
            shared = words(title) & words(fixed[P_OFF])
            if not shared:
                raise BuildError(f"serial {fixed['_serial']} -> {ho}: titles share no word")
            recovered.append((fixed["_serial"], code, ho, title, fixed[P_OFF]))
            ref += f" (date serial, recovered as {code})"
        certainty = "recovered" if was_serial else "stated"
        out.append(_xw("ho", ho, raw["ons_code"], "police-uk-map", certainty, ref))
    notes["recovered"] = recovered

    # 3. Dotted ONS codes name the Home Office code: 4.1 <-> 004/01, 37.2 <-> 037/02.
    dotted: list[tuple[str, str, str]] = []
    for code in ons:
        if "." in code and "/" not in code:
            main, sub = code.split(".")
            ho = f"{int(main):03d}/{int(sub):02d}"
            if ho not in moj_codes:
                raise BuildError(f"dotted ONS code {code} -> {ho} is not in the MoJ catalogue")
            dotted.append((code, ho, MOJ_TITLES[ho]))
            out.append(_xw("ho", ho, code, "ons-dotted-code", "inferred", f"{MOJ_OUT} {ho}"))
    notes["dotted"] = dotted

    # 4. A plain numeric ONS code N with no lettered or dotted sibling is the whole Home Office
    #    category N: every MoJ code NNN/xx not otherwise mapped -> N, unless a stated mapping
    #    sends some code of that category elsewhere.
    stems: dict[str, set[str]] = defaultdict(set)
    for code in ons:
        if "/" not in code:
            stems[code_stem(code)].add(code)
    mapped = {r["from_code"] for r in out if r["from_system"] == "ho"}
    targets_by_category: dict[int, set[str]] = defaultdict(set)
    for r in out:
        if r["from_system"] == "ho":
            targets_by_category[int(r["from_code"][:3])].add(r["ons_code"])
    whole: list[tuple[str, int]] = []
    for stem, codes in sorted(stems.items(), key=lambda kv: int(kv[0])):
        if codes != {stem}:
            continue
        category = int(stem)
        if targets_by_category[category] - {stem}:
            continue
        added = 0
        for ho in sorted(moj_codes):
            summary = MOJ_GROUPS.get(ho, "") in SUMMARY_GROUPS
            if int(ho[:3]) == category and ho not in mapped and not summary:
                ref = f"{MOJ_OUT} {ho} (category {category:03d})"
                out.append(_xw("ho", ho, stem, "ho-category", "inferred", ref))
                added += 1
        whole.append((stem, added))
    notes["categories"] = whole

    # One row per (system, code, ons code, derivation); sorted for a stable file.
    unique = {tuple(r[c] for c in CROSSWALK_COLUMNS[:4]): r for r in out}
    rows = sorted(unique.values(), key=lambda r: tuple(r[c] for c in CROSSWALK_COLUMNS))
    return rows, notes


MOJ_TITLES: dict[str, str] = {}
MOJ_GROUPS: dict[str, str] = {}
# MoJ court-statistics groups of summary (non-notifiable) offences: their HO category numbers
# can collide with notifiable ONS codes (MoJ 106/xx is betting and gaming, ONS 106 modern
# slavery), so the category rule never maps them.
SUMMARY_GROUPS = frozenset({"Other summary offences", "Summary motoring offences"})


def _xw(system: str, code: str, ons: str, derivation: str, certainty: str, source: str) -> Row:
    if certainty not in CERTAINTY_ORDER:
        raise BuildError(f"unknown certainty {certainty!r}")
    return {
        "from_system": system,
        "from_code": code,
        "ons_code": ons,
        "derivation": derivation,
        "certainty": certainty,
        "source": source,
    }


def build_ons(
    raw: Path, cchi_rows: list[Row], moj_rows: list[Row]
) -> tuple[dict[str, str], list[FixReport], dict[str, object]]:
    """ons_css.csv, ons_codes.csv and ons_crosswalk.csv from the raw ONS files."""
    verify_sha256(raw / ONS_RAW, ONS_RAW_SHA256)
    verify_sha256(raw / HIER_RAW, HIER_RAW_SHA256)
    if not (raw / ONS_LICENSE).is_file():
        raise BuildError(f"licence file missing: {raw / ONS_LICENSE}")
    MOJ_TITLES.clear()
    MOJ_TITLES.update({r["ho_code"]: r["title"] for r in moj_rows})
    MOJ_GROUPS.clear()
    MOJ_GROUPS.update({r["ho_code"]: r["parent_group"] for r in moj_rows})
    print(f"\n== {ONS_RAW}")
    src = read_csv(raw / ONS_RAW, ONS_SOURCE_HEADER)
    original_codes = [r[P_CODE].strip() for r in src]
    reports = apply_fixes(src, O_CODE, ONS_FIXES)
    validate_ons(src)
    ons_rows = to_ons_output(src)
    fixed = [
        {**r, "_serial": before if SERIAL_RE.match(before) else ""}
        for r, before in zip(src, original_codes, strict=True)
    ]
    print(f"\n== {HIER_RAW}")
    hier = read_csv(raw / HIER_RAW, ("code", "label", "parent_code"))
    if len(hier) != HIER_ROWS:
        raise BuildError(f"{HIER_RAW.name}: {len(hier)} rows, expected {HIER_ROWS}")
    codes = to_ons_codes(hier, ons_rows)
    moj_codes = {r["ho_code"] for r in moj_rows}
    crosswalk, notes = build_crosswalk(ons_rows, fixed, cchi_rows, moj_codes)
    counts: dict[str, int] = defaultdict(int)
    for r in crosswalk:
        counts[f"{r['from_system']} {r['derivation']} {r['certainty']}"] += 1
    for key, n in sorted(counts.items()):
        print(f"    crosswalk {key}: {n}")
    notes["counts"] = dict(sorted(counts.items()))
    notes["n_codes"] = len(codes)
    files = {
        ONS_OUT: csv_text(ONS_COLUMNS, ons_rows),
        ONS_CODES_OUT: csv_text(ONS_CODES_COLUMNS, codes),
        CROSSWALK_OUT: csv_text(CROSSWALK_COLUMNS, crosswalk),
    }
    return files, reports, notes


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


def ons_provenance(
    reports: list[FixReport], notes: dict[str, object], shipped_sha: dict[str, str]
) -> str:
    """The ONS CSS, ONS code list and crosswalk sections of PROVENANCE.md."""
    recovered = notes["recovered"]
    dotted = notes["dotted"]
    categories = notes["categories"]
    counts = notes["counts"]
    unmatched = notes["cchi_unmatched"]
    assert isinstance(recovered, list)
    assert isinstance(dotted, list)
    assert isinstance(categories, list)
    assert isinstance(counts, dict)
    assert isinstance(unmatched, dict)
    serial_lines = [
        f"| {serial} | {SERIAL_RECOVERY[serial][0]} | {code} | {ho} | {title} | {offence} |"
        for serial, code, ho, title, offence in dict.fromkeys(recovered)
    ]
    dotted_lines = [f"- `{code}` ↔ `{ho}` ({title})" for code, ho, title in dotted]
    category_text = ", ".join(f"{stem} ({n})" for stem, n in categories if n)
    count_lines = [f"| {key.replace(' ', ' | ')} | {n} |" for key, n in counts.items()]
    severity_lines = [f"`{c}` → `{s}`" for c, s in EXPECTED_SEVERITY_DIFFERENCES.items()]
    lines = [
        "",
        f"## `{ONS_OUT}` — ONS Crime Severity Score weights",
        "",
        f"- **Content**: the ONS Crime Severity Score (CSS) weight of each of {ONS_ROWS} ONS",
        "  counting codes (the Home Office counting-rules classifications: 8N, 19C, 56A, 4.10;",
        "  `1/4.1/4.10/4.2` is the combined homicide line), in source order. `weight` is written",
        "  exactly as in the source (e.g. 7973.393423 for homicide, 5.39670789 for criminal",
        "  damage). Unit: the ONS describes weights as sentencing-day equivalents estimated",
        "  from sentences actually handed down (a mean over several years, custody and",
        "  non-custodial outcomes converted); not the CCHI's guideline starting points.",
        "  `title` ← ONS_COUNTS_description, `category` ← ONS_COUNTS_category,",
        "  `severity_code` / `severity_offence` / `severity_category` ← the ONS_SEVERITY_*",
        "  columns (the line of the CSS 'List of weights' the weight comes from),",
        "  `police_uk_category` ← POLICE_UK_CAT_MAP_category, `source_line` = the line in the",
        "  raw file. The counting code differs from the severity code on 7 rows, whose weight",
        "  is that of the severity line: " + ", ".join(severity_lines) + ".",
        "- **Publisher**: Office for National Statistics, 'Crime Severity Score (Experimental",
        "  Statistics)' data tool, sheet 'List of weights'. Crown copyright; Open Government",
        "  Licence v3.0.",
        "- **Obtained from**: github.com/M-O-P-D/Police-Supply-Demand, `data/policeuk-ons-code-",
        "  join.csv` (Birks, Smith et al., University of Leeds; last change",
        "  `132ec613ab57371cf54c17d013bfbe750de24604`, 2021-02-03; snapshot HEAD",
        "  `38420a1fbf0c6b4301053f9228f2285a24d8f239`, git blob",
        "  `a2cf5c8d926ad1a521a05d44140ca07a413f92ce`); retrieved 2026-11-27. The file joins",
        "  the CSS weights to police.uk's category-mappings file.",
        "- **Licence and copyright**: the weights are ONS data, Crown copyright, Open Government",
        "  Licence v3.0 (contains public sector information licensed under the OGL v3.0). The",
        "  joined file is MIT-licensed: 'Copyright © 2020-2021 Dan Birks, Andrew P Smith'",
        "  (the MIT notice is in `ons_css_weights/LICENSE-repo.md` of the raw data and is",
        "  reproduced under 'Licences' below).",
        "- **Release uncertainty**: the data-tool release is not stated in the source (it was",
        "  read from the ONS 'current' URL in 2020/21). ONS re-bases the weights between",
        "  releases, so these may differ from the weights of any one published CSS release;",
        "  treat them as one release of about 2020, not as the current weights.",
        "  The full 'List of weights' has 252 lines; this file carries the 128 that the joined",
        "  file kept (134 counting codes).",
        f"- **Raw input**: `ons_css_weights/{ONS_RAW.name}` sha256 `{ONS_RAW_SHA256}`.",
        f"- **Shipped file**: `{ONS_OUT}` sha256 `{shipped_sha[ONS_OUT]}`.",
        "",
        "### Fixes applied (in this order)",
        "",
        *fix_lines(reports),
        "",
        "Date serials and the police.uk codes recovered from them (checked: the MoJ title of",
        "the Home Office code shares words with the police.uk offence text):",
        "",
        "| serial | read as | police.uk code | HO code | MoJ title | police.uk offence |",
        "|---|---|---|---|---|---|",
        *serial_lines,
        "",
        "Every row was then validated: unique counting code of the ONS form; weight a positive",
        "number; a severity code other than the counting code only where listed above, and one",
        "weight and title per severity code; police.uk map code empty, 'N' or 'N/N'; police.uk",
        "category one of the 13 street-level categories; no stray whitespace.",
        "",
        f"## `{ONS_CODES_OUT}` — ONS counting codes (the key system's code list)",
        "",
        f"- **Content**: {notes['n_codes']} ONS counting codes with labels and offence groups:",
        "  the leaf codes of the ONS 'crime-offence' hierarchy (police-recorded crime with Home",
        "  Office offences, 2017-18), then the CSS codes that hierarchy lacks (1, 4.1, 4.2,",
        "  4.10, the combined homicide line, 19J, 19K), sourced to the ONS weights file. Used to",
        "  tell a valid ONS code a scheme lacks from one that is not a code.",
        "- **Publisher**: Office for National Statistics. Obtained from",
        "  github.com/ONSdigital/dp-hierarchy-builder, `cypher-scripts/crime-offence.cypher` @",
        "  `c37ff5aa89f10e55417834c639e8b3b874d23389` (blob",
        "  `abf8df94df24b986b55b0539199538973cd80649`); retrieved 2026-11-24.",
        "- **Licence**: repository MIT, 'Copyright (c) 2016-2021 Office for National",
        "  Statistics'; the code list itself is Crown copyright ONS/Home Office statistics,",
        "  Open Government Licence v3.0.",
        f"- **Raw input**: `ons_prc_offence_hierarchy/{HIER_RAW.name}` sha256 `{HIER_RAW_SHA256}`",
        f"  (exported from `crime-offence.cypher`, sha256 `{HIER_CYPHER_SHA256}`).",
        f"- **Shipped file**: `{ONS_CODES_OUT}` sha256 `{shipped_sha[ONS_CODES_OUT]}`.",
        "",
        f"## `{CROSSWALK_OUT}` — crosswalk to ONS counting codes",
        "",
        "One row per (from_system, from_code, ons_code, derivation); `source` names the file and",
        "row the mapping comes from, so every row can be traced and re-derived (`--check` does).",
        "Key systems: `ho` (Home Office offence code NNN/NN), `athena` (Athena URN), `cjs` (CJS",
        "offence code), `police-uk` (police.uk street-level category). Derivations:",
        "",
        "- **cchi-classification** (certainty `stated`): the CCHI 2020 row's",
        "  CLASSIFICATION_CODE is the ONS counting code of that offence; each row maps its",
        "  Athena URN, its HO code and its CJS codes to it. CCHI writes 4/1 ... 4/9, 37/1, 37/2",
        "  for the ONS codes 4.1 ... 37.2. Rows whose classification is not a CSS code are not",
        "  mapped: " + ", ".join(f"{k} ({v} rows)" for k, v in unmatched.items()) + ".",
        "- **police-uk-map** (`stated`, or `recovered` where the code was a date serial): the",
        "  police.uk map code of the joined ONS file, as a HO code (19/8 → 019/08). Map codes",
        "  naming only a HO category ('58') are not used as HO mappings.",
        "- **police-uk-category** (`stated`): the police.uk street-level category of each ONS",
        "  code (one category holds many ONS codes).",
        "- **ons-dotted-code** (`inferred`): a dotted ONS code names its HO code:",
        *[f"  {line}" for line in dotted_lines],
        "- **ho-category** (`inferred`): a plain numeric ONS code N with no lettered or dotted",
        "  sibling stands for the whole HO category N, so every MoJ-listed code NNN/xx that no",
        "  stated row maps is mapped to N (not done where a stated row sends a code of the",
        "  category elsewhere). Categories (codes added): " + category_text + ".",
        "",
        "| from_system | derivation | certainty | rows |",
        "|---|---|---|---|",
        *count_lines,
        "",
        "A code may map to several ONS codes (HO 028/03 to residential burglary 28E, 28F and",
        "28G; 034/01 to robbery of business and of personal property). The library chooses by",
        "a selectable policy (`conflicts=`, as for the CCHI), after keeping only the most",
        "certain rows of each code (stated, then recovered, then inferred).",
        "",
        f"- **Shipped file**: `{CROSSWALK_OUT}` sha256 `{shipped_sha[CROSSWALK_OUT]}`.",
        "",
        "## Licences",
        "",
        "- CCHI 2020: Copyright Cambridge Centre for Evidence-Based Policing 2020 (see above).",
        "- MoJ Home Office code list: MIT, Copyright (c) 2020-2021 Crown Copyright (Ministry",
        "  of Justice).",
        "- ONS CSS weights: Crown copyright, Open Government Licence v3.0",
        "  (https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/).",
        "- ONS offence hierarchy: MIT, Copyright (c) 2016-2021 Office for National Statistics;",
        "  code list OGL v3.0.",
        "- The joined ONS/police.uk file, MIT licence:",
        "",
        "  > Copyright © 2020-2021 Dan Birks, Andrew P Smith",
        "  >",
        "  > Permission is hereby granted, free of charge, to any person obtaining a copy of",
        '  > this software and associated documentation files (the "Software"), to deal in the',
        "  > Software without restriction, including without limitation the rights to use,",
        "  > copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the",
        "  > Software, and to permit persons to whom the Software is furnished to do so,",
        "  > subject to the following conditions: The above copyright notice and this",
        "  > permission notice shall be included in all copies or substantial portions of the",
        '  > Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.',
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
    ons_files, ons_reports, ons_notes = build_ons(raw, cchi_rows, moj_rows)
    files.update(ons_files)
    shipped_sha = {name: sha256_text(text) for name, text in files.items()}
    files[PROVENANCE_OUT] = provenance(
        cchi_reports, moj_reports, cchi_rows, moj_codes, shipped_sha
    ) + ons_provenance(ons_reports, ons_notes, shipped_sha)
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
