"""Output for the command line: ranking tables, CSV and JSON, atomic files, a progress line.

Nothing here prints by itself; functions return text or write to the stream or file given.
Offender ids appear only in the ranking rows a caller asked to render.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..core.events import Events
    from ..core.results import Ranking, Report, ScoreParams

__all__ = [
    "FORMATS",
    "Progress",
    "atomic_write",
    "describe_params",
    "describe_report",
    "format_table",
    "ranking_csv",
    "ranking_json",
    "ranking_table",
    "records_csv",
    "write_events_csv",
]

FORMATS = ("table", "csv", "json")


# -- files ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path: str | Path, *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open a temporary file next to ``path`` for writing text; on success it replaces ``path``.

    The data is flushed and fsync'ed before ``os.replace``, so ``path`` holds either its old
    content or the complete new one, never a truncated file (an interrupt or an error removes
    the temporary file). A new file is readable by the owner only (0600: rankings name
    people); a file replaced keeps its permissions.
    """
    target = Path(os.path.realpath(path))  # through a symlink: replace the file it names
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    directory = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:  # name the file asked for, not the temporary one
        raise type(exc)(exc.errno, exc.strerror, str(target)) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).chmod(target.stat().st_mode & 0o7777)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- describing a score --------------------------------------------------------------------------


def describe_params(params: ScoreParams, *, unit: str = "") -> str:
    """One line: scheme, as_of, window and decay of a score."""
    about = ", ".join(x for x in (params.scheme_version, unit) if x)
    about = f" ({about})" if about else ""
    window = "none" if params.window_days is None else f"{params.window_days} days"
    decay = params.decay
    if params.decay_params:
        decay += " (" + ", ".join(f"{k}={_plain(v)}" for k, v in params.decay_params.items()) + ")"
    unknown = ""
    if params.on_unknown == "skip":
        unknown = "  unknown codes: skipped"
    elif params.on_unknown == "fallback":
        unknown = f"  unknown codes: weight {_plain(params.fallback_weight)}"
    return (
        f"scheme: {params.scheme}{about}  as_of: {params.as_of}  "
        f"window: {window}  decay: {decay}{unknown}"
    )


def describe_report(report: Report) -> str:
    """One line: rows counted of the total, and why the others were left out."""
    line = f"rows: {report.counted:,} counted of {report.total:,}"
    if report.excluded_total:
        reasons = sorted(report.excluded.items(), key=lambda kv: (-kv[1], kv[0]))
        listed = ", ".join(f"{reason} {count:,}" for reason, count in reasons if count)
        line += f" ({report.excluded_total:,} not counted: {listed})"
    return line


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- tables --------------------------------------------------------------------------------------


def format_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, right: Sequence[str] = ()
) -> str:
    """Plain-text columns separated by two spaces; ``right`` columns are right-aligned."""
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if c in right else v.ljust(w)
            for v, w, c in zip(values, widths, columns, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(columns), *(line(r) for r in cells)])


def _ranking_columns(ranking: Ranking) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {
        "rank": ranking.rank.tolist(),
        ranking.by: ranking.offender_id.tolist(),  # the key column under its name
        "harm": ranking.harm.tolist(),
        "count": ranking.n_events.tolist(),
        "first": ranking.first_date.astype(str).tolist(),
        "last": ranking.last_date.astype(str).tolist(),
    }
    if ranking.victims is not None:
        columns["victims"] = ranking.victims.tolist()
    return columns


def ranking_table(ranking: Ranking, header: Sequence[str] = ()) -> str:
    """Header lines, then one aligned row per offender (harm to 2 decimals)."""
    columns = _ranking_columns(ranking)
    columns["harm"] = [f"{h:,.2f}" for h in columns["harm"]]
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    numeric = ("rank", "harm", "count", "victims")
    body = format_table(rows, names, right=numeric) if rows else "(no offender has counted events)"
    return "\n".join([*header, "", body]) + "\n" if header else body + "\n"


def records_csv(columns: Mapping[str, Sequence[Any]]) -> str:
    """CSV text (header row, then rows) from equal-length columns; floats written exactly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(columns))
    values = [[repr(v) if isinstance(v, float) else v for v in col] for col in columns.values()]
    writer.writerows(zip(*values, strict=True))
    return buffer.getvalue()


def ranking_csv(ranking: Ranking) -> str:
    """The ranking as CSV: rank, offender_id, harm, count, first, last[, victims]."""
    return records_csv(_ranking_columns(ranking))


def ranking_json(ranking: Ranking, extra: Mapping[str, Any] | None = None) -> str:
    """``{"params": ..., "report": ..., "ranking": [...], **extra}`` as indented JSON."""
    document: dict[str, Any] = {
        "params": ranking.params.to_dict(),
        "report": ranking.report.to_dict(),
        "ranking": ranking.to_records(),
    }
    document.update(extra or {})
    return json.dumps(document, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    msg = f"cannot write {type(value).__name__} as JSON"
    raise TypeError(msg)


def write_events_csv(events: Events, fh: IO[str]) -> None:
    """Events as CSV (offender_id, offence_code, date, victim_id, crime_id, extra columns)."""
    writer = csv.writer(fh, lineterminator="\n")
    names = events.column_names
    writer.writerow(names)
    columns = [
        events[name].astype(str).tolist()
        if events[name].dtype.kind == "M"
        else events[name].tolist()
        for name in names
    ]
    writer.writerows(zip(*columns, strict=True))


# -- progress ------------------------------------------------------------------------------------


class Progress:
    """A one-line progress display (``\\r``-rewritten) for a terminal; no dependency.

    ``expected`` is an estimate of the rows to come (shown as a percentage, capped at 99% until
    ``close``).
    """

    def __init__(self, stream: IO[str], label: str, expected: int | None = None) -> None:
        self.stream = stream
        self.label = label
        self.expected = expected
        self._width = 0

    def update(self, rows: int) -> None:
        """Show that ``rows`` rows are done so far."""
        text = f"{self.label}: {rows:,} rows"
        if self.expected:
            text += f" (~{min(99, int(100 * rows / self.expected))}%)"
        self._write(text)

    def close(self) -> None:
        """Clear the line."""
        self._write("")
        self.stream.write("\r")
        self.stream.flush()

    def _write(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)


def estimate_lines(path: str | Path, *, sample_bytes: int = 1 << 16) -> int:
    """Lines in a text file estimated from its size and the first ``sample_bytes`` bytes."""
    size = Path(path).stat().st_size
    with Path(path).open("rb") as fh:
        sample = fh.read(sample_bytes)
    newlines = sample.count(b"\n")
    if not sample or newlines == 0:
        return 1 if sample else 0
    return int(size * newlines / len(sample))


def call_with_progress(
    chunks: Iterator[Events], progress: Progress | None, on_chunk: Callable[[Events], None]
) -> None:
    """Feed each chunk to ``on_chunk``, updating ``progress`` with the rows so far."""
    done = 0
    try:
        for chunk in chunks:
            on_chunk(chunk)
            done += chunk.n_rows
            if progress is not None:
                progress.update(done)
    finally:
        if progress is not None:
            progress.close()
