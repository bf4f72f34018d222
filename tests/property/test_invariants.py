"""Invariants of scoring and ranking, run over every registered scheme and decay (hypothesis).

Each test is parametrized by scheme: every name in ``ch.list_schemes()`` (codes drawn from the
scheme) plus "random" (a small generated scheme with zero weights and ties); decays are drawn
from ``ch.list_decays()`` with sampled parameters. Floating-point harm is compared at the
contract's relative tolerance (1e-9); where a test needs bit-exact sums (ranking identical
under row permutation) it uses "exact" data: weights that are multiples of 1/4 and decay
factors that are powers of two, whose sums are exact in float64 in any order.
"""

from __future__ import annotations

import math
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.testing import assert_scores_equal, check_decay, reference_harm
from crimeharm.testing import strategies as chst

AS_OF = chst.AS_OF
SCHEMES = [*ch.list_schemes(), "random"]
EXAMPLES = settings(max_examples=15)


@attrs.frozen
class Case:
    """One drawn scoring problem."""

    scheme: ch.WeightScheme
    events: ch.Events
    decay: ch.Decay
    window: int | None

    def score(self, events: ch.Events | None = None, **kw: Any) -> ch.Scores:
        options: dict[str, Any] = {
            "as_of": AS_OF,
            "window_days": self.window,
            "decay": self.decay,
            **kw,
        }
        scheme = options.pop("scheme", self.scheme)
        return ch.score(self.events if events is None else events, scheme, **options)


def _dyadic(scheme: ch.WeightScheme) -> list[str]:
    return [c for c, w in scheme.to_dict().items() if (w * 4).is_integer()]


@st.composite
def cases(
    draw: st.DrawFn,
    scheme_name: str,
    *,
    exact: bool = False,
    id_kind: chst.IdKind = "either",
    categorical: bool | None = None,
    max_rows: int = 40,
) -> Case:
    if scheme_name == "random":
        scheme = draw(chst.schemes())
        if exact:
            scheme = scheme.with_weights({c: round(w * 4) / 4 for c, w in scheme.to_dict().items()})
    else:
        scheme = ch.get_scheme(scheme_name)
        if exact and not _dyadic(scheme):  # e.g. the ONS CSS: no weight is a multiple of 1/4
            scheme = scheme.with_weights({c: round(w * 4) / 4 for c, w in scheme.to_dict().items()})
    codes = _dyadic(scheme) if exact else None
    window = draw(chst.window_days())
    edges = [-1, 0, 1] + ([] if window is None else [window - 1, window, window + 1])
    ages = st.integers(-20, 2000) | st.sampled_from(edges)  # window and as_of boundaries
    ev = draw(
        chst.events(
            scheme,
            codes=codes,
            id_kind=id_kind,
            categorical=categorical,
            max_rows=max_rows,
            ages=ages,
        )
    )
    if exact:
        factors = st.sampled_from([0.5, 0.25, 0.125, 0.0])
        uppers = draw(st.lists(st.integers(1, 2000), min_size=1, max_size=3, unique=True))
        rest = sorted(draw(st.lists(factors, min_size=len(uppers) - 1, max_size=len(uppers) - 1)))
        bands = list(zip(sorted(uppers), [1.0, *rest[::-1]], strict=True))
        decay: ch.Decay = draw(st.sampled_from([ch.NoDecay(), ch.StepDecay(bands=bands)]))
    else:
        decay = draw(chst.decays())
    return Case(scheme, ev, decay, window)


def permuted(events: ch.Events, order: list[int]) -> ch.Events:
    return events.take(np.array(order, dtype=np.intp))


def as_dict(s: ch.Scores) -> dict[Any, tuple[float, int, Any, Any]]:
    return {
        oid: (h, c, f, la)
        for oid, h, c, f, la in zip(
            s.offender_id.tolist(),
            s.harm.tolist(),
            s.count.tolist(),
            s.first.tolist(),
            s.last.tolist(),
            strict=True,
        )
    }


def assert_ranking_order(r: ch.Ranking) -> None:
    """Harm descending; equal harm by offender id ascending; ranks 1..n."""
    assert r.rank.tolist() == list(range(1, len(r) + 1))
    for i in range(len(r) - 1):
        h0, h1 = r.harm[i], r.harm[i + 1]
        assert h0 > h1 or (h0 == h1 and r.offender_id[i] < r.offender_id[i + 1])


#: Each contribution is rounded to a multiple of 2**-62 days before exact summation
#: (crimeharm.kernels.summation): harm is within rows * 2**-63 days of the exact sum.
GRID_ERROR = 2.0**-63


