"""What a benchmark row is: one implementation of the harm-v1 task for one input form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.harmv1 import Array, Data

Top = tuple[Array, Array]  # offender_id (int64) and harm (float64), in ranking order
Runner = Callable[[], "Top | None"]  # the timed part; None for rows that do not rank

FORMS = ("strings", "categorical", "csv", "parquet")
FORM_LABELS = {
    "strings": "(a) in-memory strings",
    "categorical": "(b) in-memory categorical",
    "csv": "(c) CSV file",
    "parquet": "(d) Parquet file",
}
FORM_ARRAYS = {  # event arrays a form's setup needs from harmv1.load
    "strings": ("offender_id", "offence_code", "date"),
    "categorical": ("offender_id", "code_idx", "date"),
    "csv": (),
    "parquet": (),
}


class RowUnavailableError(Exception):
    """The implementation behind a row is missing (reported as 'n/a', not a failure)."""


@dataclass(frozen=True)
class Row:
    """`setup(data)` does the untimed preparation and returns the timed runner."""

    form: str
    name: str
    setup: Callable[[Data], Runner]
    peer: bool = False  # pandas / polars / duckdb: candidates for "fastest peer"
    ranks: bool = True  # the runner returns a Top that is checked against the reference

    @property
    def key(self) -> str:
        return f"{self.form}/{self.name}"
