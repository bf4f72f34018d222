"""Exact, order-independent per-group sums (crimeharm.kernels.summation)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from crimeharm.kernels.summation import (
    FRACTION_BITS,
    ExactSums,
    exact_group_sums,
    group_sums,
    split_exact,
    total,
)

# contributions as the scorer makes them: a weight in days times a decay factor. (Contrived
# floats spanning 60+ binary orders of magnitude could still round differently; see the module.)
WEIGHTS = (0.0, 0.1, 0.3, 1.0, 2.0, 10.0, 19.0, 126.0, 182.5, 547.5, 1825.0, 5475.0)
contribution = st.builds(
    lambda w, age, half_life: w * 0.5 ** (age / half_life),
    st.sampled_from(WEIGHTS),
    st.integers(0, 1825),
    st.sampled_from((182.5, 365.0, 730.0)),  # contributions >= 1e-4 days
)


@given(st.lists(contribution, min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_row_order_never_changes_the_sum(values: list[float], rnd: object) -> None:
    arr = np.array(values)
    shuffled = arr.copy()
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert total(arr) == total(shuffled)
    assert abs(total(arr) - math.fsum(values)) <= 1e-12 * max(math.fsum(values), 1e-300)


@given(st.lists(contribution, min_size=1, max_size=60))
def test_split_rounds_each_value_to_the_grid(values: list[float]) -> None:
    arr = np.array(values)
    whole, frac = split_exact(arr)
    assert np.all((frac >= 0) & (frac <= 2**FRACTION_BITS))
    for v, w, f in zip(values, whole.tolist(), frac.tolist(), strict=True):
        # exact rational arithmetic: the grid value is within half a grid step of v
        from fractions import Fraction

        assert abs(Fraction(w) + Fraction(f, 2**FRACTION_BITS) - Fraction(v)) <= Fraction(
            1, 2 ** (FRACTION_BITS + 1)
        )


@given(
    st.lists(st.tuples(st.integers(0, 3), contribution), min_size=1, max_size=80),
    st.integers(0, 80),
)
def test_sums_of_chunks_merge_bit_for_bit(rows: list[tuple[int, float]], cut: int) -> None:
    label = np.array([g for g, _ in rows], dtype=np.intp)
    values = np.array([v for _, v in rows])
    whole = exact_group_sums(label, values, 4)
    a = exact_group_sums(label[:cut], values[:cut], 4)
    b = exact_group_sums(label[cut:], values[cut:], 4)
    for merged in (a + b, b + a):
        assert np.array_equal(merged.whole, whole.whole)
        assert np.array_equal(merged.frac, whole.frac)
        assert np.array_equal(merged.to_float(), whole.to_float())


def test_canonical_form_carries_between_parts() -> None:
    one = ExactSums.from_whole_frac([0], [2**FRACTION_BITS + 5])
    assert one.whole.tolist() == [1]
    assert one.frac.tolist() == [5]
    parts = ExactSums.from_parts([0], [2**20], [2**21], [2**21])
    assert parts.whole.tolist() == [1]
    assert parts.frac.tolist() == [2**21 + 2**42]


@given(
    st.lists(st.tuples(st.integers(0, 4), contribution), min_size=1, max_size=80),
    st.randoms(use_true_random=False),
)
def test_group_sums_match_each_groups_total(rows: list[tuple[int, float]], rnd: object) -> None:
    rnd.shuffle(rows)  # type: ignore[attr-defined]
    label = np.array([g for g, _ in rows], dtype=np.intp)
    values = np.array([v for _, v in rows])
    sums = group_sums(label, values, 5)
    for g in range(5):
        assert sums[g] == total(values[label == g])


def test_the_classic_counterexample_ties() -> None:
    # (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1 in plain float64 addition
    assert (0.1 + 0.2) + 0.3 != (0.3 + 0.2) + 0.1
    assert total(np.array([0.1, 0.2, 0.3])) == total(np.array([0.3, 0.2, 0.1]))