def close(a: float, b: float, rtol: float = 1e-9, rows: int = 60) -> bool:
    return abs(a - b) <= max(rtol * max(abs(a), abs(b)), 2 * rows * GRID_ERROR)


scheme_param = pytest.mark.parametrize("scheme_name", SCHEMES)


# -- row order ---------------------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_row_order_changes_nothing(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    order = data.draw(st.permutations(range(len(case.events))))
    assert_scores_equal(case.score(), case.score(permuted(case.events, order)), rtol=1e-9)


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_row_order_changes_nothing_exactly_on_exact_data(
    scheme_name: str, data: st.DataObject
) -> None:
    case = data.draw(cases(scheme_name, exact=True))
    order = data.draw(st.permutations(range(len(case.events))))
    whole, shuffled = case.score(), case.score(permuted(case.events, order))
    assert whole == shuffled
    assert whole.ranking() == shuffled.ranking()
    n = data.draw(st.integers(0, 10))
    assert whole.top(n) == shuffled.top(n)
    fast = ch.top(
        permuted(case.events, order),
        case.scheme,
        n=n,
        as_of=AS_OF,
        window_days=case.window,
        decay=case.decay,
    )
    assert fast == whole.top(n)


# -- relabelling -------------------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_relabelling_ids_only_relabels(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    ids = case.events.offender_id
    distinct = sorted(set(ids.tolist()))
    fresh = chst.int_ids() if ids.dtype.kind == "i" else chst.str_ids()
    targets = data.draw(
        st.lists(fresh, min_size=len(distinct), max_size=len(distinct), unique=True)
    )
    mapping = dict(zip(distinct, targets, strict=True))
    kind = np.int64 if ids.dtype.kind == "i" else np.str_
    new_ids = np.array([mapping[i] for i in ids.tolist()], dtype=kind) if ids.size else ids
    relabelled = attrs.evolve(case.events, offender_id=new_ids)
    before, after = as_dict(case.score()), as_dict(case.score(relabelled))
    assert set(after) == {mapping[o] for o in before}
    for o, (harm, count, first, last) in before.items():
        h2, c2, f2, l2 = after[mapping[o]]
        assert (c2, f2, l2) == (count, first, last)
        assert close(h2, harm)
    assert_ranking_order(case.score(relabelled).ranking())


# -- chunks ------------------------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_scoring_chunks_and_merging_equals_the_whole(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    n = len(case.events)
    k = data.draw(st.integers(1, 4))
    part_of = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
    merged: dict[Any, list[Any]] = {}
    report: ch.Report | None = None
    for part in range(k):
        rows = np.array([i for i in range(n) if part_of[i] == part], dtype=np.intp)
        s = case.score(case.events.take(rows))
        report = s.report if report is None else report.merge(s.report)
        for oid, (harm, count, first, last) in as_dict(s).items():
            m = merged.setdefault(oid, [0.0, 0, first, last])
            m[0] += harm
            m[1] += count
            m[2] = min(m[2], first)
            m[3] = max(m[3], last)
    whole = case.score()
    assert report == whole.report
    expected = as_dict(whole)
    assert set(merged) == set(expected)
    for oid, (harm, count, first, last) in expected.items():
        mh, mc, mf, ml = merged[oid]
        assert (mc, mf, ml) == (count, first, last)
        assert close(mh, harm)


