"""Assertions for tests: compare scores, and check a scheme or decay against the contract.

A plugin author runs ``check_scheme`` and ``check_decay`` on what their plugin provides; both
raise ``AssertionError`` saying which rule broke. Messages name rows and codes, never offender
ids (ids are sensitive).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from ..core.decay import Decay
from ..core.events import Events
from ..core.results import Ranking, Scores
from ..core.schemes import WeightScheme
from ..plugins import get_decay, get_scheme, list_decays, list_schemes

__all__ = ["assert_scores_equal", "check_decay", "check_scheme", "reference_harm"]


def _fail(msg: str) -> NoReturn:
    raise AssertionError(msg)


def _first_diff(a: npt.NDArray[Any], b: npt.NDArray[Any]) -> str:
    if a.shape != b.shape:
        return f"shapes {a.shape} != {b.shape}"
    differ = np.flatnonzero(a != b)
    return f"{differ.size} rows differ, first at row {int(differ[0]) if differ.size else -1}"


def assert_scores_equal(
    a: Scores | Ranking,
    b: Scores | Ranking,
    *,
    rtol: float = 1e-9,
    check_report: bool = True,
    check_params: bool = True,
) -> None:
    """Same offenders in the same order, same counts and dates, harm equal within ``rtol``.

    ``rtol=0`` asks for bit-identical harm. Reports and parameters are compared for
    [`Scores`][crimeharm.Scores] unless switched off.
    """
    if type(a) is not type(b):
        _fail(f"cannot compare {type(a).__name__} with {type(b).__name__}")
    if a.offender_id.dtype.kind != b.offender_id.dtype.kind:
        _fail(f"offender_id dtypes differ: {a.offender_id.dtype} != {b.offender_id.dtype}")
    columns = ["offender_id", "count", "first", "last"]
    if isinstance(a, Ranking):
        columns.insert(0, "rank")
    for name in columns:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        if not np.array_equal(x, y):
            _fail(f"column {name!r} differs: {_first_diff(x, y)}")
    va, vb = a.victims, b.victims
    if (va is None) != (vb is None) or (
        va is not None and vb is not None and not np.array_equal(va, vb)
    ):
        _fail("column 'victims' differs")
    ha, hb = np.asarray(a.harm, dtype=np.float64), np.asarray(b.harm, dtype=np.float64)
    close = np.abs(ha - hb) <= rtol * np.maximum(np.abs(ha), np.abs(hb))
    if not close.all():
        i = int(np.argmin(close))
        _fail(
            f"harm differs beyond rtol={rtol}: {int(np.count_nonzero(~close))} rows, first at "
            f"row {i} ({ha[i]!r} != {hb[i]!r})"
        )
    if isinstance(a, Scores) and isinstance(b, Scores):
        if check_report and a.report != b.report:
            _fail(f"reports differ: {a.report} != {b.report}")
        if check_params and a.params != b.params:
            _fail(f"parameters differ: {a.params} != {b.params}")


def reference_harm(
    events: Events,
    scheme: WeightScheme,
    *,
    as_of: Any,
    window_days: int | None = None,
    decay: Decay | None = None,
    skip_unknown: bool = False,
) -> dict[Any, tuple[float, int, np.datetime64, np.datetime64]]:
    """``{offender_id: (harm, count, first, last)}`` by a plain Python loop and ``math.fsum``.

    An independent, slow implementation of the scoring rule to test fast ones against: an event
    counts iff ``0 <= age < window_days``; harm is the exact-rounded sum of
    ``weight * decay(age)``.
    """
    day = np.datetime64(as_of, "D")
    table = scheme.to_dict()
    parts: dict[Any, list[float]] = {}
    dates: dict[Any, list[np.datetime64]] = {}
    for oid, code, date in zip(
        events.offender_id.tolist(), events.code_strings().tolist(), events.date, strict=True
    ):
        age = int((day - date) // np.timedelta64(1, "D"))
        if age < 0 or (window_days is not None and age >= window_days):
            continue
        if code not in table:
            if skip_unknown:
                continue
            msg = f"code {code!r} is not in scheme {scheme.name!r}"
            raise KeyError(msg)
        factor = 1.0 if decay is None else float(decay.factor(np.array([age], dtype=np.int64))[0])
        parts.setdefault(oid, []).append(table[code] * factor)
        dates.setdefault(oid, []).append(date)
    return {
        oid: (math.fsum(vals), len(vals), min(dates[oid]), max(dates[oid]))
        for oid, vals in parts.items()
    }


def check_scheme(scheme: WeightScheme | str, **options: Any) -> WeightScheme:
    """Check a scheme (or a registered scheme name, loaded with ``options``) and return it.

    Checks: a named [`WeightScheme`][crimeharm.WeightScheme] of unique, non-blank string codes with
    finite weights >= 0; lookups (``index_of``, ``weight``, ``in``) agree with the table;
    ``checksum`` is stable and sees a changed weight; one event per code, scored without decay,
    gives each code's weight as harm.
    """
    if isinstance(scheme, str):
        name = scheme
        if name not in list_schemes():
            _fail(f"scheme {name!r} is not registered (ch.list_schemes() = {list_schemes()})")
        scheme = get_scheme(name, **options)
        if get_scheme(name, **options) is not scheme:
            _fail(f"get_scheme({name!r}) loads a new object each call (should be cached)")
    if not isinstance(scheme, WeightScheme):
        _fail(f"expected a WeightScheme, got {type(scheme).__name__}")
    label = f"scheme {scheme.name!r}"
    if not scheme.name:
        _fail("a scheme needs a non-empty name")
    codes, weights = scheme.codes, scheme.weights
    if codes.dtype.kind != "U" or weights.dtype != np.float64:
        _fail(
            f"{label}: codes must be str and weights float64 (got {codes.dtype}, {weights.dtype})"
        )
    if codes.shape != weights.shape or len(scheme) != codes.size:
        _fail(f"{label}: codes and weights differ in length")
    if np.unique(codes).size != codes.size:
        _fail(f"{label}: codes are not unique")
    if any(c.strip() != c or not c for c in codes.tolist()):
        _fail(f"{label}: a code is blank or has surrounding spaces")
    if not (np.isfinite(weights) & (weights >= 0)).all():
        _fail(f"{label}: weights must be finite and >= 0")
    rows = np.arange(codes.size)
    for probe in (codes, np.tile(codes, max(1, 65 // max(codes.size, 1)))):
        expect = np.resize(rows, probe.size)
        if not np.array_equal(scheme.index_of(probe), expect):
            _fail(f"{label}: index_of(codes) does not give each code's row ({probe.size} codes)")
    absent = np.array(["", *(c + "\u00a7" for c in codes.tolist()[:70])], dtype=np.str_)
    if (scheme.index_of(absent) != -1).any():
        _fail(f"{label}: index_of finds codes that are not in the scheme")
    for code, weight in zip(codes.tolist(), weights.tolist(), strict=True):
        if code not in scheme or scheme.weight(code) != weight:
            _fail(f"{label}: weight({code!r}) disagrees with the table")
    if scheme.checksum != WeightScheme(codes=codes[::-1], weights=weights[::-1]).checksum:
        _fail(f"{label}: checksum depends on more than the (code, weight) table")
    if codes.size and scheme.with_weights({codes[0]: weights[0] + 1.0}).checksum == scheme.checksum:
        _fail(f"{label}: checksum does not change when a weight changes")
    if codes.size:
        from ..core.scoring import score

        day = np.datetime64("2020-01-01", "D")
        ev = Events(
            offender_id=np.arange(codes.size, dtype=np.int64),
            offence_code=codes,
            date=np.full(codes.size, day),
        )
        got = score(ev, scheme, as_of=day)
        if not np.array_equal(got.harm, weights[got.offender_id]):
            _fail(f"{label}: scoring one event per code does not give each code's weight")
    return scheme


def check_decay(decay: Decay | str, *, max_age: int = 3660, **params: Any) -> Decay:
    """Check a decay (or a registered decay name, built with ``params``) and return it.

    Checks: the [`Decay`][crimeharm.Decay] protocol (``name``, ``factor``, ``params``); factor
    is 1 at age 0, in [0, 1] and non-increasing over ``0 .. max_age`` days; one-age calls agree
    with the vectorised call; ``params()`` rebuilds an equal decay
    through ``ch.get_decay`` when the name is registered.
    """
    if isinstance(decay, str):
        if decay not in list_decays():
            _fail(f"decay {decay!r} is not registered (ch.list_decays() = {list_decays()})")
        decay = get_decay(decay, **params)
    if not isinstance(decay, Decay):
        _fail(f"{decay!r} lacks the Decay protocol (name, factor(), params())")
    name = getattr(decay, "name", None)
    if not isinstance(name, str) or not name:
        _fail(f"{decay!r}: name must be a non-empty str")
    label = f"decay {name!r}"
    ages = np.arange(max_age + 1, dtype=np.int64)
    table = np.asarray(decay.factor(ages), dtype=np.float64)
    if table.shape != ages.shape:
        _fail(f"{label}: factor() returned shape {table.shape} for {ages.shape}")
    if table[0] != 1.0:
        _fail(f"{label}: factor(0) must be 1.0 (got {table[0]!r})")
    inside = (table >= 0.0) & (table <= 1.0)
    if not inside.all():
        i = int(np.argmin(inside))
        _fail(f"{label}: factor must lie in [0, 1] (got {table[i]!r} at age {i} days)")
    rises = np.flatnonzero(np.diff(table) > 0)
    if rises.size:
        i = int(rises[0]) + 1
        _fail(f"{label}: factor rises at age {i} days ({table[i - 1]!r} -> {table[i]!r})")
    sample = ages[:: max(1, max_age // 50)]
    singles = np.array([float(decay.factor(np.array([a]))[0]) for a in sample.tolist()])
    if not np.array_equal(singles, table[sample]):
        _fail(f"{label}: factor() of one age differs from the vectorised result")
    p = decay.params()
    if not isinstance(p, Mapping):
        _fail(f"{label}: params() must return a mapping")
    if name in list_decays():
        again = get_decay(name, **dict(p))
        if not np.array_equal(np.asarray(again.factor(ages), dtype=np.float64), table):
            _fail(f"{label}: get_decay({name!r}, **params()) gives different factors")
    return decay
