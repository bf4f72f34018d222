"""Scores and Ranking conveniences: explain, manifest, pseudonymise, exports, accounting."""

from __future__ import annotations

import pytest

import crimeharm as ch

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"A": 10.0, "B": 2.0, "C": 0.5}, name="abc", unit="days")


def events() -> ch.Events:
    return ch.Events(
        offender_id=[7, 7, 3, 3, 9],
        offence_code=["A", "B", "C", "A", "B"],
        date=["2023-07-18", "2022-07-18", "2023-07-18", "2030-01-01", "2001-01-01"],
    )


def test_explain_method_sums_to_the_score() -> None:
    ev = events()
    scores = ch.score(ev, SCHEME, as_of=AS_OF, window_days=730, decay="none")
    explanation = scores.explain(7, ev, scheme=SCHEME)  # a scheme not in the registry
    assert explanation.harm == scores.harm[scores.rows_of([7])[0]] == 10.0 + 2.0
    top = ch.top(ev, SCHEME, n=1, as_of=AS_OF, window_days=730)
    assert top.explain(7, ev, scheme=SCHEME).harm == 12.0


def test_manifest_method_records_the_parameters_and_verifies() -> None:
    ev = events()
    ranking = ch.score(ev, SCHEME, as_of=AS_OF, window_days=730).top(2)
    manifest = ranking.manifest(ev)
    assert manifest.scheme == "abc"
    assert manifest.window_days == 730
    assert manifest.verify(ev)
    assert not manifest.verify(ev.take([0, 1, 2, 3]))


def test_pseudonymise_method_keeps_harm_and_hides_ids() -> None:
    scores = ch.score(events(), SCHEME, as_of=AS_OF, window_days=730)
    hidden = scores.pseudonymise(b"a key of sixteen bytes or more")
    assert sorted(hidden.harm.tolist()) == sorted(scores.harm.tolist())
    assert not set(map(str, scores.offender_id.tolist())) & set(hidden.offender_id.tolist())


def test_report_accounts_for_every_row() -> None:
    report = ch.score(events(), SCHEME, as_of=AS_OF, window_days=730).report
    assert report.total == 5
    assert report.counted == 3
    assert dict(report.excluded) == {"dated after as_of": 1, "outside window": 1}


def test_rank_of_and_percentiles_agree_with_the_ranking() -> None:
    scores = ch.score(events(), SCHEME, as_of=AS_OF, window_days=730)
    ranking = scores.ranking()
    assert scores.rank_of(ranking.offender_id).tolist() == ranking.rank.tolist()
    assert scores.percentiles()[scores.rows_of([7])[0]] == 100.0
    with pytest.raises(KeyError):
        scores.rank_of([9])  # only an event outside the window: no score


def test_lazy_exports_resolve() -> None:
    for name in ch.__all__:
        assert getattr(ch, name) is not None
    assert ch.read_csv is ch.io.read_csv  # type: ignore[attr-defined]
    assert isinstance(ch.__version__, str)
    assert len(set(ch.__all__)) == len(ch.__all__)
