"""Keyed pseudonyms: deterministic per key, HMAC-SHA256 as documented, order kept up to ties."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.audit.pseudonymise import pseudonymise, pseudonymise_ids
from crimeharm.errors import ParameterError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AS_OF = "2023-07-18"
SCHEME = ch.WeightScheme.from_mapping({"A": 1.0, "B": 2.0, "C": 5.0}, name="toy")


def _events(seed: int = 0, n: int = 400, *, strings: bool = False) -> ch.Events:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 60, n)
    return ch.Events(
        offender_id=ids.astype(str) if strings else ids,
        offence_code=rng.choice(["A", "B", "C"], n),
        date=np.datetime64("2021-01-01") + rng.integers(0, 900, n),
        victim_id=rng.integers(0, 100, n),
        crime_id=np.arange(n),
    )


def test_digest_is_hmac_sha256_of_the_id_text() -> None:
    got = pseudonymise_ids(np.array([123, 7, 123]), KEY, length=20)
    want = hmac.new(KEY, b"123", hashlib.sha256).hexdigest()[:20]
    assert got.tolist()[0] == want
    assert got[0] == got[2]
    assert got[0] != got[1]
    assert pseudonymise_ids(np.array(["123"]), KEY, length=20)[0] == want  # int and text agree


def test_deterministic_for_a_key_and_different_across_keys() -> None:
    events = _events(1)
    a = pseudonymise(events, KEY)
    b = pseudonymise(events, KEY)
    c = pseudonymise(events, OTHER_KEY)
    assert a == b
    assert not np.array_equal(a.offender_id, c.offender_id)
    assert a.offender_id.dtype.kind == "U"
    assert all(len(v) == 16 for v in a.offender_id.tolist())
    # the mapping is one-to-one: equal pseudonyms iff equal ids
    same_before = events.offender_id[:, None] == events.offender_id[None, :]
    same_after = a.offender_id[:, None] == a.offender_id[None, :]
    assert np.array_equal(same_before, same_after)
    # victims pseudonymised too, with the same mapping; other columns untouched
    assert np.array_equal(a.victim_id, pseudonymise_ids(events.victim_id, KEY))
    assert np.array_equal(a.crime_id, events.crime_id)
    assert np.array_equal(a.offence_code, events.offence_code)
    assert np.array_equal(a.date, events.date)


def test_columns_option() -> None:
    events = _events(2)
    only = pseudonymise(events, KEY, columns=["crime_id"])
    assert np.array_equal(only.offender_id, events.offender_id)
    assert np.array_equal(only.crime_id, pseudonymise_ids(events.crime_id, KEY))
    bare = ch.Events(offender_id=[1], offence_code=["A"], date=["2022-01-01"])
    assert pseudonymise(bare, KEY).victim_id is None  # default columns: where present
    with pytest.raises(ParameterError, match="victim_id"):
        pseudonymise(bare, KEY, columns=["victim_id"])
    with pytest.raises(ParameterError, match="no column 'nope'"):
        pseudonymise(bare, KEY, columns=["nope"])


@settings(max_examples=25)
@given(seed=st.integers(0, 2**31), strings=st.booleans())
def test_scoring_commutes_with_pseudonymising(seed: int, strings: bool) -> None:
    events = _events(seed, 300, strings=strings)
    scores = ch.score(events, SCHEME, as_of=AS_OF)
    p_scores = pseudonymise(scores, KEY)
    direct = ch.score(pseudonymise(events, KEY), SCHEME, as_of=AS_OF)
    assert np.array_equal(p_scores.offender_id, direct.offender_id)  # sorted by pseudonym
    assert np.allclose(p_scores.harm, direct.harm, rtol=1e-12)
    assert np.array_equal(p_scores.n_events, direct.n_events)
    ranking = pseudonymise(scores.ranking(), KEY)
    assert np.array_equal(ranking.offender_id, p_scores.ranking().offender_id)
    # harm order is kept exactly; only ties may be re-ordered
    assert np.array_equal(ranking.harm, scores.ranking().harm)
    assert np.array_equal(ranking.rank, np.arange(1, len(ranking) + 1))
    back = dict(
        zip(pseudonymise_ids(scores.offender_id, KEY).tolist(), scores.harm.tolist(), strict=True)
    )
    assert [back[i] for i in ranking.offender_id.tolist()] == ranking.harm.tolist()


def test_ties_are_reordered_by_pseudonym() -> None:
    events = ch.Events(offender_id=[1, 2, 3, 4], offence_code=["A"] * 4, date=["2022-01-01"] * 4)
    ranking = ch.score(events, SCHEME, as_of=AS_OF).ranking()
    p = pseudonymise(ranking, KEY)
    assert p.offender_id.tolist() == sorted(p.offender_id.tolist())


def test_key_and_length_checks() -> None:
    events = _events(3, 20)
    with pytest.raises(ParameterError, match="bytes"):
        pseudonymise(events, "a passphrase")  # type: ignore[type-var, arg-type]
    with pytest.raises(ParameterError, match="at least 16 bytes"):
        pseudonymise(events, b"short")
    with pytest.raises(ParameterError, match="between 8 and 64"):
        pseudonymise(events, KEY, length=4)
    with pytest.raises(ParameterError, match="only 'offender_id'"):
        pseudonymise(ch.score(events, SCHEME, as_of=AS_OF), KEY, columns=["victim_id"])
    full = pseudonymise_ids(np.array([1]), KEY, length=64)
    assert full[0] == hmac.new(KEY, b"1", hashlib.sha256).hexdigest()


def test_the_key_is_not_kept() -> None:
    events = _events(4, 30)
    p_scores = pseudonymise(ch.score(events, SCHEME, as_of=AS_OF), KEY)
    text = repr(p_scores) + repr(pseudonymise(events, KEY)) + repr(p_scores.params)
    assert KEY.hex() not in text
    assert repr(KEY) not in text


@settings(max_examples=50)
@given(
    key=st.binary(min_size=16, max_size=200),
    ids=st.lists(
        # numpy strings cannot end in NUL, so no id can
        st.text(st.characters(exclude_characters="\x00"), min_size=1),
        max_size=5,
    ),
)
def test_matches_the_standard_hmac_for_any_key(key: bytes, ids: list[str]) -> None:
    got = pseudonymise_ids(np.array(ids, dtype=str), key, length=64).tolist()
    want = [hmac.new(key, i.encode("utf-8", "surrogatepass"), hashlib.sha256) for i in ids]
    # lone surrogates hash as their UTF-8 form; a blank id is a missing one and stays blank
    assert got == ["" if not i.strip() else h.hexdigest() for i, h in zip(ids, want, strict=True)]


def test_missing_or_mixed_ids_are_a_clear_error() -> None:
    with pytest.raises(ParameterError, match=r"1 of 3 are None or NaN \(the first at position 1\)"):
        ch.pseudonymise_ids(np.array(["a", None, "b"], dtype=object), KEY)
    with pytest.raises(ch.ParameterError, match="all be text or all whole numbers"):
        ch.pseudonymise_ids(np.array(["a", 1], dtype=object), KEY)


def test_key_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crimeharm.audit.pseudonymise import KEY_ENV, load_key

    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ch.ParameterError, match=KEY_ENV):
        load_key()
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(ch.ParameterError, match="holds 5 bytes; a key needs at least 16"):
        load_key()
    monkeypatch.setenv(KEY_ENV, "0123456789abcdef0123")
    assert load_key() == b"0123456789abcdef0123"
    key_file = tmp_path / "key"
    key_file.write_bytes(b"\x00\x01" * 16 + b"\n")
    assert load_key(key_file) == b"\x00\x01" * 16 + b"\n"  # the file wins, byte for byte


def test_blank_ids_stay_missing() -> None:
    """A blank victim id (no victim) is missing, not a person: its pseudonym stays blank."""
    key = b"k" * 32
    out = pseudonymise_ids(np.array(["", "a", " ", "a"]), key)
    assert out[0] == ""
    assert out[2] == ""
    assert out[1] == out[3] != ""
