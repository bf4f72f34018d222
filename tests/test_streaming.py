"""Tests of crimeharm.scale.streaming: chunked scoring and merging equal scoring all at once."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.scale.streaming import Partial, Scorer, merge_partials, partial_of, score_file
from crimeharm.testing import assert_scores_equal
from crimeharm.testing import strategies as chst

AS_OF = np.datetime64("2023-07-18", "D")
SCHEME = ch.WeightScheme.from_mapping(
    {"a": 1.0, "b": 2.5, "c": 0.0, "d": 5475.0, "e": 84.0}, name="toy", unit="days"
)
DECAY = ch.ExponentialDecay(half_life_days=365)
KW: dict[str, Any] = {"as_of": AS_OF, "window_days": 1826, "decay": DECAY}


def random_events(n: int, seed: int, *, victims: bool = False, str_ids: bool = False) -> ch.Events:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, max(1, n // 5), n)
    return ch.Events(
        offender_id=np.char.add("p", ids.astype(str)) if str_ids else ids,
        offence_code=rng.choice(SCHEME.codes, n),
        date=AS_OF - rng.integers(-30, 2100, n).astype("m8[D]"),
        victim_id=rng.integers(0, 7, n) if victims else None,
    )


def chunked(events: ch.Events, cuts: list[int]) -> list[ch.Events]:
    bounds = [0, *sorted({min(c, len(events)) for c in cuts}), len(events)]
    return [events.take(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]


@settings(max_examples=60)
@given(
    events=chst.events(SCHEME, max_rows=60, categorical=None, victims=True),
    cuts=st.lists(st.integers(0, 60), max_size=5),
    window=chst.window_days(),
)
def test_any_chunking_equals_the_whole(events: ch.Events, cuts: list[int], window: Any) -> None:
    kw = {"as_of": AS_OF, "window_days": window, "decay": DECAY}
    whole = ch.score(events, SCHEME, **kw)
    scorer = Scorer(SCHEME, **kw).add_many(chunked(events, cuts))
    assert_scores_equal(scorer.result(), whole, rtol=1e-9)
    assert scorer.top(3) == whole.top(3) or np.allclose(scorer.top(3).harm, whole.top(3).harm)


@settings(max_examples=30)
@given(
    events=chst.events(SCHEME, max_rows=50, categorical=None),
    cut=st.integers(0, 50),
)
def test_scores_merge_equals_the_whole(events: ch.Events, cut: int) -> None:
    left, right = chunked(events, [cut])
    a, b = ch.score(left, SCHEME, **KW), ch.score(right, SCHEME, **KW)
    assert_scores_equal(a.merge(b), ch.score(events, SCHEME, **KW), rtol=1e-9)


def test_scorers_merge_with_victims_counts_distinct_pairs() -> None:
    # offender 1 hits victim 9 in both halves: one victim, not two
    ev = ch.Events(
        offender_id=[1, 1, 1, 2],
        offence_code=["a", "b", "a", "a"],
        date=[AS_OF] * 4,
        victim_id=[9, 8, 9, 9],
    )
    left, right = chunked(ev, [2])
    merged = Scorer(SCHEME, **KW).add(left).merge(Scorer(SCHEME, **KW).add(right)).result()
    assert merged.victims is not None
    assert merged.victims.tolist() == [2, 1]
    assert_scores_equal(merged, ch.score(ev, SCHEME, **KW))
    with pytest.raises(ch.ParameterError, match="victim"):
        ch.score(left, SCHEME, **KW).merge(ch.score(right, SCHEME, **KW))


def test_chunk_sums_agree_with_fsum_on_many_chunks() -> None:
    ev = random_events(20_000, 3)
    scorer = Scorer(SCHEME, **KW).add_many(chunked(ev, list(range(0, 20_000, 700))))
    got = scorer.result()
    whole = ch.score(ev, SCHEME, **KW)
    assert_scores_equal(got, whole, rtol=1e-9)
    assert got.report == whole.report
    # harm adds in another order: equal within rounding, not necessarily bit for bit
    assert np.max(np.abs(got.harm - whole.harm) / np.maximum(whole.harm, 1e-300)) < 1e-12


def test_memory_holds_offenders_not_events() -> None:
    ev = random_events(5_000, 4, victims=True)
    scorer = Scorer(SCHEME, **KW)
    for _ in range(6):  # the same events six times over: offenders and pairs do not grow
        scorer.add(ev)
    part = scorer.partial()
    whole = ch.score(ev, SCHEME, **KW)
    assert part.offender_id.size == len(whole)
    assert whole.victims is not None
    assert part.pair_offender is not None
    assert part.pair_offender.size == int(whole.victims.sum())
    assert part.report.total == 6 * len(ev)
    assert np.allclose(part.harm, 6 * whole.harm, rtol=1e-12)
    assert np.array_equal(part.n_events, 6 * whole.n_events)


def test_string_ids_and_unknown_codes_skip() -> None:
    ev = random_events(3_000, 5, str_ids=True)
    codes = ev.offence_code.astype("<U2")
    codes[::97] = "zz"  # not in the scheme
    ev = ch.Events(offender_id=ev.offender_id, offence_code=codes, date=ev.date)
    kw = {**KW, "on_unknown": "skip"}
    whole = ch.score(ev, SCHEME, **kw)
    got = Scorer(SCHEME, **kw).add_many(chunked(ev, [500, 1200, 2999])).result()
    assert_scores_equal(got, whole)
    assert got.report.unknown_codes == {"zz": codes[::97].size}


def test_unknown_code_raises_in_the_chunk_that_has_it() -> None:
    ev = ch.Events(offender_id=[1, 2], offence_code=["a", "zz"], date=[AS_OF, AS_OF])
    scorer = Scorer(SCHEME, **KW)
    scorer.add(ev.take([0]))
    with pytest.raises(ch.UnknownCodeError, match="zz"):
        scorer.add(ev.take([1]))


def test_empty_scorer_and_empty_chunks() -> None:
    scorer = Scorer(SCHEME, **KW)
    assert len(scorer.result()) == 0
    assert scorer.result().report.total == 0
    ev = random_events(100, 6)
    scorer.add(ev.take(np.arange(0)))
    scorer.add(ev)
    assert_scores_equal(scorer.result(), ch.score(ev, SCHEME, **KW))


def test_merging_different_parameters_is_an_error() -> None:
    ev = random_events(100, 7)
    a = Scorer(SCHEME, **KW).add(ev)
    b = Scorer(SCHEME, as_of=AS_OF, window_days=365, decay=DECAY).add(ev)
    with pytest.raises(ch.ParameterError, match="different parameters"):
        a.merge(b)
    with pytest.raises(ch.ParameterError, match="different parameters"):
        merge_partials([a.partial(), b.partial()])
    with pytest.raises(ch.ParameterError):
        Scorer(SCHEME, as_of="not a date")
    with pytest.raises(ch.ParameterError, match="takes"):
        a.add([1, 2, 3])


def test_partial_of_and_merge_order_is_commutative_up_to_rounding() -> None:
    ev = random_events(4_000, 8)
    parts = [partial_of(e, SCHEME, **KW) for e in chunked(ev, [1000, 2500])]
    forward = merge_partials(parts).to_scores()
    backward = merge_partials(parts[::-1]).to_scores()
    assert isinstance(parts[0], Partial)
    assert_scores_equal(forward, backward, rtol=1e-12, check_report=True)


def test_add_arrow_tables_and_batches() -> None:
    pa = pytest.importorskip("pyarrow")
    ev = random_events(1_000, 9)
    table = pa.table(
        {
            "offender_id": ev.offender_id,
            "offence_code": ev.offence_code.astype(object),
            "date": ev.date,
        }
    )
    scorer = Scorer(SCHEME, **KW)
    scorer.add(table.slice(0, 400))
    for batch in table.slice(400).to_batches(max_chunksize=250):
        scorer.add(batch)
    assert_scores_equal(scorer.result(), ch.score(ev, SCHEME, **KW))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_file_equals_score_of_the_whole_file(tmp_path: Path, suffix: str) -> None:
    pa = pytest.importorskip("pyarrow")
    ev = random_events(3_000, 10)
    table = pa.table(
        {
            "offender_id": ev.offender_id,
            "offence_code": ev.offence_code.astype(object),
            "date": ev.date,
        }
    )
    path = tmp_path / f"events{suffix}"
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, path)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, path)
    got = score_file(path, SCHEME, chunk_rows=700, **KW)
    assert_scores_equal(got, ch.score(ev, SCHEME, **KW))
    via_scorer = Scorer(SCHEME, **KW).add_file(path, chunk_rows=1_000).result()
    assert_scores_equal(via_scorer, got)


def test_prefetch_passes_reader_errors_through_and_stops_early() -> None:
    ev = random_events(1_000, 11)
    parts = chunked(ev, [200, 400, 600])

    def failing() -> Any:
        yield from parts[:2]
        raise ch.EventsError("bad line 401", row=401)

    scorer = Scorer(SCHEME, **KW)
    with pytest.raises(ch.EventsError, match="bad line 401"):
        scorer.add_many(failing(), prefetch=2)
    consumed: list[int] = []

    def counting() -> Any:
        for i in range(1_000):
            consumed.append(i)
            yield parts[0] if i != 3 else "not events"

    with pytest.raises(ch.ParameterError):
        Scorer(SCHEME, **KW).add_many(counting(), prefetch=1)
    assert len(consumed) < 10  # the reader thread stopped with the consumer
    for depth in (0, 1, 3):
        got = Scorer(SCHEME, **KW).add_many(parts, prefetch=depth).result()
        assert_scores_equal(got, ch.score(ev, SCHEME, **KW))
    with pytest.raises(ch.ParameterError, match="prefetch"):
        Scorer(SCHEME, **KW).add_many(parts, prefetch=-1)


def test_partials_handed_out_are_not_changed_by_later_chunks() -> None:
    ev = random_events(6_000, 12)
    parts = chunked(ev, [2000, 4000])
    scorer = Scorer(SCHEME, **KW).add(parts[0])
    early = scorer.partial()
    snapshot = (
        early.harm.copy(),
        early.n_events.copy(),
        early.first_date.copy(),
        early.last_date.copy(),
    )
    scorer.add(parts[1])
    middle = scorer.result()
    scorer.add(parts[2])
    assert np.array_equal(early.harm, snapshot[0])
    assert np.array_equal(early.n_events, snapshot[1])
    assert np.array_equal(early.first_date, snapshot[2])
    assert np.array_equal(early.last_date, snapshot[3])
    assert_scores_equal(middle, ch.score(ch.Events.concat(parts[:2]), SCHEME, **KW))
    assert_scores_equal(scorer.result(), ch.score(ev, SCHEME, **KW))


def test_new_offenders_fold_into_the_state(monkeypatch: pytest.MonkeyPatch) -> None:
    # every chunk brings new offenders; a tiny fold threshold folds them in again and again
    import crimeharm.scale.streaming as streaming

    monkeypatch.setattr(streaming, "_FRESH_MIN", 1)
    ev = random_events(8_000, 13)
    order = np.argsort(ev.offender_id, kind="stable")  # offenders arrive in id order
    sorted_ev = ev.take(order)
    got = Scorer(SCHEME, **KW).add_many(chunked(sorted_ev, list(range(0, 8_000, 500)))).result()
    assert_scores_equal(got, ch.score(ev, SCHEME, **KW))
