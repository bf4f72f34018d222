"""The id policy: how offender, victim and crime ids read from a file or frame are compared.

One rule for every reader (CSV, Parquet, pandas, Arrow, polars), applied to the distinct values
of an id column before any row uses them:

1. **Trim**: surrounding whitespace is removed (``str.strip``).
2. **Missing**: an empty value or a null marker (``crimeharm.io.normalise.NULL_MARKERS``).
3. **Control characters** (Unicode category Cc: U+0000-U+001F, U+007F-U+009F, tab and NUL
   included) left inside an id after trimming are refused: the row is an error naming the
   position and the character, never the id (``"A\\0"`` would otherwise look like ``"A"``).
4. **Unicode NFC**: ids are compared in Unicode normal form C, so "José" typed with a composed
   ``é`` and with ``e`` + combining accent is one person.
5. **Integers under id_type="auto"**: a column is read as int64 only when every id round-trips
   exactly, that is ``str(int(id)) == id``: ``"7"``, ``"-12"``, ``"0"``. ``"007"``, ``"+7"``,
   ``"-0"``, ``"7.0"`` keep the column as text, so ``"007"`` and ``"7"`` stay two people.
   ``id_type="int"`` is an explicit request: any sign-and-digits value (``"007"``, ``"+7"``) is
   read as its number. ``id_type="str"`` keeps every id as text.
6. **Merges are reported**: when two different raw ids become one id by rules 1 and 4, the
   reader warns with [`IdMergeWarning`][crimeharm.io.IdMergeWarning], giving how many (never the
   ids).
"""

from __future__ import annotations

import contextlib
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import normalise
from .arrays import arrow_of, arrow_strings, numpy_of

__all__ = [
    "IdMergeWarning",
    "IdTable",
    "control_note",
    "id_table_from_arrow",
    "id_table_from_values",
    "merge_message",
]

#: Arrow regex of a control character (Unicode category Cc).
_CONTROL_RE = "[\\x{0000}-\\x{001f}\\x{007f}-\\x{009f}]"
#: Arrow regex of an id that round-trips through int64's text (19 digits checked apart).
_ROUND_TRIP_RE = "^(0|-?[1-9][0-9]{0,18})$"


class IdMergeWarning(UserWarning):
    """Distinct raw ids became one id after trimming and Unicode normalisation."""


class IdTable:
    """The id policy applied to the distinct raw values of one id column.

    Arrays have one entry per distinct raw value plus a last sentinel entry (a missing id), so
    ``table.text[index]`` with ``index == -1`` for a null gives the rows' ids. ``text`` is
    built on first use (a column of integer ids never needs it).
    """

    def __init__(
        self,
        text: Callable[[], npt.NDArray[np.str_]],
        missing: npt.NDArray[np.bool_],
        control: npt.NDArray[np.bool_],
        exact_int: npt.NDArray[np.bool_],
        ints: npt.NDArray[np.int64],
        merged: int,
    ) -> None:
        self._make_text = text
        self._text: npt.NDArray[np.str_] | None = None
        self.missing = missing  # after trimming: empty or a null marker (sentinel: True)
        self.control = control  # holds a control character after trimming
        self.exact_int = exact_int  # round-trips as int64 (rule 5)
        self.ints = ints  # the int64 where exact_int, else 0
        self.merged = merged  # distinct raw values (not missing) sharing their id with another

    @property
    def text(self) -> npt.NDArray[np.str_]:
        """Trimmed, NFC text of each entry ("" when missing)."""
        if self._text is None:
            self._text = self._make_text()
        return self._text

    def lenient_ints(self) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
        """Entries that are sign-and-digits within int64 (``"007"``, ``"+7"``), and their value."""
        plain = normalise.plain_int_mask(self.text) & ~self.missing & ~self.control
        return plain, normalise.to_int64(self.text, plain)


