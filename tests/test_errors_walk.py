"""Every error the public API raises is a CrimeHarmError (and still the builtin callers expect).

Walks the error paths of scoring, results, explain, schemes, decays, plugins and the research
functions with bad input; each must raise a :class:`crimeharm.CrimeHarmError` subclass, never a
bare KeyError, TypeError, IndexError or ValueError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import crimeharm as ch
from crimeharm.research.explain import explain

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"a": 2.0, "b": 1.0}, name="ab")


def _events() -> ch.Events:
    return ch.Events(
        offender_id=[1, 1, 2],
        offence_code=["a", "b", "a"],
        date=["2023-07-01", "2023-06-01", "2023-05-01"],
        victim_id=[5, 6, 5],
    )


def _scores() -> ch.Scores:
    return ch.score(_events(), SCHEME, as_of=AS_OF)


CASES: dict[str, tuple[Callable[[], Any], type[BaseException]]] = {
    "score: as_of an int": (lambda: ch.score(_events(), SCHEME, as_of=20230718), ValueError),
    "score: as_of a month": (lambda: ch.score(_events(), SCHEME, as_of="2023-07"), ValueError),
    "score: window 0": (
        lambda: ch.score(_events(), SCHEME, as_of=AS_OF, window_days=0),
        ValueError,
    ),
    "score: not events": (lambda: ch.score({"a": 1}, SCHEME, as_of=AS_OF), ValueError),
    "score: scheme type": (lambda: ch.score(_events(), 3, as_of=AS_OF), ValueError),  # type: ignore[arg-type]
    "score: unknown scheme": (lambda: ch.score(_events(), "nope", as_of=AS_OF), LookupError),
    "score: on_unknown": (
        lambda: ch.score(_events(), SCHEME, as_of=AS_OF, on_unknown="maybe"),  # type: ignore[arg-type]
        ValueError,
    ),
    "score: fallback weight": (
        lambda: ch.score(_events(), SCHEME, as_of=AS_OF, on_unknown="fallback"),
        ValueError,
    ),
    "score: by a missing column": (
        lambda: ch.score(_events(), SCHEME, as_of=AS_OF, by="beat"),
        ValueError,
    ),
    "score: unknown code": (
        lambda: ch.score(_events(), ch.WeightScheme.from_mapping({"a": 1.0}), as_of=AS_OF),
        LookupError,
    ),
    "top: n negative": (lambda: ch.top(_events(), SCHEME, n=-1, as_of=AS_OF), ValueError),
    "scores.rows_of: unknown id": (lambda: _scores().rows_of([99]), KeyError),
    "scores.rows_of: wrong id kind": (lambda: _scores().rows_of(["x"]), KeyError),
    "scores.rank_of: fractional id": (lambda: _scores().rank_of([1.5]), KeyError),
    "ranking.head: negative": (lambda: _scores().top(2).head(-1), ValueError),
    "scores: no such attribute": (lambda: _scores().borough, AttributeError),
    "events[name]: unknown column": (lambda: _events()["borough"], KeyError),
    "scheme.weight: unknown code": (lambda: SCHEME.weight("zz"), KeyError),
    "scheme.offence: unknown code": (lambda: SCHEME.offence("zz"), KeyError),
    "explain: unknown offender": (lambda: explain(_events(), SCHEME, 99, as_of=AS_OF), KeyError),
    "explain: id of the wrong kind": (
        lambda: explain(_events(), SCHEME, "x", as_of=AS_OF),
        ValueError,
    ),
    "explain: no as_of": (lambda: explain(_events(), SCHEME, 1), ValueError),
    "get_decay: unknown name": (lambda: ch.get_decay("nope"), LookupError),
    "get_decay: bad option": (lambda: ch.get_decay("exponential", speed=3), TypeError),
    "get_decay: missing option": (lambda: ch.get_decay("exponential"), TypeError),
    "get_scheme: option it does not take": (
        lambda: ch.get_scheme("cchi-2020", colour="red"),
        TypeError,
    ),
    "decay: bad half-life": (lambda: ch.ExponentialDecay(half_life_days=-1), ValueError),
    "scorer: merge a string": (
        lambda: ch.Scorer(SCHEME, as_of=AS_OF).merge("x"),  # type: ignore[arg-type]
        ValueError,
    ),
    "scorer: different parameters": (
        lambda: ch.Scorer(SCHEME, as_of=AS_OF).merge(ch.Scorer(SCHEME, as_of="2023-07-19")),
        ValueError,
    ),
    "sweep: n zero": (lambda: ch.sweep(_events(), SCHEME, as_of=AS_OF, n=0), ValueError),
    "bootstrap: level": (
        lambda: ch.bootstrap_ranks(_events(), SCHEME, as_of=AS_OF, level=2.0),
        ValueError,
    ),
    "concentration_by_group: no groups": (
        lambda: ch.concentration_by_group(_events(), SCHEME, as_of=AS_OF),
        ValueError,
    ),
    "concentration_by_victim: by another key": (
        lambda: ch.concentration_by_victim(_events(), SCHEME, as_of=AS_OF, by="offender_id"),
        ValueError,
    ),
    "events: ragged columns": (
        lambda: ch.Events(offender_id=[1, 2], offence_code=["a"], date=["2023-01-01"] * 2),
        ValueError,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_paths_raise_crimeharm_errors(name: str) -> None:
    call, builtin = CASES[name]
    with pytest.raises(builtin) as info:
        call()
    error = info.value
    if builtin is AttributeError:  # attribute lookup keeps Python's own protocol
        assert isinstance(error, AttributeError)
        return
    assert isinstance(error, ch.CrimeHarmError), f"{name}: {type(error).__name__}: {error}"
    assert isinstance(error, builtin), f"{name}: {type(error).__mro__}"
    assert str(error), name  # a message, never empty


def test_deprecated_column_aliases_warn_and_agree() -> None:
    scores = _scores()
    ranking = scores.top(2)
    for table in (scores, ranking):
        for old, new in (("count", "n_events"), ("first", "first_date"), ("last", "last_date")):
            with pytest.warns(DeprecationWarning, match=f"{old} is deprecated"):
                value = getattr(table, old)
            assert np.array_equal(value, getattr(table, new))
    with pytest.warns(DeprecationWarning, match="Explanation.count is deprecated"):
        assert explain(_events(), SCHEME, 1, as_of=AS_OF).count == 2