# -- weights -----------------------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_scaling_weights_scales_harm(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    c = data.draw(st.floats(1e-3, 1e3) | st.just(0.0))
    base, scaled = case.score(), case.score(scheme=case.scheme.scaled(c))
    assert base.report == scaled.report
    assert base.offender_id.tolist() == scaled.offender_id.tolist()
    assert base.count.tolist() == scaled.count.tolist()
    for h, hs, rows in zip(
        base.harm.tolist(), scaled.harm.tolist(), base.count.tolist(), strict=True
    ):
        # both harms carry their own grid error (rows * 2**-63 days): c scales one of them
        assert close(hs, c * h, rows=int(rows * (1 + c)) + 1) or (c == 0 and hs == 0)


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_scaling_by_a_power_of_two_keeps_the_ranking(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    c = 2.0 ** data.draw(st.integers(-8, 8))
    base, scaled = case.score(), case.score(scheme=case.scheme.scaled(c))
    for h, hs, rows in zip(
        base.harm.tolist(), scaled.harm.tolist(), base.count.tolist(), strict=True
    ):
        assert close(hs, c * h, rows=int(rows * (1 + c)) + 1)
    # contributions are rounded to a 2**-62-day grid, so only harms further apart than that
    # are certain to keep their order
    harms = np.sort(base.harm)
    if harms.size < 2 or np.min(np.diff(harms)) > 1e-12:
        assert scaled.ranking().offender_id.tolist() == base.ranking().offender_id.tolist()
        n = data.draw(st.integers(0, 10))
        assert scaled.top(n).offender_id.tolist() == base.top(n).offender_id.tolist()


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_raising_a_weight_never_lowers_harm(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    codes = sorted(set(case.events.code_strings().tolist())) or case.scheme.codes.tolist()[:1]
    code = data.draw(st.sampled_from(codes))
    extra = data.draw(st.floats(1e-6, 1e4))
    raised = case.scheme.with_weights({code: case.scheme.weight(code) + extra})
    before, after = as_dict(case.score()), as_dict(case.score(scheme=raised))
    assert set(before) == set(after)
    for oid, (harm, *rest) in before.items():
        assert after[oid][0] >= harm
        assert after[oid][1:] == tuple(rest)


# -- decays ------------------------------------------------------------------------------------


@pytest.mark.parametrize("decay_name", ch.list_decays())
@settings(max_examples=25)
@given(data=st.data())
def test_every_decay_meets_its_bounds(decay_name: str, data: st.DataObject) -> None:
    decay = ch.get_decay(decay_name, **data.draw(chst.decay_params(decay_name)))
    check_decay(decay, max_age=4000)
    ages = np.array(sorted(data.draw(st.lists(st.integers(0, 100_000), min_size=1))))
    f = np.asarray(decay.factor(ages))
    assert ((f >= 0) & (f <= 1)).all()
    assert (np.diff(f) <= 0).all()
    assert decay.factor(np.array([0]))[0] == 1.0


# -- ranking -----------------------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_ranking_orders_by_harm_then_id(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    s = case.score()
    r = s.ranking()
    assert_ranking_order(r)
    assert sorted(r.offender_id.tolist()) == s.offender_id.tolist()
    n = data.draw(st.integers(0, len(s) + 3))
    assert s.top(n) == r.head(n)
    ranks = s.ranks()
    assert ranks[np.searchsorted(s.offender_id, r.offender_id)].tolist() == r.rank.tolist()
    if len(s):
        assert s.rank_of(r.offender_id).tolist() == r.rank.tolist()
        pct = s.percentiles()
        assert ((pct > 0) & (pct <= 100)).all()
        assert pct[np.argmax(s.harm)] == 100.0


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_string_and_integer_ids_agree(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name, id_kind="int"))
    ids = case.events.offender_id
    low = int(ids.min()) if ids.size else 0
    # zero-padded decimal of (id - min) sorts like the integer ids
    as_text = np.array([f"{i - low:020d}" for i in ids.tolist()], dtype=np.str_)
    text_events = attrs.evolve(case.events, offender_id=as_text if ids.size else ids)
    a, b = case.score(), case.score(text_events)
    assert [f"{i - low:020d}" for i in a.offender_id.tolist()] == b.offender_id.tolist()
    assert a.harm.tolist() == b.harm.tolist()
    ra, rb = a.ranking(), b.ranking()
    assert [f"{i - low:020d}" for i in ra.offender_id.tolist()] == rb.offender_id.tolist()


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_categorical_and_string_codes_agree(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name, categorical=True))
    as_strings = attrs.evolve(case.events, offence_code=case.events.code_strings(), categories=None)
    assert case.score() == case.score(as_strings)


# -- top ---------------------------------------------------------------------------------------


