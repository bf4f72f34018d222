"""Manifests: fingerprints, JSON round trip, verify and reproduce."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.audit.manifest import (
    MANIFEST_FORMAT,
    Manifest,
    fingerprint_events,
    fingerprint_result,
    manifest_path_for,
    write_manifest_next_to,
)
from crimeharm.errors import DataError, ParameterError

AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"A": 1.5, "B": 10.0, "C": 365.0}, name="toy", version="1")


def _events(seed: int = 0, n: int = 500, *, strings: bool = False) -> ch.Events:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 80, n)
    return ch.Events(
        offender_id=ids.astype(str) if strings else ids,
        offence_code=rng.choice(["A", "B", "C"], n),
        date=np.datetime64("2019-01-01") + rng.integers(0, 1700, n),
        victim_id=rng.integers(0, 300, n),
    )


def _reference_fingerprint(events: ch.Events) -> str:
    """The documented canonical form, written out value by value."""
    h = hashlib.sha256(b"crimeharm-events-v1\n")

    def column(name: str, values: np.ndarray) -> None:
        n = len(values)
        if values.dtype.kind == "M":
            h.update(f"{name}:date:{n}\n".encode())
            for v in values.astype("datetime64[D]").astype(np.int64).tolist():
                h.update(int(v).to_bytes(8, "little", signed=True))
        elif values.dtype.kind in "iu":
            h.update(f"{name}:int64:{n}\n".encode())
            for v in values.tolist():
                h.update(int(v).to_bytes(8, "little", signed=True))
        else:
            h.update(f"{name}:str:{n}\n".encode())
            texts = [str(v) for v in values.tolist()]
            for t in texts:
                h.update(len(t).to_bytes(8, "little", signed=True))
            for t in texts:
                h.update(t.encode("utf-32-le"))

    column("offender_id", events.offender_id)
    column("offence_code", events.code_strings())
    column("date", events.date)
    if events.victim_id is not None:
        column("victim_id", events.victim_id)
    return h.hexdigest()


@pytest.mark.parametrize("strings", [False, True])
def test_fingerprint_follows_the_documented_form(strings: bool) -> None:
    events = _events(1, 200, strings=strings)
    assert fingerprint_events(events) == _reference_fingerprint(events)


def test_fingerprint_ignores_storage_but_not_content() -> None:
    events = _events(2)
    cats, idx = np.unique(events.offence_code, return_inverse=True)
    coded = ch.Events(
        offender_id=events.offender_id,
        offence_code=idx,
        categories=cats,
        date=events.date,
        victim_id=events.victim_id,
    )
    wide = ch.Events(
        offender_id=events.offender_id,
        offence_code=events.offence_code.astype("<U12"),
        date=events.date,
        victim_id=events.victim_id,
        columns={"note": np.zeros(len(events))},  # extra columns do not count
    )
    base = fingerprint_events(events)
    assert fingerprint_events(coded) == base
    assert fingerprint_events(wide) == base
    changed_date = ch.Events(
        offender_id=events.offender_id,
        offence_code=events.offence_code,
        date=events.date + np.concatenate([[1], np.zeros(len(events) - 1, dtype=int)]),
        victim_id=events.victim_id,
    )
    assert fingerprint_events(changed_date) != base
    assert fingerprint_events(events.take(np.arange(len(events))[::-1])) != base  # row order
    # "ab" + "c" is not "a" + "bc": lengths are part of the form
    x = ch.Events(offender_id=[1, 2], offence_code=["ab", "c"], date=["2020-01-01"] * 2)
    y = ch.Events(offender_id=[1, 2], offence_code=["a", "bc"], date=["2020-01-01"] * 2)
    assert fingerprint_events(x) != fingerprint_events(y)


def test_manifest_records_parameters_and_round_trips(tmp_path: Path) -> None:
    events = _events(3)
    decay = ch.StepDecay(bands=[(365, 1.0), (730, 0.5)])
    scores = ch.score(events, SCHEME, as_of=AS_OF, window_days=1000, decay=decay)
    m = Manifest.from_result(scores, events, created_at="2024-01-01T00:00:00+00:00")
    assert m.format == MANIFEST_FORMAT
    assert m.library_version == ch.__version__
    assert (m.scheme, m.scheme_version, m.scheme_checksum) == ("toy", "1", SCHEME.checksum)
    assert (m.decay, m.decay_params) == ("step", {"bands": [[365, 1.0], [730, 0.5]]})
    assert (m.as_of, m.window_days) == (AS_OF, 1000)
    assert m.input_rows == len(events)
    assert m.report == scores.report.to_dict()
    assert (m.result_kind, m.result_rows) == ("scores", len(scores))
    text = m.to_json()
    assert json.loads(text)["input_fingerprint"] == fingerprint_events(events)
    assert Manifest.from_json(text) == m
    path = m.write(tmp_path / "m.json")
    assert Manifest.read(path) == m
    assert m.verify(events)
    assert not m.verify(events.take(np.arange(len(events) - 1)))
    assert m.matches(scores)
    assert not m.matches(ch.score(events, SCHEME, as_of=AS_OF))


def test_reproduce_scores_and_rankings() -> None:
    events = _events(4)
    top = ch.score(
        events, SCHEME, as_of=AS_OF, window_days=1826, decay=ch.ExponentialDecay(90)
    ).top(7)
    m = Manifest.from_result(top, events)
    again = m.reproduce(events, scheme=SCHEME)
    assert isinstance(again, ch.Ranking)
    assert np.array_equal(again.offender_id, top.offender_id)
    assert np.array_equal(again.harm, top.harm)
    assert fingerprint_result(again) == m.result_fingerprint
    other = ch.Events(
        offender_id=events.offender_id,
        offence_code=np.where(np.arange(len(events)) == 0, "C", events.offence_code),
        date=events.date,
        victim_id=events.victim_id,
    )
    with pytest.raises(DataError, match="do not match"):
        m.reproduce(other, scheme=SCHEME)
    with pytest.raises(ParameterError, match="checksum"):
        m.reproduce(events, scheme=SCHEME.scaled(2.0))


def test_reproduce_with_a_registered_scheme() -> None:
    events = ch.Events(
        offender_id=[1, 1, 2], offence_code=["105/01", "001/01", "105/01"], date=["2022-01-01"] * 3
    )
    scores = ch.score(events, "cchi-2020", as_of=AS_OF)
    m = Manifest.from_result(scores, events)
    assert m.reproduce(events) == scores


def test_result_fingerprint_sees_the_last_bit() -> None:
    events = _events(5)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    nudged = attrs.evolve(scores, harm=np.nextafter(scores.harm, np.inf))
    assert fingerprint_result(nudged) != fingerprint_result(scores)
    assert fingerprint_result(scores) == fingerprint_result(scores.ranking())


def test_from_result_checks_the_events() -> None:
    events = _events(6)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    with pytest.raises(ParameterError, match="rows"):
        Manifest.from_result(scores, events.take(np.arange(10)))


def test_from_json_errors() -> None:
    good = json.loads(
        Manifest.from_result(ch.score(_events(), SCHEME, as_of=AS_OF), _events()).to_json()
    )
    with pytest.raises(DataError, match="not JSON"):
        Manifest.from_json("{", source="x.json")
    with pytest.raises(DataError, match="format"):
        Manifest.from_json(json.dumps({**good, "format": "other"}))
    with pytest.raises(DataError, match="unknown field 'extra'"):
        Manifest.from_json(json.dumps({**good, "extra": 1}))
    missing = dict(good)
    del missing["scheme_checksum"]
    with pytest.raises(DataError, match="missing field 'scheme_checksum'"):
        Manifest.from_json(json.dumps(missing))


def test_manifest_next_to_output(tmp_path: Path) -> None:
    events = _events(7)
    m = Manifest.from_result(ch.score(events, SCHEME, as_of=AS_OF).top(5), events)
    out = tmp_path / "ranking.csv"
    assert manifest_path_for(out) == tmp_path / "ranking.csv.manifest.json"
    written = write_manifest_next_to(out, m)
    assert written == tmp_path / "ranking.csv.manifest.json"
    assert Manifest.read(written) == m


# -- issue 10: the manifest records everything that changes a result ------------------------------


def _met_style_events(path: Path) -> Path:
    """Events with a victim_sex column: sexual offences against women and other rows."""
    rows = [
        "offender_id,offence_code,date,victim_id,victim_sex",
        "11,019/11,2023-01-02,1,F",  # a sexual offence, female victim
        "11,046/00,2023-02-03,2,F",  # shoplifting: not in the group
        "12,019/11,2023-03-04,3,M",  # male victim
        "13,020/05,2022-12-01,4,F",
        "14,019/11,2021-06-07,5,F",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_the_mets_list_is_recorded_and_reproduced(tmp_path: Path) -> None:
    from crimeharm import cli

    events = _met_style_events(tmp_path / "events.csv")
    out = tmp_path / "ranking.csv"
    argv = ["rank", str(events), "--as-of", AS_OF, "--where", "victim_sex=F"]
    argv += ["--group", "SEXUAL OFFENCES", "--pad-codes", "--id-type", "str", "-o", str(out)]
    assert cli.main(argv) == 0
    manifest = Manifest.read(manifest_path_for(out))
    assert manifest.filters == {"groups": ["SEXUAL OFFENCES"], "where": {"victim_sex": ["F"]}}
    assert manifest.reading == {
        "path": str(events),
        "format": "csv",
        "offender_id": "offender_id",
        "offence_code": "offence_code",
        "date": "date",
        "pad_codes": True,
        "id_type": "str",
    }
    assert manifest.by == "offender_id"
    assert manifest.scheme_conflicts == "min"
    assert manifest.output["format"] == "csv"
    read = manifest.read_events()
    result = manifest.reproduce(read)
    scheme = ch.get_scheme("cchi-2020")
    by_hand = read.select(where={"victim_sex": "F"}).select(
        scheme=scheme, groups=["SEXUAL OFFENCES"]
    )
    assert result == ch.score(by_hand, scheme, as_of=AS_OF).top(manifest.result_rows)
    assert "12" not in list(result.offender_id)  # the offence against a man is filtered out
    # without the filters the events give another result: reproduce says so
    unfiltered = attrs.evolve(manifest, filters={})
    with pytest.raises(DataError, match="scoring again gave a different result"):
        unfiltered.reproduce(read)


def test_reproduce_says_when_the_events_are_not_the_ones_read() -> None:
    events = _events(3)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    manifest = Manifest.from_result(scores, events, filters={"codes": ["A", "B"]})
    with pytest.raises(DataError, match="got 499 rows"):
        manifest.reproduce(events.take(np.arange(499)))


def test_filters_are_applied_when_reproducing_from_the_library() -> None:
    events = _events(4)
    selected = events.select(codes=["A", "C"])
    scores = ch.score(selected, SCHEME, as_of=AS_OF)
    manifest = Manifest.from_result(scores, events, filters={"codes": ["A", "C"]})
    assert manifest.reproduce(events, scheme=SCHEME) == scores
    with pytest.raises(ParameterError, match="unknown key 'colour'"):
        Manifest.from_result(scores, events, filters={"colour": ["red"]})


def test_a_manifest_without_the_new_fields_still_reads() -> None:
    events = _events(5)
    manifest = Manifest.from_result(ch.score(events, SCHEME, as_of=AS_OF), events)
    data = manifest.to_dict()
    for name in (
        "by",
        "scheme_conflicts",
        "scheme_parent",
        "scheme_parent_checksum",
        "scheme_derivations",
        "scheme_file",
        "filters",
        "reading",
        "output",
    ):
        del data[name]
    old = Manifest.from_json(json.dumps(data))
    assert old.filters == {}
    assert old.by == "offender_id"
    assert (old.scheme_parent, old.scheme_derivations, old.scheme_file) == (None, (), {})
    assert old.reproduce(events, scheme=SCHEME) == ch.score(events, SCHEME, as_of=AS_OF)


def test_reproduce_takes_the_events_path_and_refuses_other_types(tmp_path: Path) -> None:
    from crimeharm import cli

    events = _met_style_events(tmp_path / "events.csv")
    out = tmp_path / "ranking.csv"
    argv = ["rank", str(events), "--as-of", AS_OF, "--id-type", "str", "-o", str(out)]
    assert cli.main(argv) == 0
    manifest = Manifest.read(manifest_path_for(out))
    want = manifest.reproduce(manifest.read_events())
    assert manifest.reproduce(str(events)) == want  # read with the recorded options
    assert manifest.reproduce(events) == want
    with pytest.raises(ch.ParameterTypeError, match="the path of the events file"):
        manifest.reproduce([1, 2, 3])  # type: ignore[arg-type]


def test_read_names_a_missing_file_or_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(DataError, match=r"nope\.json: no such manifest file") as caught:
        Manifest.read(missing)
    assert isinstance(caught.value, ch.CrimeHarmError)
    assert caught.value.source == str(missing)
    with pytest.raises(DataError, match="is a directory, not a manifest file"):
        Manifest.read(tmp_path)
    binary = tmp_path / "m.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(DataError, match="not UTF-8"):
        Manifest.read(binary)


@given(
    st.lists(
        st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=6),
        max_size=40,
    ),
    st.booleans(),
)
def test_string_fingerprint_bytes_are_lengths_then_utf32(values: list[str], pad: bool) -> None:
    """The hashed stream is each value's length, then every value's UTF-32 code units (the
    fast path for values that all fill the width gives the same bytes)."""
    from crimeharm.audit import manifest

    if pad and values:  # all of one length: the fast path
        width = max(len(v) for v in values) or 1
        values = [v.ljust(width, "x") for v in values]
    arr = np.array(values, dtype=np.str_) if values else np.empty(0, dtype="<U1")
    expected = hashlib.sha256(np.array([len(v) for v in values], dtype="<i8").tobytes())
    if arr.dtype.itemsize:
        expected.update("".join(values).encode("utf-32-le"))
    for rows in (manifest._CHUNK_ROWS, 3):  # one slice, and many
        ours = hashlib.sha256()
        chunk = manifest._CHUNK_ROWS
        manifest._CHUNK_ROWS = rows
        try:
            manifest._string_bytes(ours, arr)
        finally:
            manifest._CHUNK_ROWS = chunk
        assert ours.hexdigest() == expected.hexdigest()


def test_the_events_fingerprint_method_never_changes() -> None:
    """Manifests written earlier must still verify: crimeharm-events-v1 is pinned by digests
    computed when the method was defined (strings and categories, text and integer ids)."""
    rng = np.random.default_rng(7)
    n = 5000
    ids = np.array([f"P-{k:05d}" if k % 7 else f"Q{k}" for k in rng.integers(0, 900, n)])
    codes = np.array(["105/01", "8/1", "028/01", "10A", "x\u00e9"])[rng.integers(0, 5, n)]
    dates = np.datetime64("2020-01-01") + rng.integers(0, 1000, n).astype("timedelta64[D]")
    victims = np.array([f"V{k}" for k in rng.integers(0, 100000, n)])
    boroughs = np.array(["Barnet", "Brent", "City of London"])[rng.integers(0, 3, n)]
    events = ch.Events(
        offender_id=ids,
        offence_code=codes,
        date=dates,
        victim_id=victims,
        columns={"borough": boroughs},
    )
    int_ids = rng.integers(0, 10**12, n)
    two = np.array(["105/01", "028/01"])[rng.integers(0, 2, n)]
    numbers = ch.Events(offender_id=int_ids, offence_code=two, date=dates)
    assert fingerprint_events(events) == (
        "a0b02ea43435b7446dd52f77f23ac00a8f860b9b2cdd29358a0dd54e5be78886"
    )
    assert fingerprint_events(events, by="borough") == (
        "1643cdcc6bd72a647b7a478cab04b16c4ccfd5a969927fe95949da881be9317d"
    )
    assert fingerprint_events(numbers) == (
        "13a77217fed689efaaa504909703262699cc0770c8a0c7ad08b1e6f80dc792ff"
    )
