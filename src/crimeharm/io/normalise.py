"""Normalisation rules for values read from files and frames (ids, offence codes, dates).

Every reader applies the same rules, whatever the engine, so the CSV, Parquet, pandas, Arrow and
polars paths give identical [`Events`][crimeharm.Events] for the same data:

* **Whitespace** is trimmed from ids, codes and dates (``str.strip``: spaces, tabs, no-break
  spaces, ...). Carried extra columns are kept exactly as read.
* **Missing**: after trimming, an empty value or one of ``NULL_MARKERS`` (any letter case:
  ``NULL``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``None``) is a missing value.
* **Plain integers** (``plain_int_mask``): an optional sign then ASCII digits only, within
  int64 (what ``id_type="int"`` accepts). Which ids are compared as integers, and how text ids
  are compared, is the id policy of ``crimeharm.io.ids``: under ``id_type="auto"`` only ids
  that round-trip exactly (``"7"``, not ``"007"`` or ``"+7"``) make an integer column.
* **Offence codes** (``normalise_code``): trimmed only, by default. With ``pad_codes=True``
  a Home Office code written with or without zero padding or the slash becomes ``NNN/NN``:
  ``"8/1"``, ``"08/1"``, ``"008-01"``, ``"008.01"`` and ``"00801"`` (exactly five digits) all
  become ``"008/01"``. Anything else (``"801"``, ``"COML025"``) is left as it is, so the scorer
  reports it as an unknown code rather than the reader guessing.
* **Dates** (``parse_date``): by default ISO ``YYYY-MM-DD``, optionally followed by ``T`` or
  a space and a time (``2023-01-05T13:45:00``, ``2023-01-05 13:45+01:00``), which is dropped: a
  date-time is truncated to its day as written (no time-zone conversion). With ``date_format``
  the value is read with ``datetime.datetime.strptime`` (``"%d/%m/%Y"`` for UK day-first
  dates), again truncated to the day. Impossible dates (``31/02/2023``) are unparseable.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "NULL_MARKERS",
    "is_null_text",
    "normalise_code",
    "parse_date",
    "plain_int_mask",
    "strip",
    "to_int64",
]

#: Values (compared case-insensitively, after trimming) that mean "missing".
NULL_MARKERS = frozenset({"", "null", "na", "n/a", "#n/a", "nan", "none"})

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
    r"(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?"
)
_HO_PARTS = re.compile(r"([0-9]{1,3})\s*[/.\-]\s*([0-9]{1,2})")
_HO_PACKED = re.compile(r"[0-9]{5}")
_INT64_MAX = "9223372036854775807"
_INT64_MIN = "9223372036854775808"  # magnitude of the most negative int64


def is_null_text(text: str) -> bool:
    """True if ``text`` (already trimmed or not) means a missing value."""
    return text.strip().lower() in NULL_MARKERS


def normalise_code(code: str, *, pad: bool = False) -> str:
    """One offence code by the rule in the module docstring ("" stays "": a missing code)."""
    code = code.strip()
    if not pad:
        return code
    parts = _HO_PARTS.fullmatch(code)
    if parts is not None:
        return f"{int(parts[1]):03d}/{int(parts[2]):02d}"
    if _HO_PACKED.fullmatch(code):
        return f"{code[:3]}/{code[3:]}"
    return code


def parse_date(text: str, date_format: str | None = None) -> dt.date | None:
    """The day ``text`` names, or None if it is not a date in the format (ISO by default)."""
    text = text.strip()
    if date_format is None:
        match = _ISO.fullmatch(text)
        if match is None:
            return None
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    try:
        return dt.datetime.strptime(text, date_format).date()
    except ValueError:
        return None


def strip(values: npt.NDArray[Any]) -> npt.NDArray[np.str_]:
    """Unicode array with surrounding whitespace removed (vectorised)."""
    arr = np.asarray(values)
    if arr.dtype.kind != "U":
        arr = arr.astype(np.str_) if arr.size else np.empty(0, dtype="<U1")
    return np.char.strip(arr)


def null_mask(values: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Where a trimmed unicode array holds a missing value (empty or a null marker)."""
    if values.size == 0:
        return np.zeros(0, dtype=bool)
    short = np.char.str_len(values) <= 4
    mask: npt.NDArray[np.bool_] = np.asarray(values == "", dtype=bool)
    if short.any():
        mask[short] = np.isin(np.char.lower(values[short]), sorted(NULL_MARKERS))
    return mask


def plain_int_mask(values: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Where a trimmed unicode array holds a plain integer (sign, ASCII digits) within int64."""
    n = values.shape[0]
    width = values.dtype.itemsize // 4
    if n == 0 or width == 0:
        return np.zeros(n, dtype=bool)
    chars = np.ascontiguousarray(values).view(np.uint32).reshape(n, width)
    length = np.char.str_len(values)
    signed = (chars[:, 0] == ord("-")) | (chars[:, 0] == ord("+"))
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    pos = np.arange(width)
    in_body = (pos >= signed[:, None]) & (pos < length[:, None])
    ok: npt.NDArray[np.bool_] = np.all(digit | ~in_body, axis=1)
    ndigits = length - signed
    ok &= ndigits > 0
    ok &= ndigits <= 19
    edge = ok & (ndigits == 19)
    if edge.any():  # 19 digits: compare with the int64 limits as equal-width strings
        rows = np.flatnonzero(edge)
        body = np.array([values[i].lstrip("+-") for i in rows.tolist()])
        negative = chars[rows, 0] == ord("-")
        limit = np.where(negative, _INT64_MIN, _INT64_MAX)
        ok[rows] = body <= limit
    return ok


def to_int64(values: npt.NDArray[np.str_], plain: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """int64 of the plain-integer entries of ``values`` (others become 0)."""
    out = np.zeros(values.shape[0], dtype=np.int64)
    if plain.any():
        out[plain] = values[plain].astype(np.int64)
    return out
