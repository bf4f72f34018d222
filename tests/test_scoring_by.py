"""Grouping by any key (``by=``) and DataFrames in and out, through the one engine."""

from __future__ import annotations

import json
import math
from pathlib import Path

import attrs
import numpy as np
import pytest

import crimeharm as ch
from crimeharm import cli

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"a": 10.0, "b": 1.5, "c": 0.25}, name="abc", unit="days")


def _events() -> ch.Events:
    days = np.datetime64(AS_OF) - np.array([0, 3, 10, 400, 2, 5, 9, -1, 30, 7])
    return ch.Events(
        offender_id=[1, 1, 2, 2, 3, 3, 3, 4, 5, 5],
        offence_code=["a", "b", "c", "a", "b", "b", "a", "a", "c", "b"],
        date=days,
        victim_id=["v1", "v2", "v1", " ", "v3", "v1", "", "v2", "v3", "v3"],
        columns={"borough": np.array(["N", "N", "S", "S", "E", "N", "E", "S", "N", "S"])},
    )


def _by_hand(events: ch.Events, by: str, window: int) -> dict[str, float]:
    """math.fsum of weight over counted rows with a present key, per key."""
    age = (np.datetime64(AS_OF) - events.date).astype(int)
    out: dict[str, list[float]] = {}
    for key, code, a in zip(events[by].tolist(), events.code_strings().tolist(), age, strict=True):
        if 0 <= a < window and str(key).strip():
            out.setdefault(key, []).append(SCHEME.weight(code))
    return {k: math.fsum(v) for k, v in out.items()}


@pytest.mark.parametrize("by", ["victim_id", "borough", "offender_id"])
def test_by_any_column_sums_each_key(by: str) -> None:
    events = _events()
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=365, by=by)
    want = _by_hand(events, by, 365)
    assert dict(zip(scores.key.tolist(), scores.harm.tolist(), strict=True)) == want
    assert scores.by == by
    assert getattr(scores, by).tolist() == scores.offender_id.tolist()
    frame = scores.to_pandas()
    assert frame.columns[0] == by
    assert ch.top(events, SCHEME, n=2, as_of=AS_OF, window_days=365, by=by) == scores.top(2)


def test_rows_with_a_missing_key_are_reported_never_dropped() -> None:
    scores = ch.score(_events(), SCHEME, as_of=AS_OF, window_days=365, by="victim_id")
    report = scores.report
    # rows: 1 dated after as_of, 1 outside the window (also blank victim: the earlier reason
    # wins), 1 blank victim inside the window
    assert report.excluded == {"dated after as_of": 1, "outside window": 1, "missing victim_id": 1}
    assert report.counted + sum(report.excluded.values()) == report.total == 10


def test_explain_names_the_reason_of_every_excluded_row() -> None:
    from crimeharm.research.explain import explain

    events = _events()
    kw = {"as_of": AS_OF, "window_days": 365, "by": "offender_id"}
    assert explain(events, SCHEME, 2, **kw).excluded_reason == ("outside window",)
    assert explain(events, SCHEME, 4, **kw).excluded_reason == ("dated after as_of",)
    with pytest.raises(ch.UnknownKeyError, match="no row for the given offender_id"):
        explain(events, SCHEME, 99, **kw)


def test_explain_sweep_concentration_and_scorer_take_by() -> None:
    from crimeharm.research.explain import explain

    events = _events()
    kw = {"as_of": AS_OF, "window_days": 365, "by": "borough"}
    scores = ch.score(events, SCHEME, **kw)
    for key, harm in zip(scores.key.tolist(), scores.harm.tolist(), strict=True):
        assert explain(events, SCHEME, key, **kw).harm == harm
    swept = ch.sweep(events, SCHEME, n=2, half_lives=[30.0], **kw)
    assert swept.top_ids[0].tolist() == scores.top(2).key.tolist()
    assert swept.params.by == "borough"
    grouped = ch.WeightScheme(
        codes=["a", "b", "c"], weights=[10.0, 1.5, 0.25], groups=["X", "Y", "X"], name="g"
    )
    table = ch.concentration_by_group(events, grouped, **kw)
    assert table.rows[0].label == "(all)"
    assert table.rows[0].total == scores.harm.sum()
    scorer = (
        ch.Scorer(SCHEME, **kw).add(events.take(np.arange(5))).add(events.take(np.arange(5, 10)))
    )
    assert scorer.result() == scores
    victims = ch.concentration_by_victim(events, SCHEME, as_of=AS_OF, window_days=365)
    assert (
        victims.total
        == ch.score(events, SCHEME, as_of=AS_OF, window_days=365, by="victim_id").harm.sum()
    )


