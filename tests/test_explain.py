"""explain(): per-event contributions that add up to the scorer's harm, bit for bit."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.core.results import AFTER_AS_OF, OUTSIDE_WINDOW, UNKNOWN_CODE
from crimeharm.errors import DataError, ParameterError
from crimeharm.research.explain import explain, explain_scores, sequential_sum

SCHEME = ch.WeightScheme.from_offences(
    [
        ch.OffenceType("A", 0.1, title="Alpha", group="G1"),
        ch.OffenceType("B", 7.3, title="Beta", group="G1"),
        ch.OffenceType("C", 365.0, title="Gamma", group="G2"),
        ch.OffenceType("D", 1e-3, title="Delta", group="G2"),
        ch.OffenceType("E", 5475.0, title="Epsilon", group="G3"),
    ],
    name="toy",
    unit="days",
)
AS_OF = "2023-07-18"


def _events(seed: int, n: int, *, strings: bool = False, unknown: bool = False) -> ch.Events:
    rng = np.random.default_rng(seed)
    codes = rng.choice(list("ABCDE") + (["Z"] if unknown else []), n)
    ids = rng.integers(0, max(n // 6, 1), n)
    return ch.Events(
        offender_id=ids.astype(str) if strings else ids,
        offence_code=codes,
        date=np.datetime64("2016-01-01") + rng.integers(0, 3000, n),
    )


DECAYS = [
    None,
    ch.ExponentialDecay(half_life_days=365),
    ch.LinearDecay(horizon_days=1500),
    ch.StepDecay(bands=[(365, 1.0), (730, 0.5), (1826, 0.25)]),
]


@pytest.mark.parametrize("decay", DECAYS, ids=["none", "exp", "linear", "step"])
@pytest.mark.parametrize("window", [None, 1826])
def test_harm_equals_score_exactly(decay: ch.Decay | None, window: int | None) -> None:
    events = _events(1, 3000)
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=window, decay=decay)
    for i in range(0, len(scores), 7):
        oid = int(scores.offender_id[i])
        e = explain(events, SCHEME, oid, as_of=AS_OF, window_days=window, decay=decay)
        assert e.harm == scores.harm[i]  # the same float, not merely close
        assert e.n_events == scores.n_events[i]
        assert sequential_sum(e.contribution) == e.harm
        assert math.isclose(math.fsum(e.contribution.tolist()), e.harm, rel_tol=1e-12)


@settings(max_examples=30)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 400),
    strings=st.booleans(),
    window=st.one_of(st.none(), st.integers(1, 4000)),
    half_life=st.floats(1.0, 5000.0),
)
def test_harm_equals_score_property(
    seed: int, n: int, strings: bool, window: int | None, half_life: float
) -> None:
    events = _events(seed, n, strings=strings)
    decay = ch.ExponentialDecay(half_life_days=half_life)
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=window, decay=decay)
    for i, oid in enumerate(scores.offender_id.tolist()):
        e = explain(events, SCHEME, oid, as_of=AS_OF, window_days=window, decay=decay)
        assert e.harm == scores.harm[i]
        assert e.n_events == scores.n_events[i]


def test_columns_are_weight_times_decay() -> None:
    events = _events(2, 500)
    decay = ch.ExponentialDecay(half_life_days=200)
    oid = int(events.offender_id[0])
    e = explain(events, SCHEME, oid, as_of=AS_OF, window_days=2000, decay=decay)
    ages = (np.datetime64(AS_OF) - e.date).astype(np.int64)
    assert np.array_equal(e.age_days, ages)
    assert np.allclose(e.decay_factor, 0.5 ** (ages / 200.0), rtol=1e-12)
    assert np.array_equal(e.weight, [SCHEME.weight(c) for c in e.code])
    assert np.array_equal(e.contribution, e.weight * e.decay_factor)
    assert list(e.title) == [SCHEME.offence(c).title for c in e.code]
    assert list(e.group) == [SCHEME.offence(c).group for c in e.code]
    assert np.all(np.diff(e.rows) > 0)  # row order
    assert np.all(events.offender_id[e.rows] == oid)


def test_every_row_of_the_offender_is_listed_once_with_reasons() -> None:
    ids = [1, 1, 1, 1, 2]
    codes = ["A", "Z", "C", "B", "A"]
    dates = ["2023-07-19", "2023-01-01", "2015-01-01", "2023-07-18", "2023-01-01"]
    events = ch.Events(offender_id=ids, offence_code=codes, date=dates)
    e = explain(events, SCHEME, 1, as_of=AS_OF, window_days=1826, on_unknown="skip")
    assert e.rows.tolist() == [3]
    assert e.harm == 7.3
    assert e.age_days.tolist() == [0]
    assert dict(zip(e.excluded_rows.tolist(), e.excluded_reason, strict=True)) == {
        0: AFTER_AS_OF,
        1: UNKNOWN_CODE,
        2: OUTSIDE_WINDOW,
    }
    assert e.excluded_counts() == {AFTER_AS_OF: 1, UNKNOWN_CODE: 1, OUTSIDE_WINDOW: 1}
    assert [r["code"] for r in e.excluded_records()] == ["A", "Z", "C"]


def test_fallback_weight_and_unknown_code_error() -> None:
    events = ch.Events(offender_id=[5, 5], offence_code=["Z", "A"], date=["2023-01-01"] * 2)
    e = explain(
        events, SCHEME, 5, as_of=AS_OF, on_unknown="fallback", fallback_weight=2.5, decay=None
    )
    assert e.weight.tolist() == [2.5, 0.1]
    assert (
        e.harm
        == ch.score(events, SCHEME, as_of=AS_OF, on_unknown="fallback", fallback_weight=2.5).harm[0]
    )
    with pytest.raises(ch.UnknownCodeError):
        explain(events, SCHEME, 5, as_of=AS_OF)


def test_categorical_codes_and_string_ids() -> None:
    events = _events(3, 800, strings=True)
    cats, idx = np.unique(events.offence_code, return_inverse=True)
    coded = ch.Events(
        offender_id=events.offender_id, offence_code=idx, categories=cats, date=events.date
    )
    oid = str(events.offender_id[10])
    a = explain(events, SCHEME, oid, as_of=AS_OF, window_days=1826)
    b = explain(coded, SCHEME, oid, as_of=AS_OF, window_days=1826)
    assert a.harm == b.harm
    assert np.array_equal(a.code, b.code)
    with pytest.raises(ParameterError, match="string"):
        explain(events, SCHEME, 3, as_of=AS_OF)


def test_unknown_offender_and_missing_as_of() -> None:
    events = _events(4, 50)
    with pytest.raises(KeyError):
        explain(events, SCHEME, 10**9, as_of=AS_OF)
    with pytest.raises(ParameterError, match="as_of"):
        explain(events, SCHEME, int(events.offender_id[0]))


def test_explain_from_scores_takes_their_parameters() -> None:
    events = _events(5, 2000)
    decay = ch.StepDecay(bands=[(365, 1.0), (1000, 0.3)])
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=1500, decay=decay)
    oid = int(scores.top(1).offender_id[0])
    from_scores = explain_scores(scores, events, oid, scheme=SCHEME)
    direct = explain(events, SCHEME, oid, as_of=AS_OF, window_days=1500, decay=decay)
    assert from_scores == direct
    assert from_scores.harm == scores.top(1).harm[0]
    # via the dispatching explain() with a Ranking, scheme looked up by name: not registered
    with pytest.raises(ch.UnknownNameError):
        explain(events, scores.top(5), oid)
    with pytest.raises(ParameterError, match="come from the scores"):
        explain(events, scores, oid, as_of=AS_OF)


def test_explain_from_scores_detects_other_events_and_other_scheme() -> None:
    events = _events(6, 1000)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    oid = int(scores.offender_id[0])
    other = ch.Events(
        offender_id=events.offender_id,
        offence_code=np.where(events.offender_id == oid, "E", events.offence_code),
        date=events.date,
    )
    with pytest.raises(DataError, match="not the events"):
        explain_scores(scores, other, oid, scheme=SCHEME)
    with pytest.raises(ParameterError, match="checksum"):
        explain_scores(scores, events, oid, scheme=SCHEME.scaled(2.0))


def test_explain_with_registered_scheme_name() -> None:
    cchi = ch.get_scheme("cchi-2020")
    events = ch.Events(
        offender_id=[7, 7, 8],
        offence_code=["001/01", "105/01", "105/01"],
        date=["2020-01-01", "2023-01-01", "2023-01-01"],
    )
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=1826)
    e = explain(events, scores, 7)
    assert e.harm == cchi.weight("001/01") + cchi.weight("105/01")
    assert e.title[0] == cchi.offence("001/01").title


def test_exports_and_repr() -> None:
    events = _events(7, 300)
    oid = int(events.offender_id[0])
    e = explain(events, SCHEME, oid, as_of=AS_OF, window_days=1826)
    records = e.to_records()
    assert len(records) == e.n_events
    assert sum(r["contribution"] for r in records) == pytest.approx(e.harm, rel=1e-12)
    frame = e.to_pandas()
    assert frame["contribution"].tolist() == e.contribution.tolist()
    d = e.to_dict()
    assert d["offender_id"] == oid
    assert d["params"]["scheme"] == "toy"
    text = repr(e)
    assert f"offender {oid}" in text
    assert f"{e.n_events} counted events" in text


# -- display: sorting, truncation that never hides the harm, totals as ranked ------------------


def _busy_offender() -> tuple[ch.Events, ch.Scores, int]:
    """Events where one offender has 45 events and the most recent ones carry the harm."""
    n = 45
    codes = ["A"] * 30 + ["C"] * 10 + ["E"] * 5  # the heavy codes come last in time
    events = ch.Events(
        offender_id=np.array([7] * n + [8, 9]),
        offence_code=np.array([*codes, "B", "A"]),
        date=np.datetime64("2019-01-01") + np.array([*range(0, 30 * n, 30), 5, 6]),
    )
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    return events, scores, 7


def test_order_by_contribution_date_and_row() -> None:
    events, scores, oid = _busy_offender()
    e = explain_scores(scores, events, oid, scheme=SCHEME)
    by_contribution = e.contribution[e.order("contribution")]
    assert np.all(np.diff(by_contribution) <= 0)
    by_date = e.date[e.order("date")]
    assert np.all(np.diff(by_date.astype(np.int64)) >= 0)
    assert e.order("row").tolist() == list(range(e.n_events))
    with pytest.raises(ParameterError, match="sort must be one of"):
        e.order("size")  # type: ignore[arg-type]


@given(limit=st.integers(0, 50), sort=st.sampled_from(["contribution", "date", "row"]))
def test_truncation_keeps_the_largest_contributions(limit: int, sort: str) -> None:
    events, scores, oid = _busy_offender()
    e = explain_scores(scores, events, oid, scheme=SCHEME)
    shown = e.shown(limit, sort)  # type: ignore[arg-type]
    assert shown.size == min(limit, e.n_events)
    assert len(set(shown.tolist())) == shown.size
    rest = np.setdiff1d(np.arange(e.n_events), shown)
    if shown.size and rest.size:  # nothing left out is larger than anything shown
        assert e.contribution[rest].max() <= e.contribution[shown].min()
    kept = set(shown.tolist())
    assert shown.tolist() == [i for i in e.order(sort).tolist() if i in kept]  # type: ignore[arg-type]
    line = e.hidden_summary(shown)
    if rest.size == 0:
        assert line == ""
    else:
        hidden = sequential_sum(e.contribution[rest])
        more = " more" if shown.size else ""  # with nothing shown, nothing is "more"
        assert f"... {rest.size}{more} counted event" in line
        assert f"harm {hidden:,.2f} days" in line
        assert f"{hidden / e.harm:.1%} of the total" in line


def test_table_shows_what_carries_the_harm_and_the_ranked_total() -> None:
    events, scores, oid = _busy_offender()
    e = explain_scores(scores, events, oid, scheme=SCHEME)
    ranked = scores.ranking()
    i = int(np.flatnonzero(ranked.offender_id == oid)[0])
    text = e.table(limit=30)
    lines = text.splitlines()
    # the five heaviest events (code E, the most recent) are listed first
    assert [line.split()[2] for line in lines[2:7]] == ["E"] * 5
    hidden = [line for line in lines if line.startswith("... ")]
    assert len(hidden) == 1
    assert hidden[0].startswith("... 15 more counted events not shown")
    assert "limit=None lists every event" in hidden[0]
    # the total is the ranked harm, printed as the ranking table prints it
    from crimeharm.io.write import ranking_table

    row = ranking_table(ranked).splitlines()[1 + i].split()
    assert f"total: harm {row[2]} days = the sum of 45 contributions (as ranked)" in lines
    assert repr(e) == f"<{lines[0]}>\n" + "\n".join(lines[1:])
    full = e.table(limit=None).splitlines()
    assert not any(line.startswith("... ") for line in full)
    assert len(full) == 2 + 45 + 1
    dated = e.table(sort="date", limit=30).splitlines()
    # by date: the same 30 events as by contribution, oldest first
    assert {line.split()[0] for line in dated[2:32]} == {line.split()[0] for line in lines[2:32]}


def test_records_follow_the_requested_order() -> None:
    events, scores, oid = _busy_offender()
    e = explain_scores(scores, events, oid, scheme=SCHEME)
    records = e.to_records("contribution")
    assert [r["row"] for r in records] == e.rows[e.order("contribution")].tolist()
    assert [r["row"] for r in e.to_dict("date")["events"]] == e.rows[e.order("date")].tolist()
    assert [r["row"] for r in e.to_records()] == e.rows.tolist()


def _busy_csv(tmp_path: Path) -> Path:
    """40 minor offences, then one murder: the most recent event carries most of the harm."""
    lines = ["offender_id,offence_code,date"]
    lines += [f"5,105/01,{np.datetime64('2019-01-01') + 20 * k}" for k in range(40)]
    lines += ["5,001/01,2023-01-01", "6,105/01,2022-01-01", "5,105/01,2024-01-01"]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_explain_sorts_summarises_and_matches_rank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crimeharm.cli import main

    path = _busy_csv(tmp_path)
    base = ["explain", str(path), "--offender", "5", "--as-of", AS_OF]
    assert main(base) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].split()[2] == "001/01"  # the largest contribution first
    assert sum(1 for line in lines if "105/01" in line) == 29
    hidden = [line for line in lines if line.startswith("...")]
    cchi = ch.get_scheme("cchi-2020")
    minor = 11 * cchi.weight("105/01")
    whole = cchi.weight("001/01") + 40 * cchi.weight("105/01")
    assert hidden == [
        f"... 11 more counted events not shown (the smallest contributions): harm {minor:,.2f} "
        f"days, {minor / whole:.1%} of the total; --all lists every event"
    ]
    assert main(["rank", str(path), "--as-of", AS_OF]) == 0
    ranked = [line.split() for line in capsys.readouterr().out.splitlines() if " 5 " in line]
    assert f"total: harm {ranked[0][2]} days = the sum of 41 contributions (as ranked)" in lines
    assert main([*base, "--all"]) == 0
    full = capsys.readouterr().out.splitlines()
    assert sum(1 for line in full if "105/01" in line) == 40 + 1  # 40 counted + 1 excluded
    assert not any(line.startswith("...") for line in full)
    assert any("dated after as_of" in line and "2024-01-01" in line for line in full)
    assert main([*base, "--all", "--sort", "date"]) == 0
    dated = capsys.readouterr().out.splitlines()
    assert dated[2 + 40].split()[2] == "001/01"  # the most recent counted event last
    assert main([*base, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["events"][0]["code"] == "001/01"
    assert main([*base, "--limit", "3"]) == 0
    assert "... 38 more counted events" in capsys.readouterr().out


def test_cli_explain_limit_zero_shows_only_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from crimeharm.cli import main

    path = _busy_csv(tmp_path)
    assert main(["explain", str(path), "--offender", "5", "--as-of", AS_OF, "--limit", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    cchi = ch.get_scheme("cchi-2020")
    whole = cchi.weight("001/01") + 40 * cchi.weight("105/01")
    assert lines[0].startswith("Explanation of offender 5: harm")
    assert lines[1:3] == [
        f"... 41 counted events not shown: harm {whole:,.2f} days, 100.0% of the total; "
        "--all lists every event",
        f"total: harm {whole:,.2f} days = the sum of 41 contributions (as ranked)",
    ]
    assert lines[3:] == ["excluded events: dated after as_of: 1"]  # no event table


def test_a_key_with_no_counted_event_is_not_said_to_be_ranked() -> None:
    events = _events(3, 200)
    late = ch.Events.concat(
        [
            events,
            ch.Events(
                offender_id=np.array([999]),
                offence_code=np.array(["C"]),
                date=np.array(["2024-01-01"], dtype="datetime64[D]"),
            ),
        ]
    )
    scores = ch.score(late, SCHEME, as_of=AS_OF)
    assert 999 not in scores.offender_id.tolist()
    e = explain(late, SCHEME, 999, as_of=AS_OF)
    assert e.n_events == 0
    text = e.table()
    assert "(as ranked)" not in text
    assert "total: harm 0.00 days: no counted event, so this offender is not in the ranking" in text
    assert "excluded events: dated after as_of: 1" in text


def test_explanations_by_another_key_name_it() -> None:
    events = ch.Events(
        offender_id=np.array([1, 2, 3]),
        offence_code=np.array(["A", "C", "E"]),
        date=np.array(["2023-01-01", "2023-02-01", "2023-03-01"], dtype="datetime64[D]"),
        victim_id=np.array([10, 10, 11]),
    )
    e = explain(events, SCHEME, 10, as_of=AS_OF, by="victim_id")
    assert e.headline().startswith("Explanation of victim_id 10: harm 365.10 days from 2 counted")
    doc = e.to_dict()
    assert doc["victim_id"] == 10
    assert "offender_id" not in doc
    assert explain(events, SCHEME, 1, as_of=AS_OF).to_dict()["offender_id"] == 1
