"""Tests of crimeharm.kernels.hashing: group_rows and StringIndex against np.unique and dicts.

Behaviour only (which rows share a group, which position a string has); hash values, slot
layout and table sizes are free to change.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimeharm.kernels import hashing as _hashing
from crimeharm.kernels.hashing import StringIndex, group_rows
from crimeharm.testing import strategies as chst

INT64 = np.iinfo(np.int64)
BIG = 5000  # more rows than the small-input cut-off, to take the hash path


def check_groups(values: npt.NDArray[Any]) -> None:
    """group_rows(values) partitions rows exactly as np.unique does."""
    g = group_rows(values)
    uniq, inverse = np.unique(values, return_inverse=True)
    label = np.asarray(g.label)
    used = np.asarray(g.used)
    first = np.asarray(g.first)
    assert label.shape == (values.size,)
    assert used.size == first.size == uniq.size
    assert np.unique(used).size == used.size
    if values.size:
        assert label.min() >= 0
        assert label.max() < g.size
        assert used.min() >= 0
        assert used.max() < g.size
    assert set(label.tolist()) == set(used.tolist())
    # rows share a label iff they share a value
    assert np.unique(label).size == uniq.size
    pairs = set(zip(label.tolist(), inverse.reshape(-1).tolist(), strict=True))
    assert len(pairs) == uniq.size
    # first[j] is a row carrying label used[j]; bincount over labels gives group sizes
    assert np.array_equal(label[first], used)
    sizes = np.bincount(label, minlength=g.size)[used]
    by_value = dict(zip(values[first].tolist(), sizes.tolist(), strict=True))
    counts = np.unique(values, return_counts=True)
    assert by_value == dict(zip(counts[0].tolist(), counts[1].tolist(), strict=True))


# -- group_rows --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        np.empty(0, dtype=np.int64),
        np.empty(0, dtype="<U4"),
        np.array([42], dtype=np.int64),
        np.array(["only"]),
        np.full(10, 7, dtype=np.int64),
        np.full(BIG, 7, dtype=np.int64),
        np.full(BIG, "same"),
        np.arange(BIG, dtype=np.int64),
        np.arange(BIG, dtype=np.int64)[::-1].copy(),
        np.arange(-BIG, 0, dtype=np.int64),
        np.array([INT64.min, INT64.max, -1, 0, 1] * 1000, dtype=np.int64),
        np.array([INT64.min + i for i in range(BIG)], dtype=np.int64),
        np.array([INT64.max - i for i in range(BIG)], dtype=np.int64),
        (np.arange(BIG, dtype=np.int64) << 40),  # strided keys: many equal low bits
        (np.arange(-BIG // 2, BIG // 2, dtype=np.int64) << 50),
        np.arange(BIG, dtype=np.int64) % 3,
        np.array([f"id{i}" for i in range(BIG)]),
        np.array([f"{i:x}" * (1 + i % 5) for i in range(BIG)]),  # widths 1 .. 20
        np.array(["a", "ab", "abc", "abcd", "é中", ""] * 1000),
        np.arange(BIG, dtype=np.uint32),
        np.arange(BIG, dtype=np.int32) - 2000,
    ],
    ids=lambda v: f"{v.dtype}-{v.size}",
)
def test_group_rows_edge_cases(values: npt.NDArray[Any]) -> None:
    check_groups(values)


@settings(max_examples=60)
@given(
    st.lists(chst.int_ids(), min_size=1, max_size=50, unique=True),
    st.integers(0, 3 * BIG),
    st.integers(0, 2**32 - 1),
)
def test_group_rows_random_ints(pool: list[int], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    check_groups(np.array(pool, dtype=np.int64)[rng.integers(0, len(pool), n)])


@settings(max_examples=40)
@given(
    st.lists(chst.str_ids(), min_size=1, max_size=50, unique=True),
    st.integers(0, 3 * BIG),
    st.integers(0, 2**32 - 1),
)
def test_group_rows_random_strings(pool: list[str], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    check_groups(np.array(pool, dtype=np.str_)[rng.integers(0, len(pool), n)])


def test_group_rows_many_distinct_values() -> None:
    rng = np.random.default_rng(3)
    check_groups(rng.integers(INT64.min, INT64.max, 200_000, dtype=np.int64))
    check_groups(rng.integers(0, 50_000, 200_000).astype(str))


def _weak_hash(values: npt.NDArray[np.str_]) -> npt.NDArray[np.uint64]:
    """A terrible hash: string length only. Every result must still be exact."""
    return np.char.str_len(np.asarray(values)).astype(np.uint64)


def test_group_rows_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_hashing, "string_hash", _weak_hash, raising=False)
    # non-ASCII and long strings: the kinds that cannot be packed exactly into 64 bits
    check_groups(np.array([f"é{i % 700:04d}" for i in range(BIG)]))
    check_groups(np.array(["aé", "éa", "éé", "ab"] * 2000))
    check_groups(np.array([f"long-offender-{i % 300:05d}" for i in range(BIG)]))


@pytest.mark.parametrize(
    "values",
    [
        np.array([5, 5, 7] * 2000, dtype=np.int64),
        np.array(["b", "a", "a"] * 2000),
        np.array(["é1", "é2", "é1"] * 2000),
    ],
)
def test_group_rows_first_is_the_first_row(values: npt.NDArray[Any]) -> None:
    g = group_rows(values)
    _, first = np.unique(values, return_index=True)
    assert sorted(np.asarray(g.first).tolist()) == sorted(first.tolist())


# -- StringIndex -------------------------------------------------------------------------------


def check_lookup(table: list[str], values: npt.NDArray[np.str_]) -> None:
    position = {c: i for i, c in enumerate(table)}
    idx = StringIndex(np.array(table, dtype=np.str_))
    got = np.asarray(idx.lookup(values))
    expected = [position.get(v, -1) for v in values.tolist()]
    assert got.tolist() == expected


CCHI_LIKE = ["001/01", "001/02", "105/01", "8Q.8.66.0A", "99.99.99.18", "A", "é"]


@pytest.mark.parametrize(
    "values",
    [
        np.empty(0, dtype="<U6"),
        np.array(["001/01"]),
        np.array(["001/01"] * BIG),
        np.array(["nope"] * 10),
        np.array(["001", "00", "001/0", "001/011", "001/01 "]),  # prefixes and extensions
        np.array(["A", "é", "AA", "a"]),  # width 2 < longest code: longer codes never match
        np.array(["8Q.8.66.0A", "8Q.8.66.0B", "99.99.99.18", "99.99.99.1"]),
        np.array(CCHI_LIKE * 700 + ["x" * 30]),  # wider than every code
        np.array([f"{i:03d}/{i % 100:02d}" for i in range(BIG)]),
    ],
    ids=lambda v: f"{v.dtype}-{v.size}",
)
def test_string_index_edge_cases(values: npt.NDArray[np.str_]) -> None:
    check_lookup(CCHI_LIKE, values)


def test_string_index_empty_table() -> None:
    check_lookup([], np.array(["a", "b"]))
    check_lookup([], np.empty(0, dtype="<U1"))


def test_string_index_reused_across_widths() -> None:
    idx = StringIndex(np.array(CCHI_LIKE))
    for width in (1, 3, 6, 11, 40):
        values = np.array([*CCHI_LIKE, "zz"], dtype=f"<U{width}")  # truncated to the width
        expected = [CCHI_LIKE.index(v) if v in CCHI_LIKE else -1 for v in values.tolist()]
        assert np.asarray(idx.lookup(values)).tolist() == expected


def test_string_index_big_table() -> None:
    table = [f"C{i:05d}" for i in range(20_000)]
    rng = np.random.default_rng(5)
    values = np.array(table, dtype=np.str_)[rng.integers(0, len(table), 50_000)]
    values[::7] = "C99999x"
    check_lookup(table, values)


@settings(max_examples=80)
@given(
    st.lists(
        st.text(st.sampled_from("01/.aé中Z"), min_size=1, max_size=9), unique=True, max_size=40
    ),
    st.lists(st.text(st.sampled_from("01/.aé中Z"), min_size=1, max_size=12), max_size=200),
)
def test_string_index_matches_dict(table: list[str], probes: list[str]) -> None:
    values = np.array(table + probes, dtype=np.str_) if table or probes else np.empty(0, "<U1")
    check_lookup(table, values)


def test_string_index_survives_hash_collisions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Probes that collide with a table code (same weak hash) must not match it."""
    monkeypatch.setattr(_hashing, "string_hash", _weak_hash, raising=False)
    table = ["é", "éb", "ébc", "ébcd", "0123456789"]  # distinct under the weak hash
    probes = ["éb", "bé", "bb", "cbé", "ébc", "b", "ébcd", "dcbé", "0123456789", "9876543210"]
    check_lookup(table, np.array(probes * 10))


COLLIDING_TABLE = """
import numpy as np
from crimeharm.kernels import hashing as _hashing
_hashing.string_hash = lambda v: np.char.str_len(np.asarray(v)).astype(np.uint64)
idx = _hashing.StringIndex(np.array(["aé", "éa"]))
assert idx.lookup(np.array(["éa", "aé", "éé"])).tolist() == [1, 0, -1]
"""


def test_string_index_table_with_colliding_hashes_works() -> None:
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-c", COLLIDING_TABLE], timeout=20, check=False, capture_output=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("StringIndex did not finish building a table with colliding hashes")
    assert done.returncode == 0
