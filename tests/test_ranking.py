"""Tests of ranking order, top-n, ranks and percentiles (through the public Scores API)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import crimeharm as ch

AS_OF = np.datetime64("2023-07-18", "D")
SCHEME = ch.WeightScheme.from_mapping({"a": 1.0, "b": 2.0, "c": 3.0, "z": 0.0})


def scores(rows: list[tuple[Any, str]]) -> ch.Scores:
    """Scores of (offender_id, code) events all dated as_of (no decay)."""
    ids = np.array([r[0] for r in rows], dtype=np.int64 if not rows else None)
    codes = np.array([r[1] for r in rows], dtype=np.str_)
    ev = ch.Events(offender_id=ids, offence_code=codes, date=[AS_OF] * len(rows))
    return ch.score(ev, SCHEME, as_of=AS_OF)


def test_harm_descending_then_id_ascending() -> None:
    s = scores([(5, "b"), (3, "a"), (3, "a"), (9, "c"), (1, "b"), (2, "z"), (7, "a")])
    # harms: 1 -> 2, 2 -> 0, 3 -> 2, 5 -> 2, 7 -> 1, 9 -> 3
    r = s.ranking()
    assert r.offender_id.tolist() == [9, 1, 3, 5, 7, 2]
    assert r.harm.tolist() == [3.0, 2.0, 2.0, 2.0, 1.0, 0.0]
    assert r.rank.tolist() == [1, 2, 3, 4, 5, 6]
    assert r.n_events.tolist() == [1, 1, 2, 1, 1, 1]
    assert s.offender_id.tolist() == [1, 2, 3, 5, 7, 9]
    assert s.ranks().tolist() == [2, 6, 3, 4, 5, 1]


def test_string_ids_tie_break_by_string_order() -> None:
    s = scores([("b", "a"), ("a", "a"), ("B", "a"), ("é", "a"), ("ab", "a"), ("top", "c")])
    assert s.ranking().offender_id.tolist() == ["top", "B", "a", "ab", "b", "é"]


def test_negative_and_extreme_ids_tie_break_numerically() -> None:
    big = np.iinfo(np.int64)
    s = scores([(int(big.max), "a"), (-1, "a"), (int(big.min), "a"), (0, "a"), (10, "a")])
    assert s.ranking().offender_id.tolist() == [int(big.min), -1, 0, 10, int(big.max)]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 6, 100])
def test_top_is_the_head_of_the_ranking(n: int) -> None:
    s = scores([(5, "b"), (3, "a"), (3, "a"), (9, "c"), (1, "b"), (2, "z"), (7, "a")])
    t = s.top(n)
    assert t == s.ranking().head(n)
    assert len(t) == min(n, 6)
    assert t.rank.tolist() == list(range(1, min(n, 6) + 1))


def test_top_cuts_inside_a_tie_by_id() -> None:
    s = scores([(30, "b"), (10, "b"), (20, "b"), (40, "c")])
    assert s.top(2).offender_id.tolist() == [40, 10]
    assert s.top(3).offender_id.tolist() == [40, 10, 20]


def test_all_zero_harm_ranks_by_id() -> None:
    s = scores([(3, "z"), (1, "z"), (2, "z")])
    assert s.ranking().offender_id.tolist() == [1, 2, 3]
    assert s.top(2).offender_id.tolist() == [1, 2]


def test_percentiles_share_ties() -> None:
    s = scores([(1, "a"), (2, "b"), (3, "b"), (4, "c")])
    # harms 1, 2, 2, 3: share of offenders with harm <= each
    assert s.percentiles().tolist() == [25.0, 75.0, 75.0, 100.0]
    assert scores([]).percentiles().tolist() == []


def test_rank_of_and_rows_of() -> None:
    s = scores([(5, "b"), (3, "a"), (9, "c")])
    assert s.rank_of([9, 5, 3]).tolist() == [1, 2, 3]
    assert s.rows_of([3, 9]).tolist() == [0, 2]
    with pytest.raises(KeyError, match="1 of the given offender ids"):
        s.rank_of([4])
    with pytest.raises(KeyError):
        scores([]).rows_of([1])


def test_bad_n() -> None:
    s = scores([(1, "a")])
    for n in (-1, 2.0, True, "3"):
        with pytest.raises(ch.ParameterError, match="n must"):
            s.top(n)  # type: ignore[arg-type]
    with pytest.raises(ch.ParameterError):
        s.ranking().head(-1)


def test_empty_scores_rank_to_nothing() -> None:
    s = scores([])
    assert len(s.ranking()) == 0
    assert len(s.top(10)) == 0
    assert s.ranks().tolist() == []


def test_records_and_pandas_follow_ranking_order() -> None:
    s = scores([(5, "b"), (9, "c")])
    records = s.top(2).to_records()
    assert [r["offender_id"] for r in records] == [9, 5]
    assert records[0] == {
        "rank": 1,
        "offender_id": 9,
        "harm": 3.0,
        "n_events": 1,
        "first_date": "2023-07-18",
        "last_date": "2023-07-18",
    }
    frame = s.ranking().to_pandas()
    assert frame["offender_id"].tolist() == [9, 5]
    assert list(frame.columns) == [
        "rank",
        "offender_id",
        "harm",
        "n_events",
        "first_date",
        "last_date",
    ]


def test_repr_mentions_size_and_parameters() -> None:
    s = scores([(5, "b"), (9, "c")])
    assert "2 offenders" in repr(s)
    assert "top 2" in repr(s.top(2))


TIE = ch.WeightScheme.from_mapping({"x": 0.1, "y": 0.2, "w": 0.3})


def test_mathematical_ties_rank_by_id_whatever_the_row_order() -> None:
    rows = [(1, "w"), (1, "y"), (1, "x"), (2, "x"), (2, "y"), (2, "w")]
    ev = ch.Events(
        offender_id=[r[0] for r in rows], offence_code=[r[1] for r in rows], date=[AS_OF] * 6
    )
    s = ch.score(ev, TIE, as_of=AS_OF)
    assert s.ranking().offender_id.tolist() == [1, 2]


def test_row_order_reversal_keeps_ranking_on_exact_sums() -> None:
    rows = [(1, "c"), (1, "b"), (1, "a"), (2, "a"), (2, "b"), (2, "c"), (3, "c"), (3, "c")]
    ev = ch.Events(
        offender_id=[r[0] for r in rows], offence_code=[r[1] for r in rows], date=[AS_OF] * 8
    )
    forward = ch.score(ev, SCHEME, as_of=AS_OF)
    backward = ch.score(ev.take(np.arange(len(rows))[::-1]), SCHEME, as_of=AS_OF)
    assert forward == backward
    assert forward.ranking().offender_id.tolist() == [1, 2, 3]


def test_rank_of_a_longer_string_id_is_not_found() -> None:
    s = scores([("ab", "a"), ("cd", "b")])
    with pytest.raises(KeyError):
        s.rank_of(["abc"])


def test_rank_of_a_fractional_id_is_not_found() -> None:
    s = scores([(1, "a"), (2, "b")])
    with pytest.raises((KeyError, ch.ParameterError)):
        s.rank_of([1.5])
