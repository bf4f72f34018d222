"""The synthetic force: valid, deterministic, realistic, calibrated to the published figure.

Expectations are computed from the generated data with simple independent code (sort, cumsum,
unique), never copied from a previous run.
"""

from __future__ import annotations

import math
import sys
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.builtin.demo import DEFAULT_EVENTS, DEFAULT_YEARS, make_demo_events
from crimeharm.errors import ParameterError

AS_OF = np.datetime64("2023-07-18", "D")
SPAN = round(DEFAULT_YEARS * 365.25)  # days in the default seven years


@cache
def default_events() -> ch.Events:
    return make_demo_events()


@cache
def default_harm() -> npt.NDArray[np.float64]:
    scores = ch.score(default_events(), "cchi-2020", as_of=AS_OF, window_days=SPAN)
    return scores.harm


def top_share(harm: npt.NDArray[np.float64], fraction: float) -> float:
    """Share of all harm held by the first ceil(fraction * n) offenders by harm."""
    ordered = np.sort(harm)[::-1]
    k = math.ceil(fraction * ordered.size)
    return math.fsum(ordered[:k].tolist()) / math.fsum(ordered.tolist())


def offenders_holding(harm: npt.NDArray[np.float64], share: float) -> float:
    """Smallest fraction of offenders whose harm adds up to ``share`` of the total."""
    ordered = np.sort(harm)[::-1]
    cum = np.cumsum(ordered)
    k = int(np.argmax(cum >= share * cum[-1])) + 1
    return k / ordered.size


def test_same_seed_same_events_and_other_seed_other_events() -> None:
    a = make_demo_events(5_000, seed=7)
    b = make_demo_events(5_000, seed=7)
    c = make_demo_events(5_000, seed=8)
    assert a == b
    assert a != c


@settings(max_examples=25)
@given(n=st.integers(1, 3_000), seed=st.integers(0, 2**32 - 1), years=st.integers(1, 6))
def test_exact_size_valid_codes_and_dates(n: int, seed: int, years: int) -> None:
    events = make_demo_events(n, seed=seed, years=years, as_of="2020-02-29")
    scheme = ch.get_scheme("cchi-2020")
    assert len(events) == n
    assert (scheme.index_of(events.code_strings()) >= 0).all()
    end = np.datetime64("2020-02-29", "D")
    span = round(years * 365.25)
    assert events.date.max() <= end
    assert events.date.min() >= end - (span - 1)
    assert set(np.unique(events.columns["victim_sex"]).tolist()) <= {"F", "M", "U"}
    crime = events.crime_id
    assert crime is not None
    _, first, counts = np.unique(crime, return_index=True, return_counts=True)
    assert counts.max() <= 2
    pairs = first[counts == 2]  # co-offenders are adjacent rows of different offenders
    assert (events.offender_id[pairs] != events.offender_id[pairs + 1]).all()
    assert (crime[pairs] == crime[pairs + 1]).all()


def test_codes_are_notifiable_cchi_offences() -> None:
    notifiable = {o.ho_code for o in ch.cchi_offences() if o.notifiable}
    used = set(np.unique(default_events().code_strings()).tolist())
    assert used <= notifiable
    assert len(used) > 150  # a broad mix of offences, not a handful


def test_common_offences_are_low_harm_and_grave_ones_rare() -> None:
    events = default_events()
    scheme = ch.get_scheme("cchi-2020")
    codes = events.code_strings()
    weight = scheme.weights[scheme.index_of(codes)]
    assert np.mean(weight <= 2) > 0.6  # theft, common assault, criminal damage, cannabis ...
    assert np.mean(weight >= 365) < 0.02
    counts = {c: int(np.count_nonzero(codes == c)) for c in ("046/00", "105/01", "001/01")}
    assert counts["046/00"] > 50 * max(counts["001/01"], 1)
    assert counts["105/01"] > 50 * max(counts["001/01"], 1)
    # mean frequency of a code falls as its weight rises (weight bands 1-2, 3-19, 20-364, 365+)
    uniq, n = np.unique(codes, return_counts=True)
    w = scheme.weights[scheme.index_of(uniq)]
    bands = [(0, 2), (3, 19), (20, 364), (365, 1e9)]
    means = [n[(w >= lo) & (w <= hi)].mean() for lo, hi in bands]
    assert means == sorted(means, reverse=True)