@st.composite
def big_events(draw: st.DrawFn) -> tuple[ch.Events, ch.WeightScheme, int, Any, int | None]:
    """Up to 30k rows (enough for ch.top's bucket path), heavy ties, zero weights."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = draw(st.sampled_from([100, 2_000, 30_000]))
    offenders = draw(st.sampled_from([1, 3, 50, 1_000, 20_000]))
    weights = draw(st.sampled_from([[0.0], [0.0, 1.0], [0.0, 1.0, 2.0, 5475.0], [0.3, 2.5]]))
    scheme = ch.WeightScheme.from_mapping({f"c{i}": w for i, w in enumerate(weights)})
    ids: Any = rng.integers(-(2**62), 2**62, offenders)[rng.integers(0, offenders, rows)]
    if draw(st.booleans()):
        ids = np.char.add("p", ids.astype(str))
    ev = ch.Events(
        offender_id=ids,
        offence_code=rng.choice(scheme.codes, rows),
        date=AS_OF - rng.integers(-5, 1000, rows).astype("m8[D]"),
    )
    n = draw(st.integers(0, 60) | st.sampled_from([offenders, offenders + 5]))
    decay = draw(st.sampled_from([None, ch.StepDecay(bands=[(200, 1.0), (500, 0.5)])]))
    window = draw(st.sampled_from([None, 700]))
    return ev, scheme, n, decay, window


@settings(max_examples=20)
@given(big_events())
def test_top_equals_score_top(
    problem: tuple[ch.Events, ch.WeightScheme, int, Any, int | None],
) -> None:
    ev, scheme, n, decay, window = problem
    opts: dict[str, Any] = {"as_of": AS_OF, "window_days": window, "decay": decay}
    expected = ch.score(ev, scheme, **opts).top(n)
    got = ch.top(ev, scheme, n=n, **opts)
    assert got == expected
    assert_ranking_order(got)


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_top_equals_score_top_on_small_data(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    n = data.draw(st.integers(0, 12))
    got = ch.top(
        case.events, case.scheme, n=n, as_of=AS_OF, window_days=case.window, decay=case.decay
    )
    assert got == case.score().top(n)


# -- exactness and accounting ------------------------------------------------------------------


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_harm_matches_an_independent_fsum(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name, max_rows=60))
    s = case.score()
    ref = reference_harm(
        case.events, case.scheme, as_of=AS_OF, window_days=case.window, decay=case.decay
    )
    assert s.offender_id.tolist() == sorted(ref)
    for oid, (harm, count, first, last) in as_dict(s).items():
        want = ref[oid]
        assert close(harm, want[0], rows=count) or (harm == 0 and want[0] == 0)
        assert (count, np.datetime64(first, "D"), np.datetime64(last, "D")) == want[1:]


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_report_adds_up(scheme_name: str, data: st.DataObject) -> None:
    case = data.draw(cases(scheme_name))
    s = case.score()
    r = s.report
    ages = (AS_OF - case.events.date) // np.timedelta64(1, "D")
    future = int(np.count_nonzero(ages < 0))
    outside = 0 if case.window is None else int(np.count_nonzero(ages >= case.window))
    assert r.total == len(case.events) == r.counted + sum(r.excluded.values())
    assert r.counted == int(s.count.sum())
    assert r.excluded.get("dated after as_of", 0) == future
    assert r.excluded.get("outside window", 0) == outside
    assert r.counted == len(case.events) - future - outside
    assert math.isfinite(float(s.harm.sum()))


@scheme_param
@EXAMPLES
@given(data=st.data())
def test_unknown_code_policies(scheme_name: str, data: st.DataObject) -> None:
    """skip and fallback agree with the plain sum, across code kinds and in ch.top."""
    scheme = data.draw(chst.schemes()) if scheme_name == "random" else ch.get_scheme(scheme_name)
    unknown = ["UNKNOWN-1", "?"]
    pool = scheme.codes.tolist()[:20] + unknown
    ev = data.draw(chst.events(codes=pool, categorical=data.draw(st.booleans())))
    decay = data.draw(chst.decays())
    window = data.draw(chst.window_days())
    fallback = data.draw(st.sampled_from([0.0, 0.5, 365.0]))
    opts: dict[str, Any] = {"as_of": AS_OF, "window_days": window, "decay": decay}
    as_strings = attrs.evolve(ev, offence_code=ev.code_strings(), categories=None)
    codes = ev.code_strings()
    ages = (AS_OF - ev.date) // np.timedelta64(1, "D")
    live = (ages >= 0) & (ages < (window if window is not None else 10**9))
    live_unknown = int(np.count_nonzero(np.isin(codes, unknown) & live))

    skipped = ch.score(ev, scheme, on_unknown="skip", **opts)
    assert skipped == ch.score(as_strings, scheme, on_unknown="skip", **opts)
    assert skipped.report.excluded.get("unknown code", 0) == live_unknown
    found = {c: int(np.count_nonzero(codes == c)) for c in unknown if (codes == c).any()}
    assert dict(skipped.report.unknown_codes) == found
    ref = reference_harm(ev, scheme, skip_unknown=True, **opts)
    assert as_dict(skipped).keys() == ref.keys()
    for oid, (harm, count, *_) in as_dict(skipped).items():
        assert close(harm, ref[oid][0]) or harm == ref[oid][0] == 0
        assert count == ref[oid][1]

    fell = ch.score(ev, scheme, on_unknown="fallback", fallback_weight=fallback, **opts)
    extended = scheme.with_weights(dict.fromkeys(unknown, fallback))
    plain = ch.score(as_strings, extended, **opts)
    assert_scores_equal(fell, plain, rtol=1e-12, check_report=False, check_params=False)
    assert fell.report.fallback_rows == live_unknown
    if found:
        with pytest.raises(ch.UnknownCodeError):
            ch.score(ev, scheme, **opts)
    n = data.draw(st.integers(0, 8))
    assert ch.top(ev, scheme, n=n, on_unknown="skip", **opts) == skipped.top(n)