def control_note(text: str) -> str:
    """Where the first control character of ``text`` is, without showing ``text``."""
    for k, char in enumerate(text):
        if unicodedata.category(char) == "Cc":
            return f"holds the control character U+{ord(char):04X} at character {k + 1}"
    return "holds a control character"


def _exact_int(text: npt.NDArray[np.str_]) -> npt.NDArray[np.bool_]:
    """Where unicode ``text`` is the decimal text of an int64 exactly (rule 5)."""
    plain = normalise.plain_int_mask(text)
    if not plain.any():
        return plain
    width = max(text.dtype.itemsize // 4, 1)
    chars = np.ascontiguousarray(text).view(np.uint32).reshape(text.shape[0], width)
    first = chars[:, 0]
    negative = first == ord("-")
    second = chars[:, 1] if width > 1 else np.zeros_like(first)
    lead = np.where(negative, second, first)
    length = np.char.str_len(text)
    exact: npt.NDArray[np.bool_] = plain & (first != ord("+"))
    exact &= (lead != ord("0")) | ((length == 1) & ~negative)  # no "007", "-0"
    return exact


def _with_sentinel(
    text: npt.NDArray[np.str_], missing: npt.NDArray[np.bool_]
) -> npt.NDArray[np.str_]:
    """``text`` with "" where missing and a last "" entry (the sentinel), in one copy."""
    out = np.empty(text.shape[0] + 1, dtype=text.dtype if text.size else "<U1")
    out[:-1] = text
    out[-1] = ""
    if missing.any():
        out[:-1][missing] = ""
    return out


def _unicode(strings: Any, *, sentinel: bool = False) -> npt.NDArray[np.str_]:
    """An Arrow string array (no nulls) as a numpy unicode array (plus a last "" if
    ``sentinel``).

    ASCII text goes from the array's buffers to numpy's fixed-width layout (no Python object
    per value); other text goes through Python strings.
    """
    import pyarrow.compute as pc

    n = len(strings)
    extra = 1 if sentinel else 0
    offsets, data = _layout(strings)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    if width == 0:
        return np.full(n + extra, "", dtype="<U1")
    if not pc.all(pc.string_is_ascii(strings)).as_py() or n * width > 4 * (data.size + n):
        values = strings.to_numpy(zero_copy_only=False)
        text = np.asarray(values.astype(np.str_))
        return np.append(text, np.array([""], dtype=text.dtype)) if sentinel else text
    # every value padded with NUL to one width (numpy's unicode layout ends a shorter value
    # with NULs), then each byte widened to a UCS-4 code unit in one pass; values all of one
    # length (the usual id such as "P-0012345") are already laid out so
    if int(lengths.min()) == width:
        cells = data
    else:
        _, cells = _layout(pc.utf8_rpad(strings, width=width, padding="\x00"))
    out = np.empty(n + extra, dtype=f"<U{width}")  # UCS-4: a code unit per ASCII byte
    out.view(np.uint32).reshape(n + extra, width)[:n] = cells.reshape(n, width)
    if sentinel:
        out[n] = ""
    return out


def id_table_from_values(values: Sequence[Any]) -> IdTable:
    """The policy on distinct Python values (str, bytes, int, float; None for missing)."""
    texts: list[str] = []
    missing_l: list[bool] = []
    for value in values:
        if value is None or (isinstance(value, float) and value != value):
            texts.append("")
            missing_l.append(True)
            continue
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogateescape")
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        text = unicodedata.normalize("NFC", str(value).strip())
        texts.append(text)
        missing_l.append(normalise.is_null_text(text))
    arr = np.array(texts, dtype=np.str_) if texts else np.empty(0, dtype="<U1")
    missing = np.array(missing_l, dtype=bool)
    control = np.array([any(unicodedata.category(c) == "Cc" for c in t) for t in texts], bool)
    exact = _exact_int(arr) & ~missing & ~control
    ints = np.zeros(arr.shape[0], dtype=np.int64)
    if exact.any():
        ints[exact] = arr[exact].astype(np.int64)
    raw = {v for v, m in zip(values, missing_l, strict=True) if not m}
    merged = len(raw) - len({t for t, m in zip(texts, missing_l, strict=True) if not m})
    full = _with_sentinel(arr, missing)
    return IdTable(
        lambda: full,
        np.append(missing, True),
        np.append(control, False),
        np.append(exact, False),
        np.append(ints, 0),
        merged,
    )


def _starts_like_numbers(strings: Any) -> bool:
    """Whether every value of an Arrow string array starts with a digit or a minus (cheap:
    a byte per value), before trying a cast that would fail slowly on text ids."""
    n = len(strings)
    _, offsets_buf, data_buf = strings.buffers()
    if n == 0 or data_buf is None:
        return n == 0
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[strings.offset : strings.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    starts = offsets[:-1]
    if (np.diff(offsets) == 0).any():
        return False
    first = data[starts]
    return bool((((first >= 0x30) & (first <= 0x39)) | (first == 0x2D)).all())


def _no_leading_zero(strings: Any) -> bool:
    """Whether no value of an Arrow string array (no nulls) starts with ``0`` or ``-0`` and
    goes on (``"007"``, ``"0x1F"``, ``"-0"``): read from the array's offsets, a byte per value.

    With a successful cast to int64 (digits with an optional minus, hex with ``0x``), this is
    exactly rule 5: the text is ``str(int(text))``.
    """
    n = len(strings)
    if n == 0:
        return True
    _, offsets_buf, data_buf = strings.buffers()
    if data_buf is None:
        return False
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[strings.offset : strings.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8)
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    if (lengths == 0).any():
        return False
    first = data[starts]
    second = data[np.minimum(starts + 1, data.shape[0] - 1)]
    zero_lead = (first == 0x30) & (lengths > 1)
    minus_zero = (first == 0x2D) & (second == 0x30)
    return not bool((zero_lead | minus_zero).any())


def _plain_ascii_ends(strings: Any) -> bool:
    """Whether every non-empty value of an Arrow string array (no nulls) starts and ends with
    a visible ASCII character (``!`` to ``~``), so trimming whitespace would change nothing:
    read from the array's offsets, two bytes per value."""
    offsets, data = _layout(strings)
    if data.size == 0:
        return True
    base = offsets[:-1] - offsets[0]
    lengths = np.diff(offsets)
    full = lengths > 0
    ends = np.concatenate([data[base[full]], data[base[full] + lengths[full] - 1]])
    return bool(((ends >= 0x21) & (ends <= 0x7E)).all())


def id_table_from_arrow(dictionary: Any) -> IdTable:
    """The policy on an Arrow array of values (strings; others go through Python values).

    The values need not be distinct (a whole id column works): every array is per entry.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = dictionary.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return id_table_from_values(dictionary.to_pylist())
    null = np.asarray(numpy_of(dictionary.is_null()), dtype=bool)
    # the common export: every id a plain integer, as written (the cast refuses "+7", " 7")
    ints_a = None
    if not dictionary.null_count and _starts_like_numbers(dictionary):
        with contextlib.suppress(pa.ArrowInvalid):
            ints_a = pc.cast(dictionary, pa.int64())
    if ints_a is not None and _no_leading_zero(dictionary):
        ints = np.asarray(numpy_of(ints_a), dtype=np.int64)
        none = np.zeros(len(dictionary) + 1, dtype=bool)
        every = np.ones(len(dictionary) + 1, dtype=bool)
        every[-1] = False
        return IdTable(
            lambda: _unicode(dictionary, sentinel=True),  # ASCII digits, as written
            ~every,
            none,
            every,
            np.append(ints, 0),
            0,
        )
    raw = dictionary.fill_null("") if dictionary.null_count else dictionary
    if _plain_ascii_ends(raw):  # nothing to trim: the values are their own trimmed text
        trimmed, changed = raw, False
    else:
        trimmed = pc.utf8_trim_whitespace(raw)
        changed = not pc.all(pc.equal(trimmed, raw)).as_py()
    ascii_only = bool(pc.all(pc.string_is_ascii(trimmed)).as_py() is not False)
    if not ascii_only:
        trimmed = pc.utf8_normalize(trimmed, form="NFC")
        changed = True
    n = len(trimmed)
    offsets, data = _layout(trimmed)
    lengths = np.diff(offsets)
    missing = null | (lengths == 0)
    short = np.flatnonzero((lengths > 0) & (lengths <= max(map(len, normalise.NULL_MARKERS))))
    if short.size:  # only short values can be a marker such as "NULL" or "n/a"
        few = trimmed.take(arrow_of(short))
        marker = pc.is_in(
            pc.utf8_lower(few), value_set=arrow_strings(sorted(normalise.NULL_MARKERS))
        )
        missing[short[np.asarray(numpy_of(marker), dtype=bool)]] = True
    if ascii_only:  # a control byte is a control character; find its rows from the offsets
        bad = np.flatnonzero((data < 0x20) | (data == 0x7F)) if data.size else data
        control = np.zeros(n, dtype=bool)
        if bad.size:
            control[np.searchsorted(offsets, bad + offsets[0], side="right") - 1] = True
    else:
        control = np.asarray(numpy_of(pc.match_substring_regex(trimmed, _CONTROL_RE)), bool)
    exact = np.zeros(n, dtype=bool)
    ints = np.zeros(n, dtype=np.int64)
    if n and data.size:
        first = data[np.minimum(offsets[:-1] - offsets[0], data.size - 1)]
        numeric = ((first >= 0x30) & (first <= 0x39)) | (first == 0x2D)
        if numeric.any():  # only those can be integer ids
            exact_a = pc.match_substring_regex(trimmed, _ROUND_TRIP_RE)
            exact = np.asarray(numpy_of(exact_a), dtype=bool)
            exact &= ~missing & ~control
    if exact.any():
        try:
            digits = pc.if_else(arrow_of(exact), trimmed, pa.scalar("0"))
            ints = np.array(numpy_of(pc.cast(digits, pa.int64())), dtype=np.int64)
        except pa.ArrowInvalid:  # 19 digits beyond int64: not an integer id
            exact &= ~(lengths >= 19)
            digits = pc.if_else(arrow_of(exact), trimmed, pa.scalar("0"))
            ints = np.array(numpy_of(pc.cast(digits, pa.int64())), dtype=np.int64)
    merged = 0
    if changed:  # distinct raw values against distinct ids, both without the missing ones
        keep = arrow_of(~missing)
        merged = len(pc.unique(dictionary.filter(keep))) - len(pc.unique(trimmed.filter(keep)))

    def text() -> npt.NDArray[np.str_]:
        out = _unicode(trimmed, sentinel=True)
        if missing.any():
            out[:-1][missing] = ""
        return out

    return IdTable(
        text,
        np.append(missing, True),
        np.append(control, False),
        np.append(exact, False),
        np.append(ints, 0),
        merged,
    )


def _layout(strings: Any) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    """The offsets (``n + 1``) and the bytes of an Arrow string array, as numpy views."""
    n = len(strings)
    _, offsets_buf, data_buf = strings.buffers()
    if offsets_buf is None:
        return np.zeros(n + 1, dtype=np.int32), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[strings.offset : strings.offset + n + 1]
    if data_buf is None:
        return offsets, np.zeros(0, dtype=np.uint8)
    data = np.frombuffer(data_buf, dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return offsets, data


def merge_message(field: str, column: str, source: str, merged: int) -> str:
    """The warning text for ``merged`` raw ids that became others (no id shown)."""
    values = "value" if merged == 1 else "values"
    return (
        f"{source}, column {column!r}: {merged:,} distinct raw {field} {values} became the same "
        "id as another after trimming spaces and Unicode NFC normalisation, and count as one "
        "person (ids not shown; see 'The id policy' in docs/preparing-data.md)"
    )
