"""Reading options: [`ReadOptions`][crimeharm.ReadOptions], the keywords every reader takes
(validated once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, cast

import attrs
import numpy as np

from ..errors import ParameterError

__all__ = ["ReadOptions"]


IdType = Literal["auto", "int", "str"]
OnError = Literal["raise", "skip"]
Engine = Literal["auto", "numba", "pyarrow", "python"]


def _min_date(value: Any) -> np.datetime64 | None:
    if value is None:
        return None
    try:
        day = np.datetime64(value, "D")
    except (TypeError, ValueError) as exc:
        msg = f"min_date must be a date such as '1900-01-01', or None (got {value!r})"
        raise ParameterError(msg) from exc
    if np.isnat(day):
        msg = "min_date must be a date, not NaT"
        raise ParameterError(msg)
    return cast("np.datetime64", day)


def _choice(*allowed: object) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value not in allowed:
            listed = ", ".join(repr(a) for a in allowed)
            msg = f"{attribute.name} must be one of {listed} (got {value!r})"
            raise ParameterError(msg)

    return check


def _name(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        msg = f"{attribute.name} must name a column (got {value!r})"
        raise ParameterError(msg)


def _carry(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        msg = f"carry must be a list of column names or None (got {value!r})"
        raise ParameterError(msg)
    return tuple(str(v) for v in value)


_DEFAULT = "\0default"  # victim_id / crime_id not given: use the column if it exists


@attrs.frozen
class ReadOptions:
    """Options every reader takes (keywords of [`read_csv`][crimeharm.read_csv] and the others).

    Column names: ``offender_id``, ``offence_code``, ``date`` name the file's columns
    (``offender_id="suspect_ref"``); ``victim_id`` and ``crime_id`` are used when a column of
    that name exists, required when named explicitly, never when None. ``carry`` lists extra
    columns to keep (default None: every other named column). ``date_format`` is a strptime
    format (``"%d/%m/%Y"``; default ISO); ``min_date`` rejects older dates (None: no limit).
    ``id_type`` is the offender id type ("auto": int64 if every id is a plain integer).
    ``pad_codes`` rewrites Home Office codes to ``NNN/NN``. ``on_error`` is "raise" or "skip";
    ``dedupe="crime_id"`` keeps the first row of each crime reference. ``delimiter`` and
    ``engine`` ("auto", "numba", "pyarrow", "python"; docs/preparing-data.md) apply to CSV
    files only.
    """

    offender_id: str = attrs.field(default="offender_id", validator=_name)
    offence_code: str = attrs.field(default="offence_code", validator=_name)
    date: str = attrs.field(default="date", validator=_name)
    victim_id: str | None = attrs.field(default=_DEFAULT, validator=_name)
    crime_id: str | None = attrs.field(default=_DEFAULT, validator=_name)
    carry: tuple[str, ...] | None = attrs.field(default=None, converter=_carry)
    date_format: str | None = None
    min_date: np.datetime64 | None = attrs.field(
        default=np.datetime64("1900-01-01", "D"), converter=_min_date
    )
    id_type: IdType = attrs.field(default="auto", validator=_choice("auto", "int", "str"))
    pad_codes: bool = attrs.field(default=False, validator=_choice(True, False))
    on_error: OnError = attrs.field(default="raise", validator=_choice("raise", "skip"))
    dedupe: str | None = attrs.field(default=None, validator=_choice(None, "crime_id"))
    delimiter: str = ","
    engine: Engine = attrs.field(
        default="auto", validator=_choice("auto", "numba", "pyarrow", "python")
    )

    def __attrs_post_init__(self) -> None:
        if self.date_format is not None and (
            not isinstance(self.date_format, str) or "%" not in self.date_format
        ):
            msg = (
                "date_format must be a strptime format such as '%d/%m/%Y' "
                f"(got {self.date_format!r})"
            )
            raise ParameterError(msg)
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            msg = f"delimiter must be one character (got {self.delimiter!r})"
            raise ParameterError(msg)
        if self.dedupe == "crime_id" and self.crime_id is None:
            msg = "dedupe='crime_id' needs a crime_id column (crime_id=None was given)"
            raise ParameterError(msg)

    @classmethod
    def from_keywords(cls, options: Mapping[str, Any]) -> ReadOptions:
        """Options from reader keywords; an unknown keyword lists the known ones."""
        known = {a.name for a in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            msg = f"unknown option {unknown[0]!r}; options: {', '.join(sorted(known))}"
            raise ParameterError(msg)
        return cls(**options)

    def date_text(self) -> str:
        """How the expected date format reads in messages."""
        return "ISO YYYY-MM-DD" if self.date_format is None else self.date_format
