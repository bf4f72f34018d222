"""Hypothesis strategies for crimeharm data: ids, weight schemes, events, decays.

Plugin authors test their schemes and decays with the generators the library uses::

    from hypothesis import given
    from crimeharm.testing import strategies as chst

    @given(chst.events(scheme=my_scheme), chst.decays())
    def test_my_invariant(events, decay): ...

Events are dated relative to ``as_of`` (default ``AS_OF``) so tests can score them with the
same ``as_of``: an event of age ``a`` days is dated ``as_of - a``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st

from ..core.decay import Decay
from ..core.events import Events
from ..core.schemes import WeightScheme
from ..plugins import get_decay, get_scheme, list_decays, list_schemes

__all__ = [
    "AS_OF",
    "DECAY_PARAMS",
    "IdKind",
    "decay_params",
    "decays",
    "events",
    "int_ids",
    "registered_schemes",
    "schemes",
    "str_ids",
    "weights",
    "window_days",
]

#: The default scoring date of generated events.
AS_OF = np.datetime64("2023-07-18", "D")

IdKind = Literal["int", "str", "either"]

_LOW, _HIGH = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)
_ID_CHARS = st.characters(
    categories=("Lu", "Ll", "Nd"), min_codepoint=0x30, max_codepoint=0x4FFF
) | st.sampled_from("-_/.é中")


def int_ids() -> st.SearchStrategy[int]:
    """int64 offender ids, small ones likelier, the int64 limits and negatives included."""
    return st.one_of(
        st.integers(0, 50),
        st.integers(-1000, 1000),
        st.sampled_from([_LOW, _LOW + 1, _HIGH - 1, _HIGH]),
        st.integers(_LOW, _HIGH),
    )


def str_ids(max_size: int = 12) -> st.SearchStrategy[str]:
    """Non-blank string offender ids of varied widths (ASCII, accented and CJK letters).

    In Unicode NFC, as the readers' id policy leaves them (``crimeharm.io.ids``), so ids built
    directly and ids read back from a file or frame compare the same.
    """
    import unicodedata

    return st.text(_ID_CHARS, min_size=1, max_size=max_size).map(
        lambda s: unicodedata.normalize("NFC", s)
    )


def weights(*, allow_zero: bool = True, max_value: float = 6000.0) -> st.SearchStrategy[float]:
    """Harm weights: finite and >= 0 (days for the CCHI), often whole or half days, some zero."""
    exact = st.integers(1, int(max_value)).map(float) | st.integers(1, int(2 * max_value)).map(
        lambda k: k / 2.0
    )
    anyval = st.floats(min_value=1e-3, max_value=max_value, allow_nan=False, allow_infinity=False)
    choices = [exact, anyval]
    if allow_zero:
        choices.append(st.just(0.0))
    return st.one_of(*choices)


@st.composite
def schemes(
    draw: st.DrawFn,
    *,
    min_codes: int = 1,
    max_codes: int = 12,
    allow_zero: bool = True,
    name: str = "hypothesis",
) -> WeightScheme:
    """Small weight schemes with distinct non-blank codes of varied length."""
    codes = draw(
        st.lists(
            st.text(st.sampled_from("0123456789/.ABZ"), min_size=1, max_size=8),
            min_size=min_codes,
            max_size=max_codes,
            unique=True,
        )
    )
    values = draw(
        st.lists(weights(allow_zero=allow_zero), min_size=len(codes), max_size=len(codes))
    )
    return WeightScheme.from_mapping(dict(zip(codes, values, strict=True)), name=name, unit="days")


def registered_schemes(names: Sequence[str] | None = None) -> st.SearchStrategy[WeightScheme]:
    """Every registered scheme (``ch.list_schemes()`` by default), loaded with default options."""
    pool = list(names) if names is not None else list_schemes()
    return st.sampled_from(pool).map(get_scheme)


@st.composite
def events(
    draw: st.DrawFn,
    scheme: WeightScheme | None = None,
    *,
    codes: Sequence[str] | None = None,
    min_rows: int = 0,
    max_rows: int = 40,
    max_offenders: int = 8,
    id_kind: IdKind = "either",
    as_of: np.datetime64 = AS_OF,
    min_age: int = -20,
    max_age: int = 2000,
    categorical: bool | None = False,
    victims: bool = False,
    ages: st.SearchStrategy[int] | None = None,
) -> Events:
    """Events whose codes come from ``scheme`` (or ``codes``), dated ``as_of - age`` days.

    Offenders are drawn from a pool of at most ``max_offenders`` ids so that most of them have
    several events. Ages lie in ``[min_age, max_age]``; negative ages are after ``as_of``.
    ``categorical=None`` draws string or category-index codes; ``victims`` adds ``victim_id``;
    ``ages`` replaces the age strategy (e.g. to favour ages at a window's boundary).
    """
    pool_codes: list[str]
    if codes is not None:
        pool_codes = [str(c) for c in codes]
    elif scheme is not None:
        pool_codes = scheme.codes.tolist()
    else:
        pool_codes = draw(schemes()).codes.tolist()
    kind = id_kind if id_kind != "either" else draw(st.sampled_from(["int", "str"]))
    id_strategy: st.SearchStrategy[Any] = int_ids() if kind == "int" else str_ids()
    ids = draw(st.lists(id_strategy, min_size=1, max_size=max_offenders, unique=True))
    n = draw(st.integers(min_rows, max_rows))
    # a few codes per example, so offenders share codes and ties are common
    used_codes = draw(st.lists(st.sampled_from(pool_codes), min_size=1, max_size=6, unique=True))
    if ages is None:
        ages = st.integers(min_age, max_age) | st.sampled_from([0, 1, 365, 730])
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.sampled_from(used_codes),
                ages,
                st.integers(0, 3),
            ),
            min_size=n,
            max_size=n,
        )
    )
    id_array = (
        np.array([r[0] for r in rows], dtype=np.int64)
        if kind == "int"
        else np.array([r[0] for r in rows], dtype=np.str_)
    )
    if kind == "str" and not rows:
        id_array = np.empty(0, dtype="<U1")
    code_list = [r[1] for r in rows]
    dates = as_of - np.array([r[2] for r in rows], dtype=np.int64).astype("timedelta64[D]")
    victim_array = np.array([r[3] for r in rows], dtype=np.int64) if victims else None
    as_categories = draw(st.booleans()) if categorical is None else categorical
    if as_categories:
        table = sorted(set(used_codes) | {pool_codes[0]})
        table = draw(st.permutations(table))
        position = {c: i for i, c in enumerate(table)}
        return Events(
            offender_id=id_array,
            offence_code=np.array([position[c] for c in code_list], dtype=np.int64),
            categories=np.array(table, dtype=np.str_),
            date=dates,
            victim_id=victim_array,
        )
    code_array = np.array(code_list, dtype=np.str_) if rows else np.empty(0, dtype="<U1")
    return Events(offender_id=id_array, offence_code=code_array, date=dates, victim_id=victim_array)


def window_days() -> st.SearchStrategy[int | None]:
    """Window lengths in days: None (no window), 1, short, a year and the usual 1826."""
    return st.one_of(st.none(), st.sampled_from([1, 2, 365, 1826]), st.integers(1, 2500))


def _bands(draw: st.DrawFn) -> dict[str, Any]:
    uppers = sorted(draw(st.sets(st.integers(1, 3000), min_size=1, max_size=4)))
    rest = sorted(
        draw(st.lists(st.floats(0.0, 1.0), min_size=len(uppers) - 1, max_size=len(uppers) - 1)),
        reverse=True,
    )
    return {"bands": [[u, f] for u, f in zip(uppers, [1.0, *rest], strict=True)]}


_DAYS = st.floats(min_value=0.5, max_value=5000.0, allow_nan=False) | st.sampled_from([1, 365])

#: Parameter strategies of the built-in decays, by name; other names get ``{}`` (defaults).
DECAY_PARAMS: Mapping[str, st.SearchStrategy[dict[str, Any]]] = {
    "none": st.just({}),
    "exponential": st.builds(dict, half_life_days=_DAYS),
    "linear": st.builds(dict, horizon_days=_DAYS),
    "step": st.composite(_bands)(),
}


def decay_params(
    name: str, extra: Mapping[str, st.SearchStrategy[dict[str, Any]]] | None = None
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword parameters for decay ``name`` (``extra`` adds strategies for plugin decays)."""
    table = {**DECAY_PARAMS, **(extra or {})}
    return table.get(name, st.just({}))


@st.composite
def decays(
    draw: st.DrawFn,
    names: Sequence[str] | None = None,
    *,
    extra: Mapping[str, st.SearchStrategy[dict[str, Any]]] | None = None,
    factory: Callable[..., Decay] = get_decay,
) -> Decay:
    """A registered decay (every name in ``ch.list_decays()`` by default) with drawn parameters."""
    pool = list(names) if names is not None else list_decays()
    name = draw(st.sampled_from(pool))
    return factory(name, **draw(decay_params(name, extra)))
