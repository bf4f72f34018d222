"""Kernels: the compiled kernel gives the numpy reference's integers, group for group."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm.kernels as kernels
from crimeharm.errors import ParameterError
from crimeharm.kernels import GroupTotals, get_kernel, threads
from crimeharm.kernels.reference import KERNEL as NUMPY

HAVE_NUMBA = kernels.compiled_available()
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="numba not installed (crimeharm[fast])")


def by_key(
    distinct: npt.NDArray[Any], totals: GroupTotals
) -> dict[Any, tuple[int, int, int, int, int]]:
    """Totals keyed by group key: label numbering is free, the integers are not."""
    rows = zip(
        distinct.tolist(),
        totals.harm.whole.tolist(),
        totals.harm.frac.tolist(),
        totals.count.tolist(),
        totals.min_age.tolist(),
        totals.max_age.tolist(),
        strict=True,
    )
    return {k: tuple(v) for k, *v in rows}  # type: ignore[misc]


def events(draw: st.DrawFn, keys: st.SearchStrategy[Any]) -> tuple[Any, Any, Any, Any]:
    n = draw(st.integers(0, 300))
    pool = draw(st.lists(keys, min_size=1, max_size=40, unique=True))
    idx = draw(st.lists(st.integers(0, len(pool) - 1), min_size=n, max_size=n))
    key = np.array([pool[i] for i in idx]) if n else np.array(pool[:0])
    value = np.array(
        draw(st.lists(st.floats(0, 6000, allow_nan=False), min_size=n, max_size=n)), dtype=float
    )
    age = np.array(draw(st.lists(st.integers(0, 3650), min_size=n, max_size=n)), dtype=np.int64)
    counted = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return key, value, age, counted


int_keys = st.integers(-(2**63), 2**63 - 1)
str_keys = st.one_of(
    st.from_regex(r"P-[0-9]{7}", fullmatch=True),  # packs into one uint64
    st.from_regex(r"[ -~]{8,24}", fullmatch=True),  # ASCII packed 9 characters at a time
    st.text(min_size=0, max_size=14),  # long or non-ASCII: hashed and verified
)


def check_group(kernel: Any, key: npt.NDArray[Any]) -> None:
    label, distinct = kernel.group(key)
    assert label.dtype == np.intp
    assert label.shape == key.shape
    assert np.array_equal(distinct[label], key)
    assert len(set(distinct.tolist())) == distinct.size == len(set(key.tolist()))
    assert distinct.dtype == key.dtype


def check_same(key: Any, value: Any, age: Any, counted: Any, kernel: Any) -> None:
    ref = NUMPY.aggregate(key, value, age, counted=counted)
    got = kernel.aggregate(key, value, age, counted=counted, with_label=True)
    assert by_key(got[0], got[1]) == by_key(ref[0], ref[1])
    assert got[2] is not None
    assert np.array_equal(got[0][got[2]], key)
    label, distinct = kernel.group(key)
    totals = kernel.totals(label, distinct.size, value, age)
    ref_totals = NUMPY.totals(label, distinct.size, value, age)
    assert by_key(distinct, totals) == by_key(distinct, ref_totals)
    # harm is a function of the integers alone: the same floats
    assert np.array_equal(totals.harm.to_float(), ref_totals.harm.to_float())


@given(st.data())
def test_numpy_aggregate_is_group_then_totals(data: st.DataObject) -> None:
    key, value, age, counted = events(data.draw, int_keys)
    check_group(NUMPY, key)
    distinct, totals, label = NUMPY.aggregate(key, value, age, counted=counted, with_label=True)
    assert label is not None
    keep = counted
    expected = NUMPY.totals(label[keep], distinct.size, value[keep], age[keep])
    assert by_key(distinct, totals) == by_key(distinct, expected)
    assert int(totals.count.sum()) == int(counted.sum())


@needs_numba
@settings(max_examples=60, deadline=None)
@given(st.data(), st.sampled_from([int_keys, str_keys]))
def test_compiled_equals_numpy_on_random_keys(
    data: st.DataObject, keys: st.SearchStrategy[Any]
) -> None:
    key, value, age, counted = events(data.draw, keys)
    kernel = get_kernel("numba")
    check_group(kernel, key)
    check_same(key, value, age, counted, kernel)


def big(n: int, groups: int, seed: int) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(-(2**62), 2**62, groups)
    key = ids[rng.integers(0, groups, n)]
    value = rng.random(n) * 5475.0 * 0.5 ** (rng.integers(0, 1826, n) / 365)
    return key, value, rng.integers(0, 1826, n).astype(np.int32)


@needs_numba
@pytest.mark.parametrize(
    ("n", "groups"), [(200_000, 1), (200_000, 200_000 * 4), (300_000, 20_000)], ids=str
)
def test_compiled_equals_numpy_on_large_inputs(n: int, groups: int) -> None:
    key, value, age = big(n, groups, n + groups)
    counted = np.arange(n) % 7 != 0
    check_same(key, value, age, counted, get_kernel("numba"))
    strings = np.char.add("P-", (np.abs(key) % 10_000_000).astype("U7"))
    check_same(strings, value, age, None, get_kernel("numba"))
    longer = np.char.add("VICTIM-", (np.abs(key) % 10**12).astype("U12"))  # 19 characters
    check_same(longer, value, age, counted, get_kernel("numba"))


@needs_numba
def test_many_threads_equal_one_thread() -> None:
    key, value, age = big(400_000, 30_000, 7)
    kernel = get_kernel("numba")
    results = [kernel.aggregate(key, value, age, threads=t) for t in (1, 2, 3, 8)]
    first = by_key(results[0][0], results[0][1])
    for distinct, totals, _ in results[1:]:
        assert by_key(distinct, totals) == first


@pytest.mark.parametrize("name", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_empty_input_and_one_group(name: str) -> None:
    kernel = get_kernel(name)
    none = np.array([], dtype=np.int64)
    distinct, totals, _ = kernel.aggregate(none, none.astype(float), none)
    assert distinct.size == 0
    assert totals.count.size == 0
    one = np.full(100_000, 5, dtype=np.int64)
    distinct, totals, _ = kernel.aggregate(one, np.full(one.size, 0.25), one)
    assert distinct.tolist() == [5]
    assert totals.count.tolist() == [one.size]
    assert totals.harm.to_float().tolist() == [0.25 * one.size]


def test_get_kernel_picks_numpy_for_small_or_unsized_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(kernels.KERNEL_ENV_VAR, raising=False)
    assert get_kernel().name == "numpy"
    assert get_kernel(rows=10).name == "numpy"
    expected = "numba" if HAVE_NUMBA else "numpy"
    assert get_kernel(rows=kernels.COMPILED_MIN_ROWS).name == expected
    if HAVE_NUMBA:  # loaded: its cost is paid, smaller inputs use it too
        assert get_kernel(rows=kernels.COMPILED_WARM_MIN_ROWS).name == "numba"
    monkeypatch.setenv(kernels.KERNEL_ENV_VAR, "numpy")
    assert get_kernel(rows=10**9).name == "numpy"
    with pytest.raises(ParameterError, match="unknown kernel 'nope'; available: numba, numpy"):
        get_kernel("nope")


def test_thread_count_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    assert threads.num_threads() == threads.available_cores()
    monkeypatch.setenv(threads.ENV_VAR, "3")
    assert threads.num_threads() == 3
    assert threads.num_threads(5) == 5
    with threads.thread_limit(2) as count:
        assert count == threads.num_threads() == 2
    assert threads.num_threads() == 3
    threads.set_num_threads(4)
    try:
        assert threads.num_threads() == 4
    finally:
        threads.set_num_threads(None)
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv(threads.ENV_VAR, bad)
        with pytest.raises(ParameterError, match="CRIMEHARM_NUM_THREADS must be a whole number"):
            threads.num_threads()
    for value in (0, True, 2.0):
        with pytest.raises(ParameterError, match="threads must be a whole number"):
            threads.num_threads(value)  # type: ignore[arg-type]


def test_the_cli_on_a_small_file_never_imports_numba(tmp_path: Any) -> None:
    path = tmp_path / "events.csv"
    path.write_text("offender_id,offence_code,date\n1,105/01,2023-01-01\n2,105/01,2022-06-01\n")
    code = (
        "import sys\n"
        "from crimeharm.cli import main\n"
        f"rc = main(['rank', {str(path)!r}, '--as-of', '2023-07-18', '--top', '2'])\n"
        "assert 'numba' not in sys.modules, 'numba was imported'\n"
        "sys.exit(rc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@needs_numba
@pytest.mark.parametrize("strings", [False, True], ids=["int ids", "string ids"])
def test_score_with_the_compiled_kernel_equals_numpy(
    monkeypatch: pytest.MonkeyPatch, strings: bool
) -> None:
    import crimeharm as ch
    from crimeharm.testing import assert_scores_equal

    rng = np.random.default_rng(11)
    n = 150_000
    ids = rng.integers(0, 2**40, n // 6)[rng.integers(0, n // 6, n)]
    events = ch.Events(
        offender_id=np.char.add("P-", (ids % 10**7).astype("U7")) if strings else ids,
        offence_code=rng.choice(np.array(["105/01", "008/01", "028/01", "XXX/XX"]), n),
        date=np.datetime64("2023-07-18") - rng.integers(-5, 2500, n).astype("timedelta64[D]"),
    )
    kw: dict[str, Any] = {
        "as_of": "2023-07-18",
        "window_days": 1826,
        "decay": ch.get_decay("exponential", half_life_days=365),
        "on_unknown": "fallback",
        "fallback_weight": 3.0,
    }
    monkeypatch.setenv(kernels.KERNEL_ENV_VAR, "numpy")
    reference = ch.score(events, "cchi-2020", **kw)
    monkeypatch.setenv(kernels.KERNEL_ENV_VAR, "numba")
    compiled = ch.score(events, "cchi-2020", **kw)
    assert_scores_equal(compiled, reference, rtol=0.0)
    assert compiled.report == reference.report


@given(
    st.lists(st.tuples(st.floats(0, 1e4), st.floats(0, 1e4), st.floats(0, 1)), max_size=80),
    st.integers(1, 10),
)
def test_top_candidates_hold_the_top_n_of_every_setting_in_between(
    rows: list[tuple[float, float, float]], n: int
) -> None:
    from crimeharm.kernels.bounds import top_candidates

    lower = np.array([min(a, b) for a, b, _ in rows])
    upper = np.array([max(a, b) for a, b, _ in rows])
    between = lower + np.array([t for *_, t in rows]) * (upper - lower)
    candidates = set(top_candidates(lower, upper, n).tolist())
    if between.size:
        nth = np.sort(between)[::-1][min(n, between.size) - 1]
        assert set(np.flatnonzero(between >= nth).tolist()) <= candidates


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(1, 6))
def test_sweep_candidates_give_every_settings_exact_top_n(data: st.DataObject, n: int) -> None:
    from crimeharm.kernels.bounds import _all_groups, sweep_candidates

    rows = data.draw(st.integers(0, 200))
    groups = data.draw(st.integers(1, 30))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    label = rng.integers(0, groups, rows).astype(np.intp)
    weight = rng.choice([0.0, 1.0, 19.0, 365.0, 5475.0], rows)
    age = rng.integers(-20, 400, rows).astype(np.int64)
    eligible = age >= 0
    tables = [
        np.append(0.5 ** (np.arange(length) / half_life), 0.0)
        for length in data.draw(st.lists(st.sampled_from([30, 200, 365]), min_size=1, max_size=12))
        for half_life in (data.draw(st.sampled_from([10.0, 100.0, 1000.0])),)
    ]
    fast = sweep_candidates(label, groups, weight, eligible, age, tables, n)
    full = _all_groups(label, groups, weight, eligible, age, tables)

    def top(found: tuple[Any, Any]) -> list[tuple[float, int]]:
        g, h = found
        return sorted(zip((-h).tolist(), g.tolist(), strict=True))[:n]

    for got, want in zip(fast, full, strict=True):
        assert top(got) == top(want)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_tracked_ranks_equal_ranking_every_group(data: st.DataObject) -> None:
    from crimeharm.kernels.bounds import TrackedRanks
    from crimeharm.kernels.summation import exact_group_sums

    rows = data.draw(st.integers(1, 300))
    size = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    label = np.concatenate([np.arange(size), rng.integers(0, size, rows)]).astype(np.intp)
    products = rng.choice([0.0, 0.5, 1.0, 2.0, 3.0, 0.1, 0.2, 0.3], label.size)  # many ties
    tracked = np.unique(rng.integers(0, size, data.draw(st.integers(1, size))))
    harm = exact_group_sums(label, products, size).to_float()
    order = np.argsort(-harm, kind="stable")
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(1, size + 1)
    counter = TrackedRanks(label, size, tracked)
    assert counter.ranks(products).tolist() == rank[tracked].tolist()
    times = rng.integers(0, 2, label.size)
    assert (
        counter.present(times).tolist() == (np.bincount(label, times, size)[tracked] > 0).tolist()
    )


def test_the_numba_kernel_without_numba_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from crimeharm.errors import MissingDependencyError

    monkeypatch.setattr(kernels, "compiled_available", lambda: False)
    with pytest.raises(MissingDependencyError, match=r"crimeharm\[fast\]"):
        get_kernel("numba")
    assert get_kernel(rows=10**9).name == "numpy"  # auto: numpy, silently


@given(
    st.one_of(
        st.lists(st.integers(-(2**63), 2**63 - 1), unique=True).map(
            lambda v: np.array(v, dtype=np.int64)
        ),
        st.lists(st.text(max_size=9), unique=True).map(lambda v: np.array(v, dtype=np.str_)),
        st.lists(st.text(alphabet="P-0123456789 az~", max_size=12), unique=True).map(
            lambda v: np.array(v, dtype=np.str_)
        ),
    )
)
def test_sort_distinct_is_the_stable_argsort(values: npt.NDArray[Any]) -> None:
    from crimeharm.kernels.hashing import sort_distinct

    values = np.unique(values)[
        np.random.default_rng(len(values)).permutation(np.unique(values).size)
    ]
    expected = np.argsort(values, kind="stable")
    np.testing.assert_array_equal(sort_distinct(values), expected)


@needs_numba
@pytest.mark.parametrize("categorical", [False, True], ids=["string codes", "categorical"])
@pytest.mark.parametrize("ids", ["int64", "strings", "long strings", "int32"])
def test_fused_scoring_equals_the_numpy_reference(
    monkeypatch: pytest.MonkeyPatch, categorical: bool, ids: str
) -> None:
    import crimeharm as ch
    from crimeharm.core import engine
    from crimeharm.core.parameters import ScoringOptions

    rng = np.random.default_rng(5)
    n = 120_000
    raw = rng.integers(0, 2**40, n // 5)[rng.integers(0, n // 5, n)]
    keys: npt.NDArray[Any] = {
        "int64": raw,
        "strings": np.char.add("P-", (raw % 10**7).astype("U7")),
        "long strings": np.char.add("offender-", (raw % 10**9).astype("U9")),
        "int32": (raw % 2**31).astype(np.int32),
    }[ids]
    table = np.array(["105/01", "008/01", "001/01", "004/03"])
    code = rng.integers(0, table.size, n)
    events = ch.Events(
        offender_id=keys,
        offence_code=code if categorical else table[code],
        categories=table if categorical else None,
        date=np.datetime64("2023-07-18") - rng.integers(0, 1826, n).astype("timedelta64[D]"),
    )
    kw: dict[str, Any] = {
        "as_of": "2023-07-18",
        "window_days": 1826,
        "decay": ch.get_decay("exponential", half_life_days=365),
    }
    monkeypatch.setenv(kernels.KERNEL_ENV_VAR, "numpy")
    reference = ch.score(events, "cchi-2020", **kw)
    monkeypatch.setenv(kernels.KERNEL_ENV_VAR, "numba")
    p = engine.plan(events, ScoringOptions.build("cchi-2020", **kw))
    assert engine.fused_sums(p) is not None  # every row counts: the fused pass runs
    compiled = ch.score(events, "cchi-2020", **kw)
    assert compiled == reference
    assert compiled.exact.whole.tobytes() == reference.exact.whole.tobytes()
    assert compiled.exact.frac.tobytes() == reference.exact.frac.tobytes()
    assert compiled.report == reference.report


@given(st.data())
def test_numpy_totals_do_not_depend_on_the_chunk_size(data: st.DataObject) -> None:
    import crimeharm.kernels.reference as reference
    from crimeharm.kernels import summation

    keys, value, age, _ = events(data.draw, st.integers(0, 20))
    label, distinct = NUMPY.group(keys)
    whole = NUMPY.totals(label, distinct.size, value, age)
    chunk = data.draw(st.integers(1, 7))
    saved = summation.CHUNK_ROWS
    try:
        summation.CHUNK_ROWS = chunk
        reference.CHUNK_ROWS = chunk
        parts = NUMPY.totals(label, distinct.size, value, age)
    finally:
        summation.CHUNK_ROWS = saved
        reference.CHUNK_ROWS = saved
    assert by_key(distinct, parts) == by_key(distinct, whole)
