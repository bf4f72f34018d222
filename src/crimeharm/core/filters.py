"""Select events before scoring: by a scheme's offence groups, by codes, or by any column."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ..errors import ParameterError

if TYPE_CHECKING:
    from .events import Events
    from .schemes import WeightScheme

__all__ = ["FILTERED_OUT", "select_events", "where_mask"]

#: Report reason for rows removed by ``select_events``.
FILTERED_OUT = "filtered out"


def _values(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def select_events(
    events: Events,
    *,
    scheme: WeightScheme | None = None,
    groups: Iterable[str] | None = None,
    codes: Iterable[str] | None = None,
    where: Mapping[str, Any] | None = None,
) -> Events:
    """Events that pass every given filter; the rest are counted under ``"filtered out"``."""
    keep = np.ones(len(events), dtype=bool)
    wanted_codes: set[str] | None = None
    if groups is not None:
        if scheme is None:
            msg = "selecting by offence group needs the scheme that defines the groups"
            raise ParameterError(msg)
        wanted_codes = set(scheme.codes_in_groups(_values(groups)).tolist())
    if codes is not None:
        listed = {str(c) for c in _values(codes)}
        wanted_codes = listed if wanted_codes is None else wanted_codes & listed
    if wanted_codes is not None:
        if events.categories is not None:
            cat_keep = np.isin(events.categories, sorted(wanted_codes))
            keep &= cat_keep[events.offence_code]
        else:
            keep &= np.isin(events.offence_code, sorted(wanted_codes))
    keep &= where_mask(events, where or {})
    return events.take(keep, reason=FILTERED_OUT)


def _whole_numbers(values: list[Any], name: str, dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """The accepted values an integer column can hold (a fraction or 10**20 matches nothing)."""
    info = np.iinfo(dtype)
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            msg = f"where={{{name!r}: ...}}: column {name!r} holds whole numbers"
            raise ParameterError(msg)
        if isinstance(v, (float, np.floating)) and not float(v).is_integer():
            continue
        number = int(v)
        if info.min <= number <= info.max:
            out.append(number)
    return np.array(out, dtype=dtype)


def where_mask(events: Events, where: Mapping[str, Any]) -> npt.NDArray[np.bool_]:
    """Rows whose column holds one of the accepted values, for every ``column: values`` given.

    Text is compared as given (never cut to the column's width); integer columns accept whole
    numbers only; other columns compare in their own type.
    """
    keep = np.ones(len(events), dtype=bool)
    for name, accepted in where.items():
        column = events[name]
        values = _values(accepted)
        if column.dtype.kind in "iu":
            wanted = _whole_numbers(values, name, column.dtype)
        elif column.dtype.kind in "US":
            wanted = np.asarray(values)
        else:
            try:
                wanted = np.asarray(values).astype(column.dtype)
            except (TypeError, ValueError, OverflowError):
                msg = f"where={{{name!r}: ...}}: values must be of the column's type {column.dtype}"
                raise ParameterError(msg) from None
        keep &= np.isin(column, wanted)
    return keep
