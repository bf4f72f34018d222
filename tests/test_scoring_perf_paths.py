"""Tests of the scorer's fast paths: chunked multi-threaded valuation, the bucket-bound top n,
packed string keys and hash grouping, each against a plain numpy implementation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.kernels import hashing as _hashing
from crimeharm.kernels.hashing import PARALLEL_MIN, StringIndex, group_sorted, pack_ascii
from crimeharm.testing import assert_scores_equal

AS_OF = np.datetime64("2023-07-18", "D")
CODES = np.array([f"{i:03d}/{j:02d}" for i in range(20) for j in range(10)])
WEIGHTS = np.geomspace(1.0, 5475.0, CODES.size)
WEIGHTS[::17] = 0.0
SCHEME = ch.WeightScheme.from_mapping(dict(zip(CODES.tolist(), WEIGHTS.tolist(), strict=True)))
DECAY = ch.ExponentialDecay(half_life_days=365)
N = PARALLEL_MIN + 40_000  # big enough for the threaded and bucket paths


def harmv1_like(
    n: int, seed: int, *, str_ids: bool = False, categorical: bool = False, spread: int = 2100
) -> ch.Events:
    """Heavy-tailed offenders (a few with hundreds of events), codes skewed to low weights."""
    rng = np.random.default_rng(seed)
    m = max(1, n // 8)
    ids = rng.integers(1, 2**62, m)
    owner = np.minimum((rng.pareto(1.2, n) * m / 50).astype(np.int64), m - 1)
    idx = rng.integers(0, CODES.size, n)
    dates = AS_OF - rng.integers(-15, spread, n).astype("m8[D]")
    oid: npt.NDArray[Any] = ids[owner]
    if str_ids:
        oid = np.char.add("S", oid.astype(str))
    if categorical:
        return ch.Events(offender_id=oid, offence_code=idx, categories=CODES, date=dates)
    return ch.Events(offender_id=oid, offence_code=CODES[idx], date=dates)


def numpy_scores(events: ch.Events, window: int | None) -> dict[str, Any]:
    """Independent implementation: np.unique grouping, weights by dict, decay by np.power."""
    age = (AS_OF - events.date).astype(np.int64)
    keep = (age >= 0) if window is None else (age >= 0) & (age < window)
    lookup = dict(zip(CODES.tolist(), WEIGHTS.tolist(), strict=True))
    codes = events.code_strings()[keep]
    uniq_codes, inv_codes = np.unique(codes, return_inverse=True)
    weight = np.array([lookup[c] for c in uniq_codes.tolist()])[inv_codes]
    value = weight * np.power(0.5, age[keep].astype(np.float64) / 365.0)
    ids, label = np.unique(events.offender_id[keep], return_inverse=True)
    dates = events.date[keep]
    first = np.full(ids.size, np.datetime64("9999-12-31"), dtype="datetime64[D]")
    last = np.full(ids.size, np.datetime64("0001-01-01"), dtype="datetime64[D]")
    np.minimum.at(first, label, dates)
    np.maximum.at(last, label, dates)
    return {
        "offender_id": ids,
        "harm": np.bincount(label, weights=value, minlength=ids.size),
        "n_events": np.bincount(label, minlength=ids.size),
        "first_date": first,
        "last_date": last,
    }


@pytest.mark.parametrize(
    ("str_ids", "categorical", "window"),
    [(False, False, 1826), (False, True, 1826), (True, False, 1826), (False, True, None)],
)
def test_threaded_score_matches_numpy(str_ids: bool, categorical: bool, window: Any) -> None:
    ev = harmv1_like(N, 1, str_ids=str_ids, categorical=categorical)
    got = ch.score(ev, SCHEME, as_of=AS_OF, window_days=window, decay=DECAY)
    want = numpy_scores(ev, window)
    for name in ("offender_id", "n_events", "first_date", "last_date"):
        assert np.array_equal(getattr(got, name), want[name]), name
    # np.power and the decay table may differ in the last place: compare with a tolerance
    assert np.allclose(got.harm, want["harm"], rtol=1e-12, atol=0)
    rows = AS_OF - ev.date >= np.timedelta64(0, "D")
    if window is not None:
        rows &= AS_OF - ev.date < np.timedelta64(window, "D")
    assert got.report.counted == int(np.count_nonzero(rows))


def test_top_equals_score_top_on_heavy_tailed_data(monkeypatch: pytest.MonkeyPatch) -> None:
    from crimeharm.core import scoring

    for str_ids, categorical in ((False, False), (False, True), (True, False)):
        ev = harmv1_like(N, 2, str_ids=str_ids, categorical=categorical)
        kw: dict[str, Any] = {"as_of": AS_OF, "window_days": 1826, "decay": DECAY}
        scores = ch.score(ev, SCHEME, **kw)
        with monkeypatch.context() as patch:  # the bucket path must not fall back to scoring all
            patch.setattr(scoring, "_score_plan", lambda plan: pytest.fail("fell back"))
            for n in (1, 37, 100, 1000):
                assert ch.top(ev, SCHEME, n=n, **kw) == scores.top(n)  # bit-identical harm


def test_top_with_out_of_window_rows_and_unknown_codes() -> None:
    ev = harmv1_like(N, 3, spread=4000)
    codes = ev.offence_code.astype("<U7")
    codes[::101] = "XXX/XX"
    ev = ch.Events(offender_id=ev.offender_id, offence_code=codes, date=ev.date)
    for policy, extra in (("skip", {}), ("fallback", {"fallback_weight": 30.0})):
        kw: dict[str, Any] = {"as_of": AS_OF, "window_days": 1826, "decay": DECAY}
        kw.update(on_unknown=policy, **extra)
        scores = ch.score(ev, SCHEME, **kw)
        assert ch.top(ev, SCHEME, n=50, **kw) == scores.top(50)
        assert scores.report.unknown_codes == {"XXX/XX": int(codes[::101].size)}
    with pytest.raises(ch.UnknownCodeError, match="XXX/XX"):
        ch.top(ev, SCHEME, n=5, as_of=AS_OF, window_days=1826)


def test_one_worker_and_many_workers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    ev = harmv1_like(N, 4)
    kw: dict[str, Any] = {"as_of": AS_OF, "window_days": 1826, "decay": DECAY}
    threaded = ch.score(ev, SCHEME, **kw)
    monkeypatch.setenv("CRIMEHARM_NUM_THREADS", "1")
    single = ch.score(ev, SCHEME, **kw)
    assert_scores_equal(threaded, single, rtol=0.0)


def test_harm_within_1e9_of_fsum_for_the_heaviest_offender() -> None:
    ev = harmv1_like(N, 5)
    scores = ch.score(ev, SCHEME, as_of=AS_OF, window_days=1826, decay=DECAY)
    heaviest = scores.top(1).offender_id[0]
    rows = np.flatnonzero(ev.offender_id == heaviest)
    age = (AS_OF - ev.date[rows]).astype(np.int64)
    ok = (age >= 0) & (age < 1826)
    terms = [
        SCHEME.weight(str(c)) * 0.5 ** (a / 365)
        for c, a in zip(ev.offence_code[rows][ok], age[ok], strict=True)
    ]
    exact = math.fsum(terms)
    assert abs(scores.top(1).harm[0] - exact) <= 1e-9 * exact


@settings(max_examples=80)
@given(st.lists(st.text(st.characters(max_codepoint=127), max_size=9), min_size=1, max_size=60))
def test_packed_ascii_keys_are_injective(words: list[str]) -> None:
    values = np.array(words, dtype=np.str_)
    keys = pack_ascii(values)
    assert keys is not None
    # equal keys exactly when equal strings
    pairs = set(zip(values.tolist(), keys.tolist(), strict=True))
    assert len(pairs) == len(set(values.tolist())) == len(set(keys.tolist()))


def test_pack_ascii_refuses_wide_or_non_ascii() -> None:
    assert pack_ascii(np.array(["0123456789"])) is None
    assert pack_ascii(np.array(["abc", "é"])) is None
    assert pack_ascii(np.array([1, 2])) is None


@settings(max_examples=60)
@given(
    st.lists(st.text("01/.aZé", min_size=1, max_size=11), min_size=1, max_size=30, unique=True),
    st.lists(st.text("01/.aZé", max_size=11), max_size=80),
)
def test_string_index_with_scratch_matches_dict(table: list[str], probes: list[str]) -> None:
    index = StringIndex(np.array(table))
    values = np.array(probes + table, dtype=np.str_)
    want = [{c: i for i, c in enumerate(table)}.get(v, -1) for v in values.tolist()]
    assert index.lookup(values).tolist() == want
    scratch = _hashing.Scratch()
    assert index.lookup(values, scratch).tolist() == want
    assert index.lookup(values[::-1], scratch).tolist() == want[::-1]  # scratch reused


@pytest.mark.parametrize(
    "values",
    [
        np.random.default_rng(0).integers(-(2**63), 2**63 - 1, 50_000, dtype=np.int64),  # distinct
        np.random.default_rng(1).integers(0, 30, 50_000),  # few groups
        np.concatenate([np.full(10_000, -1), np.arange(10_000)]),  # -1 is the empty marker
        np.char.add("id", np.random.default_rng(2).integers(0, 9000, 20_000).astype(str)),
        np.char.add("longer-ids-", np.random.default_rng(3).integers(0, 900, 9_000).astype(str)),
    ],
    ids=["distinct", "few", "minus-one", "short-str", "long-str"],
)
def test_group_sorted_matches_unique(values: npt.NDArray[Any]) -> None:
    label, distinct = group_sorted(values)
    want, inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(distinct, want)
    assert np.array_equal(label, inverse.reshape(-1))
