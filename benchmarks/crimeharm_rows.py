"""The harm-v1 task through crimeharm's public API (API.md): ch.top, ch.score, ch.Events."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.harmv1 import AS_OF, HALF_LIFE_DAYS, TOP_N, WINDOW_DAYS, Data
from benchmarks.rows import Row, RowUnavailableError, Runner, Top

if TYPE_CHECKING:
    from types import ModuleType

_IN_MEMORY = ("strings", "categorical")
_FILES = ("csv", "parquet")


def _crimeharm() -> ModuleType:
    try:
        import crimeharm
    except ImportError as exc:
        msg = f"crimeharm is not importable ({exc})"
        raise RowUnavailableError(msg) from exc
    return crimeharm


def _attr(obj: object, name: str, where: str) -> Any:
    """`obj.name`, or RowUnavailableError naming what is missing."""
    try:
        return getattr(obj, name)
    except AttributeError as exc:
        msg = f"{where}.{name} is missing ({exc})"
        raise RowUnavailableError(msg) from exc


def _options(ch: ModuleType, data: Data) -> tuple[Any, dict[str, Any]]:
    """The weight scheme and the keyword options shared by every crimeharm call."""
    scheme = ch.WeightScheme.from_mapping(data.weight_dict(), name="harm-v1", unit="days")
    decay = ch.get_decay("exponential", half_life_days=HALF_LIFE_DAYS)
    return scheme, {"as_of": str(AS_OF), "window_days": WINDOW_DAYS, "decay": decay}


def _top(ch: ModuleType, events: Any, scheme: Any, options: dict[str, Any]) -> Any:
    return ch.top(events, scheme, n=TOP_N, **options)


def _score_top(ch: ModuleType, events: Any, scheme: Any, options: dict[str, Any]) -> Any:
    return ch.score(events, scheme, **options).top(TOP_N)


def _as_top(result: Any) -> Top:
    return np.asarray(result.offender_id), np.asarray(result.harm)


def _events(ch: ModuleType, data: Data, form: str) -> Any:
    if form == "strings":
        return ch.Events(
            offender_id=data.array("offender_id"),
            offence_code=data.array("offence_code"),
            date=data.array("date"),
        )
    return ch.Events(
        offender_id=data.array("offender_id"),
        offence_code=data.array("code_idx"),
        categories=data.codes,
        date=data.array("date"),
    )


def _in_memory(form: str, rank: Callable[..., Any]) -> Callable[[Data], Runner]:
    def setup(data: Data) -> Runner:
        ch = _crimeharm()
        scheme, options = _options(ch, data)
        events = _events(ch, data, form)
        return lambda: _as_top(rank(ch, events, scheme, options))

    return setup


def _from_file(form: str, rank: Callable[..., Any]) -> Callable[[Data], Runner]:
    def setup(data: Data) -> Runner:
        ch = _crimeharm()
        reader = _attr(ch, f"read_{form}", "crimeharm")
        scheme, options = _options(ch, data)
        path = data.csv if form == "csv" else data.parquet
        return lambda: _as_top(rank(ch, reader(path), scheme, options))

    return setup


def _construction(form: str) -> Callable[[Data], Runner]:
    def setup(data: Data) -> Runner:
        ch = _crimeharm()

        def run() -> None:
            _events(ch, data, form)

        return run

    return setup


def _kernel(rank: Callable[..., Any], kernel: str, threads: int | None) -> Callable[..., Any]:
    """``rank`` with the kernel (and thread count) forced through the environment."""
    import os

    def run(*args: Any) -> Any:
        if kernel == "numba":
            ch = _crimeharm()
            if not ch.kernels.compiled_available():
                msg = "numba is not installed (crimeharm[fast])"
                raise RowUnavailableError(msg)
        saved = {k: os.environ.get(k) for k in ("CRIMEHARM_KERNEL", "CRIMEHARM_NUM_THREADS")}
        os.environ["CRIMEHARM_KERNEL"] = kernel
        if threads is not None:
            os.environ["CRIMEHARM_NUM_THREADS"] = str(threads)
        try:
            return rank(*args)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    return run


_RANKS = (
    ("crimeharm ch.top", _top),
    ("crimeharm ch.score", _score_top),
    ("crimeharm ch.score [numpy kernel]", _kernel(_score_top, "numpy", None)),
    ("crimeharm ch.score [numba kernel]", _kernel(_score_top, "numba", None)),
    ("crimeharm ch.score [numba, 1 thread]", _kernel(_score_top, "numba", 1)),
)

ROWS: tuple[Row, ...] = (
    *(Row(form, name, _in_memory(form, rank)) for form in _IN_MEMORY for name, rank in _RANKS),
    *(Row(form, name, _from_file(form, rank)) for form in _FILES for name, rank in _RANKS),
    *(
        Row(form, "crimeharm Events construction", _construction(form), ranks=False)
        for form in _IN_MEMORY
    ),
)
