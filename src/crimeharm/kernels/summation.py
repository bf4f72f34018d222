"""Exact, order-independent sums of harm contributions: integer fixed point, 2**-62 days.

Plain float64 addition rounds differently for different orders and groupings, so the same
events scored whole, in chunks, merged in another order, or on another number of threads could
differ in the last bit, and tied offenders would stop being ordered by id. Here every
contribution ``v`` (finite, ``>= 0``) is rounded once, on its own, to a fixed grid:

    v  ->  whole = floor(v),  frac = rint((v - whole) * 2**62)      (0 <= frac <= 2**62)

and sums are sums of these integers, which are exact and associative. An offender's harm is
then a function of two integers alone (``ExactSums``), whatever the order of the rows, the
chunks, the threads or the merges: every path gives the same float, bit for bit.

Range: a weight (and so a contribution) is at most ``MAX_WEIGHT`` = 2**32 days (about 11.8
million years; schemes and fallback weights are validated against it), so a group's whole-day
total stays exact below 2**53 days for up to 2**21 rows at the largest weight (and for any
realistic data: the CCHI's largest weight is 5,475 days).

Accuracy: each contribution is off by at most 2**-63 days (about 1e-14 seconds of custody)
before the one final rounding to float64. Integer sums are exact up to 2**53 whole days per
group. The numpy reference below sums 21-bit pieces of ``frac`` with ``np.bincount`` (float64
weights, exact below 2**53: up to 2**32 rows per group); a compiled kernel may add int64s
directly, the totals are the same integers.
"""

from __future__ import annotations

from typing import cast

import attrs
import numpy as np
import numpy.typing as npt

__all__ = [
    "CHUNK_ROWS",
    "FRACTION_BITS",
    "MAX_WEIGHT",
    "WEIGHT_RULE",
    "ExactSums",
    "exact_group_sums",
    "group_sums",
    "split_exact",
    "total",
]

#: The largest weight a scheme (or fallback) may give, in days: 2**32 (see the module).
MAX_WEIGHT = float(2**32)
#: A valid weight, in words (for error messages).
WEIGHT_RULE = f"finite, >= 0 and <= {MAX_WEIGHT:,.0f} (2**32 days)"
#: Bits of the fractional part: contributions are rounded to multiples of 2**-62 days.
FRACTION_BITS = 62
_ONE = np.int64(1) << np.int64(FRACTION_BITS)
_PIECE = 21  # frac is summed as three pieces of at most 21 bits (exact in float64 bincounts)
_MASK = np.int64((1 << _PIECE) - 1)
_SCALE = float(2**FRACTION_BITS)
_ULP = 2.0**-FRACTION_BITS

Int64Array = npt.NDArray[np.int64]


def _i64(values: npt.ArrayLike) -> Int64Array:
    return np.asarray(values, dtype=np.int64)