def test_by_a_missing_column_is_a_parameter_error_listing_the_columns() -> None:
    with pytest.raises(ch.ParameterError, match="no such column; columns: offender_id"):
        ch.score(_events(), SCHEME, as_of=AS_OF, by="beat")
    with pytest.raises(ch.ParameterError, match="by must name the column to group by"):
        ch.score(_events(), SCHEME, as_of=AS_OF, by="date")


def test_cli_rank_and_explain_take_by(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = ch.make_demo_events(3000, seed=3)
    path = tmp_path / "events.csv"
    events.to_pandas().to_csv(path, index=False)
    args = ["--as-of", AS_OF, "--window-days", "1826", "--by", "victim_sex"]
    assert cli.main(["rank", str(path), *args, "--format", "csv", "--top", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rank,victim_sex,harm,")
    read = ch.read_csv(path)
    want = ch.score(read, "cchi-2020", as_of=AS_OF, window_days=1826, by="victim_sex").top(2)
    assert [line.split(",")[1] for line in lines[1:]] == want.key.tolist()
    assert [float(line.split(",")[2]) for line in lines[1:]] == want.harm.tolist()
    top_key = str(want.key[0])
    assert cli.main(["explain", str(path), *args, "--offender", top_key, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["harm"] == float(want.harm[0])


# -- DataFrames in and out ------------------------------------------------------------------------


def _frame_columns() -> dict[str, list[object]]:
    events = _events()
    return {
        "suspect_ref": events.offender_id.tolist(),
        "ho_code": events.code_strings().tolist(),
        "committed": events.date.astype(str).tolist(),
        "borough": events["borough"].tolist(),
    }


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_score_and_top_take_frames_with_the_readers_column_names(kind: str) -> None:
    data = _frame_columns()
    if kind == "pandas":
        frame: object = pytest.importorskip("pandas").DataFrame(data)
    elif kind == "polars":
        frame = pytest.importorskip("polars").DataFrame(data)
    else:
        frame = pytest.importorskip("pyarrow").table(data)
    names = {"offender_id": "suspect_ref", "offence_code": "ho_code", "date": "committed"}
    kw = {"as_of": AS_OF, "window_days": 365}
    got = ch.score(frame, SCHEME, **kw, **names)
    events = attrs.evolve(_events(), victim_id=None)  # the frame has no victim column
    want = ch.score(events, SCHEME, **kw)
    assert got.harm.tolist() == want.harm.tolist()
    assert got.key.tolist() == want.key.tolist()
    assert ch.top(frame, SCHEME, n=2, **kw, **names) == want.top(2)
    by_borough = ch.score(frame, SCHEME, by="borough", **kw, **names)
    assert by_borough == ch.score(events, SCHEME, by="borough", **kw)


def test_read_options_are_refused_for_events() -> None:
    with pytest.raises(ch.ParameterError, match="apply to frames"):
        ch.score(_events(), SCHEME, as_of=AS_OF, offender_id="suspect_ref")
    with pytest.raises(ch.ParameterError, match=r"scoring takes crimeharm\.Events"):
        ch.score([1, 2], SCHEME, as_of=AS_OF)


@pytest.mark.parametrize("by", ["offender_id", "victim_id"])
def test_results_convert_to_pandas_polars_and_arrow(by: str) -> None:
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    scores = ch.score(_events(), SCHEME, as_of=AS_OF, window_days=365, by=by)
    ranking = scores.top(3)
    for result in (scores, ranking):
        table = result.to_arrow()
        assert table.column_names[: 2 + isinstance(result, ch.Ranking)][-2:] == [by, "harm"]
        assert pa.table(result).equals(table)
        frame = pl.DataFrame(result)
        assert frame.equals(result.to_polars())
        assert frame[by].to_list() == result.key.tolist()
        assert frame["harm"].to_list() == result.harm.tolist()
        assert result.to_pandas()[by].tolist() == result.key.tolist()


def test_compare_schemes_compares_rankings_of_any_key() -> None:
    events = _events()
    flat = ch.WeightScheme.from_mapping({"a": 1.0, "b": 1.0, "c": 1.0}, name="flat")
    table = ch.compare_schemes(
        events, {"abc": SCHEME, "flat": flat}, as_of=AS_OF, window_days=365, by="borough"
    )
    for label, scheme in (("abc", SCHEME), ("flat", flat)):
        want = ch.score(events, scheme, as_of=AS_OF, window_days=365, by="borough")
        assert table.scores[label] == want


def test_a_manifest_records_by_and_reproduces_the_result() -> None:
    events = _events()
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=365, by="borough")
    manifest = ch.Manifest.from_result(scores, events)
    assert manifest.by == "borough"
    again = ch.Manifest.from_json(manifest.to_json()).reproduce(events, scheme=SCHEME)
    assert again == scores