def test_offending_is_heavy_tailed() -> None:
    events = default_events()
    _, per_offender = np.unique(events.offender_id, return_counts=True)
    assert 0.2 < np.mean(per_offender == 1) < 0.4  # the largest group appears once
    assert per_offender.max() >= 50  # and a few offend very often
    top5 = np.sort(per_offender)[::-1][: math.ceil(0.05 * per_offender.size)]
    assert top5.sum() / per_offender.sum() > 0.25


def test_size_and_events_per_offender_match_northamptonshire() -> None:
    """Northamptonshire 2010-16: 327,566 crimes by 39,545 offenders over 7 years (8.28 each)."""
    events = default_events()
    assert len(events) == DEFAULT_EVENTS == 327_566
    assert DEFAULT_YEARS == 7
    offenders = np.unique(events.offender_id).size
    assert abs(offenders / 39_545 - 1) < 0.03, offenders
    assert abs(len(events) / offenders / (327_566 / 39_545) - 1) < 0.03


def test_events_per_offender_holds_for_other_seeds_and_sizes() -> None:
    for seed, n in ((1, 100_000), (2, 400_000)):
        events = make_demo_events(n, seed=seed)
        per_offender = n / np.unique(events.offender_id).size
        assert 7.5 <= per_offender <= 9.0, (seed, n, per_offender)


def test_harm_concentration_matches_the_published_figure() -> None:
    """Northamptonshire 2010-16: 7% of offenders linked to 80% of CCHI harm."""
    harm = default_harm()
    assert 0.76 <= top_share(harm, 0.07) <= 0.84
    assert 0.04 <= offenders_holding(harm, 0.80) <= 0.10
    # and harm is far more concentrated than offending volume
    _, per_offender = np.unique(default_events().offender_id, return_counts=True)
    assert top_share(per_offender.astype(float), 0.07) < top_share(harm, 0.07) - 0.2


def test_concentration_holds_for_other_seeds_and_sizes() -> None:
    for seed, n in ((1, 150_000), (2, 400_000)):
        events = make_demo_events(n, seed=seed)
        harm = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=SPAN).harm
        assert 0.74 <= top_share(harm, 0.07) <= 0.86, (seed, n)


def test_victims_sex_and_repeat_victims() -> None:
    events = default_events()
    scheme = ch.get_scheme("cchi-2020")
    sex = events.columns["victim_sex"]
    victim = events.victim_id
    assert victim is not None
    groups = scheme.groups
    assert groups is not None
    group = groups[scheme.index_of(events.code_strings())]
    sexual = group == "SEXUAL OFFENCES"
    assert np.mean(sex[sexual] == "F") > 0.75
    # no individual victim <=> a blank (missing) victim id; such rows have sex "U"
    assert (sex[victim == ""] == "U").all()
    assert np.mean(group[victim == ""] == "DRUG OFFENCES") > 0.3
    # a victim's sex is a property of the victim, not of the event
    people = sex != "U"
    pairs = np.unique(np.stack([victim[people], (sex[people] == "F").astype(np.int64)]), axis=1)
    assert np.unique(pairs[0]).size == pairs.shape[1]
    # domestic abuse: the same offender against the same person again and again
    violent = (group == "VIOLENCE AGAINST THE PERSON") & people
    pair = events.offender_id[violent] * 1_000_000_007 + victim[violent].astype(np.int64)
    _, repeats = np.unique(pair, return_counts=True)
    assert np.sum(repeats[repeats > 1]) / violent.sum() > 0.1


def test_co_offenders_share_a_crime() -> None:
    events = default_events()
    crime = events.crime_id
    assert crime is not None
    ids, n = np.unique(crime, return_counts=True)
    shared = np.flatnonzero(np.isin(crime, ids[n > 1]))
    assert 0.05 < shared.size / len(events) < 0.25
    order = shared[np.argsort(crime[shared], kind="stable")]
    a, b = order[0::2], order[1::2]  # co-offended crimes have exactly two offenders
    assert (n <= 2).all()
    assert (crime[a] == crime[b]).all()
    assert (events.offender_id[a] != events.offender_id[b]).all()
    assert (events.offence_code[a] == events.offence_code[b]).all()
    assert (events.date[a] == events.date[b]).all()
    assert np.all(np.diff(events.date.astype(np.int64)) >= 0)  # crime order