@attrs.frozen(eq=False)
class ExactSums:
    """Per-group exact sums: ``whole + frac * 2**-62`` days, with ``0 <= frac < 2**62``.

    Canonical: equal totals have equal ``(whole, frac)``; ``a + b`` adds exactly.
    """

    whole: Int64Array
    frac: Int64Array

    @classmethod
    def zeros(cls, size: int) -> ExactSums:
        """``size`` groups with nothing summed."""
        return cls(np.zeros(size, dtype=np.int64), np.zeros(size, dtype=np.int64))

    @classmethod
    def from_parts(
        cls, whole: npt.ArrayLike, hi: npt.ArrayLike, mid: npt.ArrayLike, lo: npt.ArrayLike
    ) -> ExactSums:
        """Canonical sums from summed pieces: ``frac = hi * 2**42 + mid * 2**21 + lo``.

        Each piece may hold any non-negative integer below 2**62 (carries are propagated).
        """
        w, h, m, lo_ = _i64(whole).copy(), _i64(hi).copy(), _i64(mid).copy(), _i64(lo).copy()
        m += lo_ >> _PIECE
        lo_ &= _MASK
        h += m >> _PIECE
        m &= _MASK
        w += h >> np.int64(FRACTION_BITS - 2 * _PIECE)
        h &= np.int64((1 << (FRACTION_BITS - 2 * _PIECE)) - 1)
        frac = (h << np.int64(2 * _PIECE)) | (m << np.int64(_PIECE)) | lo_
        return cls(w, frac)

    @classmethod
    def from_whole_frac(cls, whole: npt.ArrayLike, frac: npt.ArrayLike) -> ExactSums:
        """Canonical sums from a whole part and a fraction sum below 2**63 (carries moved)."""
        w, f = _i64(whole).copy(), _i64(frac).copy()
        w += f >> np.int64(FRACTION_BITS)
        f &= _ONE - np.int64(1)
        return cls(w, f)

    def __add__(self, other: ExactSums) -> ExactSums:
        return ExactSums.from_whole_frac(self.whole + other.whole, self.frac + other.frac)

    def __len__(self) -> int:
        return int(self.whole.size)

    def take(self, index: npt.NDArray[np.integer] | npt.NDArray[np.bool_]) -> ExactSums:
        """The sums of the groups at ``index`` (any numpy index)."""
        return ExactSums(self.whole[index], self.frac[index])

    def to_float(self) -> npt.NDArray[np.float64]:
        """float64 harm per group: a function of ``(whole, frac)`` alone."""
        out: npt.NDArray[np.float64] = self.frac.astype(np.float64)
        out *= _ULP
        out += self.whole.astype(np.float64)
        return out


def split_exact(values: npt.NDArray[np.float64]) -> tuple[Int64Array, Int64Array]:
    """``(whole, frac)`` of each contribution: ``floor(v)`` and ``rint((v - floor(v)) * 2**62)``.

    ``values`` must be finite and ``>= 0`` (weights are validated non-negative, decays in [0, 1]).
    """
    values = np.asarray(values, dtype=np.float64)
    whole = np.floor(values)
    frac = np.subtract(values, whole)
    frac *= _SCALE  # exact: a power of two
    np.rint(frac, out=frac)
    return whole.astype(np.int64), frac.astype(np.int64)


#: Rows split and counted at a time: the temporaries stay near 100 MiB at any number of rows.
CHUNK_ROWS = 1 << 21


def exact_group_sums(
    label: npt.NDArray[np.integer], values: npt.NDArray[np.float64], size: int
) -> ExactSums:
    """Exact sums of ``values`` per label in ``range(size)`` (numpy reference; see module).

    The four integer pieces are counted with float64 ``bincount`` chunk by chunk; every partial
    and running sum is an integer below 2**53, so the chunking changes nothing.
    """
    label = np.asarray(label)
    values = np.asarray(values, dtype=np.float64)
    totals: list[npt.NDArray[np.float64]] = []
    for a in range(0, max(values.size, 1), CHUNK_ROWS):
        lab = label[a : a + CHUNK_ROWS]
        whole, frac = split_exact(values[a : a + CHUNK_ROWS])
        lo = frac & _MASK
        frac >>= np.int64(_PIECE)
        mid = frac & _MASK
        frac >>= np.int64(_PIECE)
        for k, piece in enumerate((whole, frac, mid, lo)):
            sums = np.bincount(lab, weights=piece, minlength=size)  # float64: exact below 2**53
            if a == 0:
                totals.append(cast("npt.NDArray[np.float64]", sums))
            else:
                totals[k] += sums
    return ExactSums.from_parts(*totals)


def total(values: npt.NDArray[np.float64]) -> float:
    """The sum of one group's contributions exactly as ``exact_group_sums`` computes it."""
    label = np.zeros(np.asarray(values).size, dtype=np.intp)
    return float(exact_group_sums(label, values, 1).to_float()[0])


def group_sums(
    label: npt.NDArray[np.integer], values: npt.NDArray[np.float64], size: int
) -> npt.NDArray[np.float64]:
    """float64 harm per label: ``exact_group_sums(...).to_float()``."""
    return exact_group_sums(label, values, size).to_float()
