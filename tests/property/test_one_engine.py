"""One engine: every path that computes harm gives the same float64, bit for bit (``==``).

For drawn events, schemes, decays, windows and grouping keys: ``score``, ``top`` (its Ranking
equals ``score(...).top(n)``, report included), the streaming ``Scorer`` under any chunking and
any merge order, ``Scores.merge``, Dask, ``explain``'s sum of contributions and the sweep's
baseline all hold the very same harm, with no tolerance.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.core.engine import contributions, exact_total
from crimeharm.core.parameters import ScoringOptions
from crimeharm.research.explain import explain
from crimeharm.scale.streaming import merge_partials, partial_of
from crimeharm.testing import strategies as chst

AS_OF = chst.AS_OF


@st.composite
def problems(draw: st.DrawFn, *, max_rows: int = 160) -> dict[str, Any]:
    """Events, a scheme, scoring keywords and a grouping key."""
    scheme = draw(chst.schemes())
    events = draw(
        chst.events(scheme, max_rows=max_rows, categorical=None, victims=True, min_rows=1)
    )
    scoring = {
        "as_of": AS_OF,
        "window_days": draw(chst.window_days()),
        "decay": draw(chst.decays()),
        "by": draw(st.sampled_from(["offender_id", "offender_id", "victim_id"])),
    }
    return {"events": events, "scheme": scheme, "scoring": scoring}


def _cuts(draw: Any, n: int) -> list[tuple[int, int]]:
    """Cut ``range(n)`` into up to six chunks (some may be empty)."""
    points = sorted(set(draw(st.lists(st.integers(0, n), max_size=5))) | {0, n})
    return list(itertools.pairwise(points))


def _rows(events: ch.Events, a: int, b: int) -> ch.Events:
    return events.take(np.arange(a, b, dtype=np.intp))


@settings(max_examples=60, deadline=None)
@given(problem=problems(), data=st.data())
def test_every_path_gives_the_same_harm(problem: dict[str, Any], data: st.DataObject) -> None:
    events, scheme, scoring = problem["events"], problem["scheme"], problem["scoring"]
    scores = ch.score(events, scheme, **scoring)
    by = scoring["by"]
    assert scores.by == by
    assert scores.report.total == len(events)

    # top: the same rows, harm and report as score(...).top(n)
    n = data.draw(st.integers(0, 4), label="n")
    assert ch.top(events, scheme, n=n, **scoring) == scores.top(n)

    # Scorer: any chunking, chunks added in any order, partials merged in any order
    pieces = _cuts(data.draw, len(events))
    order = data.draw(st.permutations(range(len(pieces))), label="chunk order")
    scorer = ch.Scorer(scheme, **scoring)
    for i in order:
        scorer.add(_rows(events, *pieces[i]))
    assert scorer.result() == scores
    assert scorer.result().harm.tobytes() == scores.harm.tobytes()
    parts = [partial_of(_rows(events, a, b), scheme, **scoring) for a, b in pieces]
    shuffled = data.draw(st.permutations(parts), label="merge order")
    assert merge_partials(shuffled).to_scores() == scores
    left = ch.Scorer(scheme, **scoring)
    right = ch.Scorer(scheme, **scoring)
    for k, (a, b) in enumerate(pieces):
        (left if k % 2 else right).add(_rows(events, a, b))
    assert right.merge(left).result() == scores

    # the reason of every excluded row, row by row, adds up to the report
    contrib = contributions(events, ScoringOptions.build(scheme, **scoring))
    names = contrib.reason_names
    reasons = Counter(names[r] for r in contrib.reason[~contrib.counted].tolist())
    assert reasons == Counter(scores.report.excluded)
    assert int(contrib.counted.sum()) == scores.report.counted
    if len(scores) == 1:  # one group: every counted contribution is theirs
        assert exact_total(contrib.value) == scores.harm[0]

    # explain: the sum of an offender's (or victim's) contributions is their harm
    for key, harm in list(zip(scores.offender_id.tolist(), scores.harm.tolist(), strict=True))[:3]:
        assert explain(events, scheme, key, **scoring).harm == harm

    # the sweep's baseline is score()'s top n, harm for harm
    if len(scores):
        k = max(n, 1)
        swept = ch.sweep(events, scheme, n=k, half_lives=[90.0], **scoring)
        want = scores.top(k)
        assert swept.top_ids[0].tolist() == want.offender_id.tolist()
        assert swept.top_harm[0].tobytes() == want.harm.tobytes()


@settings(max_examples=40, deadline=None)
@given(problem=problems(), data=st.data())
def test_scores_merge_exactly(problem: dict[str, Any], data: st.DataObject) -> None:
    events, scheme, scoring = problem["events"], problem["scheme"], problem["scoring"]
    stripped = ch.Events(
        offender_id=events.offender_id,
        offence_code=events.code_strings(),
        date=events.date,
    )
    if scoring["by"] != "offender_id":
        scoring = {**scoring, "by": "offender_id"}
    cut = data.draw(st.integers(0, len(stripped)), label="cut")
    whole = ch.score(stripped, scheme, **scoring)
    a = ch.score(_rows(stripped, 0, cut), scheme, **scoring)
    b = ch.score(_rows(stripped, cut, len(stripped)), scheme, **scoring)
    assert b.merge(a) == whole
    assert a.merge(b).harm.tobytes() == whole.harm.tobytes()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # dask's own imports
@settings(max_examples=8, deadline=None)
@given(problem=problems(max_rows=60), partitions=st.integers(1, 4))
def test_dask_gives_the_same_harm(problem: dict[str, Any], partitions: int) -> None:
    dd = pytest.importorskip("dask.dataframe")
    import dask

    from crimeharm.dask import score_dask

    events, scheme, scoring = problem["events"], problem["scheme"], problem["scoring"]
    frame = events.to_pandas()
    frame["offence_code"] = frame["offence_code"].astype(str)
    scores = ch.score(events, scheme, **scoring)
    ddf = dd.from_pandas(frame, npartitions=partitions, sort=False)
    with dask.config.set(scheduler="synchronous"):
        got = score_dask(ddf, scheme, split_every=2, **scoring)
    # the frame reader may read string ids such as "7" back as integers: compare by str(key)
    assert dict(zip(got.key.astype(str).tolist(), got.harm.tolist(), strict=True)) == dict(
        zip(scores.key.astype(str).tolist(), scores.harm.tolist(), strict=True)
    )
    assert got.report == scores.report
