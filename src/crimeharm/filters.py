"""Select events before scoring: by a scheme's offence groups, by codes, or by any column."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import ParameterError

if TYPE_CHECKING:
    from .events import Events
    from .schemes import WeightScheme

__all__ = ["FILTERED_OUT", "select_events"]

#: Report reason for rows removed by :func:`select_events`.
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
    for name, accepted in (where or {}).items():
        column = events[name]
        wanted = np.asarray(_values(accepted))
        if column.dtype.kind in "iu" and wanted.dtype.kind == "f":
            wanted = wanted[wanted == np.round(wanted)]  # 1.7 matches no integer id
        if column.dtype.kind not in "US":  # numbers/dates: compare in the column's type
            wanted = wanted.astype(column.dtype)
        keep &= np.isin(column, wanted)  # strings are never cut to the column's width
    return events.take(keep, reason=FILTERED_OUT)
