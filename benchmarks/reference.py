"""Exact reference top-n for harm-v1 and the check every benchmark row must pass."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from benchmarks.harmv1 import AS_OF, HALF_LIFE_DAYS, TOP_N, WINDOW_DAYS, Array, Data

REL_TOL = 1e-9
_CANDIDATE_MARGIN = 1e-6  # offenders this close to the n-th harm get an exact (fsum) sum


class ReferenceMismatchError(AssertionError):
    """A benchmark row's top-n differs from the exact reference."""


@dataclass(frozen=True)
class Reference:
    """Exact top-n: ids and math.fsum harms in ranking order, plus every near-boundary candidate."""

    offender_id: Array  # int64 (n,)
    harm: Array  # float64 (n,), math.fsum of the per-event terms
    exact: dict[int, float]  # fsum harm of every offender within the candidate margin
    min_gap: float  # smallest relative gap between adjacent harms in the top n + 1


def event_terms(data: Data) -> tuple[Array, Array]:
    """Offender id and weight * decay of every counted event (0 <= age < window)."""
    age = (AS_OF - data.array("date")).astype(np.int64)
    keep = (age >= 0) & (age < WINDOW_DAYS)
    term = data.weights[data.array("code_idx")[keep]] * 0.5 ** (age[keep] / HALF_LIFE_DAYS)
    return data.array("offender_id")[keep], term


def reference_top(data: Data, n: int = TOP_N) -> Reference:
    """Rank by a float64 bincount, then re-sum the candidates exactly with math.fsum."""
    ids, term = event_terms(data)
    uid, inv = np.unique(ids, return_inverse=True)
    approx = np.bincount(inv, weights=term, minlength=uid.size)
    k = min(n + 1, uid.size)
    kth = np.partition(approx, uid.size - k)[uid.size - k]
    cand = np.flatnonzero(approx >= kth * (1.0 - _CANDIDATE_MARGIN))
    sel = np.isin(inv, cand)
    c_inv, c_term = inv[sel], term[sel]
    order = np.argsort(c_inv, kind="stable")
    c_inv, c_term = c_inv[order], c_term[order]
    starts = np.flatnonzero(np.r_[True, c_inv[1:] != c_inv[:-1]])
    bounds = np.r_[starts, c_inv.size]
    exact = {
        int(uid[c_inv[s]]): math.fsum(c_term[s:e].tolist()) for s, e in itertools.pairwise(bounds)
    }
    ranked = sorted(exact.items(), key=lambda kv: (-kv[1], kv[0]))
    top_k = np.array([h for _, h in ranked[:k]])
    gaps = (top_k[:-1] - top_k[1:]) / top_k[:-1]
    return Reference(
        offender_id=np.array([i for i, _ in ranked[:n]], dtype=np.int64),
        harm=top_k[:n],
        exact=exact,
        min_gap=float(gaps.min()) if gaps.size else math.inf,
    )


def check(label: str, ref: Reference, offender_id: Array, harm: Array) -> bool:
    """Raise ReferenceMismatchError unless the row's top-n equals the reference.

    Harm must match position by position within REL_TOL; an id may differ from the reference's
    only where the two offenders' exact harms are within REL_TOL (a near tie). Returns whether
    the ids matched exactly.
    """
    ids = np.asarray(offender_id).astype(np.int64, copy=False)
    h = np.asarray(harm, dtype=np.float64)
    n = ref.offender_id.size
    if ids.shape != (n,) or h.shape != (n,):
        msg = f"{label}: expected {n} rows, got ids {ids.shape} and harm {h.shape}"
        raise ReferenceMismatchError(msg)
    if np.unique(ids).size != n:
        msg = f"{label}: duplicate offender ids in the top {n}"
        raise ReferenceMismatchError(msg)
    problems = []
    for i in range(n):
        want_id, want_h = int(ref.offender_id[i]), float(ref.harm[i])
        got_id, got_h = int(ids[i]), float(h[i])
        if not math.isclose(got_h, want_h, rel_tol=REL_TOL, abs_tol=0.0):
            problems.append(f"rank {i + 1}: harm {got_h!r} != {want_h!r} (id {got_id})")
        elif got_id != want_id:
            got_exact = ref.exact.get(got_id)
            if got_exact is None or not math.isclose(got_exact, want_h, rel_tol=REL_TOL):
                problems.append(f"rank {i + 1}: id {got_id} != {want_id}")
    if problems:
        shown = "; ".join(problems[:5])
        msg = f"{label}: top {n} differs from the exact reference in {len(problems)} rows: {shown}"
        raise ReferenceMismatchError(msg)
    return bool(np.array_equal(ids, ref.offender_id))
