"""The public readers in one place (kept for ``from crimeharm.io.readers import ...``).

The reading boundary is split by responsibility:

* ``.options`` -- [`ReadOptions`][crimeharm.ReadOptions], the keywords every reader takes;
* ``.sources`` -- where CSV bytes come from (files, compressed files, stdin, pipes);
* ``.csv``, ``.parquet``, ``.frames`` -- one module per input form;
* ``.arrow`` -- Arrow columns as reader columns (shared by CSV, Parquet, Arrow, polars);
* ``.chunks`` -- a chunk of rows -> Events: validation, the error policy, row accounting;
* ``.normalise``, ``.ids``, ``.dates`` -- the rules for codes, ids and dates.

Every row read ends in exactly one place: an event, or a count under a reason in ``Events.dropped``
(``on_error="skip"``, ``dedupe="crime_id"``), so reports add up to the rows read. With the default
``on_error="raise"`` the first bad row raises [`EventsError`][crimeharm.EventsError] naming the
file, line, column and value (never an id), and how many other rows share the problem. The rules are
described in ``docs/preparing-data.md``.
"""

from __future__ import annotations

from .chunks import (
    BAD_OFFENDER_ID,
    CONTROL_IN_ID,
    DUPLICATE_CRIME_ID,
    EARLY_DATE,
    MALFORMED_LINE,
    MISSING_DATE,
    MISSING_OFFENCE_CODE,
    MISSING_OFFENDER_ID,
    NOT_UTF8,
    REASONS,
    UNPARSEABLE_DATE,
)
from .csv import SlowReaderWarning, iter_csv, read_csv
from .frames import events_from_arrow, events_from_pandas, events_from_polars
from .ids import IdMergeWarning
from .options import ReadOptions
from .parquet import iter_parquet, read_parquet

__all__ = [
    "BAD_OFFENDER_ID",
    "CONTROL_IN_ID",
    "DUPLICATE_CRIME_ID",
    "EARLY_DATE",
    "MALFORMED_LINE",
    "MISSING_DATE",
    "MISSING_OFFENCE_CODE",
    "MISSING_OFFENDER_ID",
    "NOT_UTF8",
    "REASONS",
    "UNPARSEABLE_DATE",
    "IdMergeWarning",
    "ReadOptions",
    "SlowReaderWarning",
    "events_from_arrow",
    "events_from_pandas",
    "events_from_polars",
    "iter_csv",
    "iter_parquet",
    "read_csv",
    "read_parquet",
]