def test_women_and_girls_filter_selects_female_victims() -> None:
    events = make_demo_events(20_000, seed=3)
    selected = events.select(where={"victim_sex": "F"})
    assert 0 < len(selected) < len(events)
    assert (selected.columns["victim_sex"] == "F").all()
    scores = ch.score(selected, "cchi-2020", as_of=AS_OF)
    assert scores.report.total == len(events)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"n_events": 0}, "n_events"),
        ({"n_events": 2.5}, "n_events"),
        ({"n_events": 10, "years": 0}, "years"),
        ({"n_events": 10, "as_of": "yesterday"}, "as_of"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        make_demo_events(**kwargs)  # type: ignore[arg-type]


# -- the command speaks to an analyst -------------------------------------------------------------


def _demo(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, str]:
    from crimeharm.cli.main import main

    assert main(["demo", *args]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_demo_states_unit_meaning_calibration_and_next_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "demo.csv"
    out, _ = _demo(capsys, "--events", "5000", "--top", "3", "--save-events", str(saved))
    assert "days of custody" in out
    assert "not a prediction of risk" in out
    assert "Calibrated to Northamptonshire Police" in out
    assert "327,566 crimes, 39,545 offenders" in out
    assert "8.28 per offender" in out
    explain = next(line for line in out.splitlines() if "crimeharm explain" in line).split()
    report = next(line for line in out.splitlines() if "crimeharm report" in line).split()
    assert report[:3] == ["crimeharm", "report", str(saved)]
    # the explain line names the top offender of this demo, and running it works
    offender = explain[explain.index("--offender") + 1]
    events = ch.read_csv(saved)
    assert int(offender) in set(events.offender_id.tolist())
    from crimeharm.cli.main import main

    assert main(explain[1:]) == 0
    explained = capsys.readouterr().out
    ranked = out.splitlines()[5].split()  # rank 1's row of the table
    assert ranked[1] == offender
    assert f"harm {float(ranked[2].replace(',', '')):,.2f} days" in explained


def test_demo_next_steps_repeat_non_default_settings(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = _demo(capsys, "--events", "4000", "--seed", "3", "--top", "1")
    assert "crimeharm demo --save-events demo.csv --events 4000 --seed 3 --years 7" in out


def test_demo_progress_line_only_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import crimeharm.cli.demo as demo_cli

    monkeypatch.setattr(demo_cli, "PROGRESS_EVENTS", 1000)
    _, err = _demo(capsys, "--events", "2000", "--top", "1")
    assert err == ""  # captured stderr is not a terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    _, err = _demo(capsys, "--events", "2000", "--top", "1")
    assert "generating 2,000 synthetic events" in err
    assert "scoring 2,000 events" in err
    assert err.endswith("\r\x1b[K")  # the line is cleared at the end


def test_no_victim_is_a_missing_victim_id() -> None:
    """Rows without an individual victim are not one huge victim: by="victim_id" reports them
    as "missing victim_id" and offenders' victim counts leave them out."""
    events = default_events()
    victim = events.victim_id
    assert victim is not None
    absent = int(np.count_nonzero(victim == ""))
    assert absent > 0
    by_victim = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=SPAN, by="victim_id")
    assert "" not in set(by_victim.to_pandas()["victim_id"])
    assert by_victim.report.excluded == {"missing victim_id": absent}
    assert by_victim.report.counted == len(events) - absent
    scores = ch.score(events, "cchi-2020", as_of=AS_OF, window_days=SPAN)
    assert scores.victims is not None
    real = events.take(victim != "", reason="no victim")
    per_offender = ch.score(real, "cchi-2020", as_of=AS_OF, window_days=SPAN)
    assert per_offender.victims is not None
    by_id = dict(zip(per_offender.offender_id.tolist(), per_offender.victims.tolist(), strict=True))
    expected = [by_id.get(o, 0) for o in scores.offender_id.tolist()]
    assert scores.victims.tolist() == expected
