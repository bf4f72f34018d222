"""The date rules: how a value read from a file or frame becomes a calendar day, or is refused.

* **Text** is ISO ``YYYY-MM-DD`` (a time after it is dropped), or the ``date_format`` given
  (a ``strptime`` format): ``crimeharm.io.normalise.parse_date``.
* **Dates and timestamps** (Arrow ``date32``, ``timestamp``; numpy ``datetime64``; pandas)
  keep their calendar day as written (a time-zone-aware timestamp: its local wall-clock day).
  Parquet ``int96`` timestamps (Spark, Hive, Impala) are read at millisecond resolution, so
  years outside 1677-2262 (a ``9999-12-31`` placeholder) stay the year written instead of
  wrapping around: they are then reported as after ``as_of`` like any other future date.
* **Whole numbers** (``20230102`` in an integer column) are never taken as days since 1970: they
  are read only with a ``date_format`` that names their layout (``date_format="%Y%m%d"``), else
  every such row is an unparseable date naming the column and the value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from . import normalise

__all__ = [
    "DAY",
    "MISSING",
    "MONTH",
    "OK",
    "UNPARSEABLE",
    "YEAR",
    "day_of",
    "fixed_layout",
    "is_whole_number",
    "whole_number_note",
]

OK, MISSING, UNPARSEABLE = 0, 1, 2
_NAT = np.datetime64("NaT", "D")


def is_whole_number(value: Any) -> bool:
    """An int, or a float with no fraction (how a pandas integer column with gaps arrives)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, np.integer)):
        return True
    return isinstance(value, (float, np.floating)) and float(value).is_integer()


def day_of(value: Any, date_format: str | None) -> tuple[np.datetime64, int]:
    """(day, state) of one value by the rules above; state is OK, MISSING or UNPARSEABLE."""
    if value is None or (isinstance(value, float) and value != value):
        return _NAT, MISSING
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    if is_whole_number(value):
        if date_format is None:
            return _NAT, UNPARSEABLE
        value = str(int(value))
    if isinstance(value, str):
        if normalise.is_null_text(value):
            return _NAT, MISSING
        day = normalise.parse_date(value, date_format)
        return (_NAT, UNPARSEABLE) if day is None else (np.datetime64(day, "D"), OK)
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
    if isinstance(value, (dt.date, np.datetime64)):
        day = np.datetime64(value).astype("datetime64[D]")
        return (_NAT, MISSING) if np.isnat(day) else (day, OK)
    return _NAT, UNPARSEABLE


def whole_number_note(date_format: str | None) -> str:
    """Why a whole number in a date column was refused (or did not match the format)."""
    if date_format is None:
        return (
            "a whole number, not a date: numbers are not read as days since 1970; pass "
            "date_format= with their layout (date_format='%Y%m%d' reads 20230102)"
        )
    return f"a whole number that is not a date in format {date_format}"


#: ``fixed_layout`` codes for a digit of the year, the month and the day (else a literal byte).
YEAR, MONTH, DAY = 256, 257, 258
_DIRECTIVES = {"Y": (YEAR,) * 4, "m": (MONTH,) * 2, "d": (DAY,) * 2}


def fixed_layout(date_format: str | None) -> tuple[int, ...] | None:
    """The fixed-width layout of a date format made of ``%Y``, ``%m`` and ``%d`` (once each)
    and literal ASCII punctuation, one code per character: ``YEAR``, ``MONTH``, ``DAY`` for a
    digit, else the literal's byte; None for any other format. ISO (None) is ``%Y-%m-%d``.

    A value written to such a layout (zero-padded) reads as ``strptime`` reads it; values that
    are not (``5/1/2023``) are left to the general rules above.
    """
    text = "%Y-%m-%d" if date_format is None else date_format
    codes: list[int] = []
    seen: set[str] = set()
    chars = iter(text)
    for char in chars:
        if char == "%":
            directive = next(chars, "")
            if directive not in _DIRECTIVES or directive in seen:
                return None
            seen.add(directive)
            codes.extend(_DIRECTIVES[directive])
        elif char.isascii() and not char.isalnum() and not char.isspace() and char not in "\"'":
            codes.append(ord(char))
        else:
            return None
    return tuple(codes) if seen == set(_DIRECTIVES) else None
