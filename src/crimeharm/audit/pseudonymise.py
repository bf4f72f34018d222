"""Keyed pseudonyms for offender and victim ids (HMAC-SHA256), for sharing scores and events.

This is pseudonymisation, not anonymisation. Anyone holding the key can re-create the mapping
from a list of real ids, and pseudonymised records can still single people out (a rare offence
on a known date). Under the UK and EU GDPR (Article 4(5), Recital 26) pseudonymised data is
still personal data: keep the key apart from the data, share the data only under the same
safeguards, and destroy the key when linkage is no longer needed.

Each id's text form (a decimal integer, or the string itself) is encoded as UTF-8 and hashed
with HMAC-SHA256 under the key; the pseudonym is the first ``length`` hex digits of the digest.
So the integer 123 and the string "123" get the same pseudonym, and a person who is both an
offender and a victim gets the same pseudonym in both columns (records stay linkable). Each
distinct id is hashed once. The key is never stored, logged or put in a result.

Ranking order: harm order is kept, but ties in harm are ordered by offender id, so after
pseudonymising, tied offenders are re-ordered by their pseudonym (and a [`Scores`][crimeharm.Scores]
table is re-sorted by pseudonym). ``pseudonymise(scores).ranking()`` equals
``pseudonymise(scores.ranking())``; a truncated top n whose last place is tied may differ from the
top n of the pseudonymised scores.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import numpy as np
import numpy.typing as npt

from ..core import ranking as _ranking
from ..core.events import Events, is_missing
from ..core.results import Ranking, Scores
from ..errors import ParameterError

__all__ = ["KEY_ENV", "MIN_KEY_BYTES", "load_key", "pseudonymise", "pseudonymise_ids"]

MIN_KEY_BYTES = 16
#: The environment variable a pseudonymisation key may be given in (its UTF-8 bytes).
KEY_ENV = "CRIMEHARM_PSEUDONYM_KEY"
T = TypeVar("T", Events, Scores, Ranking)


def _check_key(key: Any) -> bytes:
    if not isinstance(key, (bytes, bytearray, memoryview)):
        msg = (
            "key must be bytes (e.g. secrets.token_bytes(32), kept apart from the data); "
            f"got {type(key).__name__}"
        )
        raise ParameterError(msg)
    raw = bytes(key)
    if len(raw) < MIN_KEY_BYTES:
        msg = f"key must be at least {MIN_KEY_BYTES} bytes long (got {len(raw)} bytes)"
        raise ParameterError(msg)
    return raw


def _check_length(length: Any) -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        msg = f"length must be a whole number of hex digits (got {length!r})"
        raise ParameterError(msg)
    if not 8 <= length <= 64:
        msg = f"length must be between 8 and 64 hex digits (got {length})"
        raise ParameterError(msg)
    return int(length)


def load_key(key_file: str | Path | None = None, *, env: str = KEY_ENV) -> bytes:
    """The pseudonymisation key: the bytes of ``key_file``, else of the environment variable.

    A key file's bytes are the key exactly as stored, a final line end included (as
    ``crimeharm report --key-file`` reads it, so both give the same pseudonyms); make one with
    e.g. ``head -c 32 /dev/urandom > key``. The environment variable holds text (e.g.
    ``secrets.token_hex(32)``), used as its UTF-8 bytes. A key is at least 16 bytes and is never
    taken from a command-line argument (it would be visible to other users and in the shell's
    history). Raises [`ParameterError`][crimeharm.ParameterError] if neither is given or the
    key is too short.
    """
    if key_file is not None:
        raw = Path(key_file).read_bytes()
        where = f"the key file {str(key_file)!r}"
    else:
        text = os.environ.get(env)
        if not text:
            msg = f"no pseudonymisation key: set the environment variable {env} or pass a key file"
            raise ParameterError(msg)
        raw = text.encode("utf-8")
        where = f"the environment variable {env}"
    if len(raw) < MIN_KEY_BYTES:
        msg = f"{where} holds {len(raw)} bytes; a key needs at least {MIN_KEY_BYTES}"
        raise ParameterError(msg)
    return raw


class _Hmac:
    """HMAC-SHA256 (RFC 2104) with the keyed inner and outer states computed once.

    Equal to ``hmac.new(key, msg, "sha256")``; about twice as fast for many short messages.
    """

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _factorise(arr: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[np.intp]]:
    """Distinct values (sorted) and each element's index among them, by one stable sort."""
    order = np.argsort(arr, kind="stable")
    ordered = arr[order]
    new = np.empty(arr.size, dtype=bool)
    new[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(arr.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def pseudonymise_ids(values: npt.ArrayLike, key: bytes, *, length: int = 16) -> npt.NDArray[Any]:
    """Hex pseudonyms (``<U{length}``) for an array of int or string ids, one per element.

    A blank text id is a missing id (e.g. an event with no victim) and stays blank.
    """
    raw = _check_key(key)
    width = _check_length(length)
    arr = np.asarray(values)
    if arr.ndim != 1:
        msg = f"ids must be 1-D (got shape {arr.shape})"
        raise ParameterError(msg)
    if arr.size == 0:
        return np.empty(0, dtype=f"<U{width}")
    if arr.dtype.kind == "O":
        missing = np.flatnonzero([v is None or (isinstance(v, float) and v != v) for v in arr])
        if missing.size:
            msg = (
                f"ids must not be missing: {missing.size:,} of {arr.size:,} are None or NaN "
                f"(the first at position {int(missing[0])}); drop or fill them first"
            )
            raise ParameterError(msg)
        kinds = {type(v) for v in arr.tolist()}
        if len(kinds) > 1 and not kinds <= {int, np.int64}:
            names = ", ".join(sorted(k.__name__ for k in kinds))
            msg = f"ids must all be text or all whole numbers (got {names})"
            raise ParameterError(msg)
    distinct, inverse = _factorise(arr)
    keyed = _Hmac(raw)
    digests = np.array(
        [
            keyed.hexdigest(str(v).encode("utf-8", "surrogatepass"))[:width]
            for v in distinct.tolist()
        ],
        dtype=f"<U{width}",
    )
    blank = is_missing(distinct) if distinct.dtype.kind == "U" else np.zeros(0, dtype=bool)
    if blank.any():
        digests[blank] = ""  # a missing id (blank) stays missing
        given = digests[~blank]
    else:
        given = digests
    if np.unique(given).size != given.size:
        msg = f"two ids share a {width}-digit pseudonym; use a larger length"
        raise ParameterError(msg)
    return digests[inverse.reshape(-1)]


def _events(events: Events, key: bytes, columns: Sequence[str] | None, length: int) -> Events:
    explicit = columns is not None
    names = ["offender_id", "victim_id"] if columns is None else list(columns)
    changes: dict[str, Any] = {}
    extra = dict(events.columns)
    for name in names:
        if name in ("offender_id", "victim_id", "crime_id"):
            column = getattr(events, name)
            if column is None:
                if explicit:
                    msg = f"the events have no {name!r} column to pseudonymise"
                    raise ParameterError(msg)
                continue
            changes[name] = pseudonymise_ids(column, key, length=length)
        elif name in extra:
            extra[name] = pseudonymise_ids(extra[name], key, length=length)
        else:
            msg = f"the events have no column {name!r}; columns: {', '.join(events.column_names)}"
            raise ParameterError(msg)
    if extra != dict(events.columns):
        changes["columns"] = extra
    return attrs.evolve(events, **changes)


def _rows(table: Scores | Ranking, ids: npt.NDArray[Any], order: npt.NDArray[np.intp]) -> Any:
    picked: dict[str, Any] = {
        "offender_id": ids[order],
        "harm": table.harm[order],
        "n_events": table.n_events[order],
        "first_date": table.first_date[order],
        "last_date": table.last_date[order],
        "victims": None if table.victims is None else table.victims[order],
    }
    if isinstance(table, Scores) and table.exact is not None:
        picked["exact"] = table.exact.take(order)
    return attrs.evolve(table, **picked)


def pseudonymise(
    data: T,
    key: bytes,
    *,
    columns: Sequence[str] | None = None,
    length: int = 16,
) -> T:
    """The same kind of object with ids replaced by keyed pseudonyms (hex strings).

    ``data`` is [`Events`][crimeharm.Events], [`Scores`][crimeharm.Scores] or
    [`Ranking`][crimeharm.Ranking]. For events, ``columns`` defaults to ``offender_id`` and
    ``victim_id`` where present (``crime_id`` and extra columns may be named); scores and rankings
    carry only ``offender_id``. ``key`` is at least 16 random bytes held by the user; ``length`` is
    8..64 hex digits (16 = 64 bits: collisions are negligible below ~10**8 distinct ids).
    """
    _check_key(key)
    _check_length(length)
    if isinstance(data, Events):
        events_out: object = _events(data, key, columns, length)
        return cast(T, events_out)
    if not isinstance(data, (Scores, Ranking)):
        msg = f"pseudonymise takes Events, Scores or Ranking (got {type(data).__name__})"
        raise ParameterError(msg)
    if columns is not None and list(columns) != ["offender_id"]:
        msg = "scores and rankings carry only 'offender_id' to pseudonymise"
        raise ParameterError(msg)
    ids = pseudonymise_ids(data.offender_id, key, length=length)
    if isinstance(data, Scores):
        return cast(T, _rows(data, ids, np.argsort(ids, kind="stable").astype(np.intp)))
    order = _ranking.ranking_order(ids, data.harm)
    out = _rows(data, ids, order)
    return cast(T, attrs.evolve(out, rank=data.rank.copy()))
