"""How many threads the kernels use, and the shared worker pool.

By default every core this process may run on (its CPU affinity, ``os.sched_getaffinity``;
``os.cpu_count()`` where that is unavailable). In order of precedence, the count is set by

1. a ``threads=`` argument (``num_threads(4)``, the kernels' ``threads`` keyword),
2. ``thread_limit`` (a context manager, for the calling thread) or ``set_num_threads``
   (the whole process),
3. the ``CRIMEHARM_NUM_THREADS`` environment variable (read at each call),
4. the CPU affinity.

Thread counts never change a result: sums are exact integers (``.summation``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "ENV_VAR",
    "available_cores",
    "num_threads",
    "pool",
    "run_each",
    "set_num_threads",
    "thread_limit",
]

#: Environment variable overriding the default thread count.
ENV_VAR = "CRIMEHARM_NUM_THREADS"

_GLOBAL: int | None = None
_LOCAL = threading.local()
_LOCK = threading.Lock()
_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0


def available_cores() -> int:
    """Cores this process may run on: its CPU affinity (all of them, no cap)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _check(value: object, source: str) -> int:
    """``value`` as a positive thread count, or a [`ParameterError`][crimeharm.ParameterError]
    naming ``source``.
    """
    count: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        count = value
    elif isinstance(value, str) and value.strip().isdigit():
        count = int(value.strip())
    if count is None or count < 1:
        msg = f"{source} must be a whole number of threads >= 1 (got {value!r})"
        raise ParameterError(msg)
    return count


def num_threads(threads: int | None = None) -> int:
    """The thread count to use: ``threads`` if given, else the override, env var or affinity."""
    if threads is not None:
        return _check(threads, "threads")
    local: int | None = getattr(_LOCAL, "threads", None)
    if local is not None:
        return local
    if _GLOBAL is not None:
        return _GLOBAL
    env = os.environ.get(ENV_VAR)
    if env is not None and env.strip():
        return _check(env, ENV_VAR)
    return available_cores()


def set_num_threads(threads: int | None) -> None:
    """Set the process-wide thread count (``None``: back to the env var / CPU affinity)."""
    global _GLOBAL
    _GLOBAL = None if threads is None else _check(threads, "threads")


@contextmanager
def thread_limit(threads: int | None) -> Iterator[int]:
    """Use ``threads`` threads for kernel calls made by this thread inside the block.

    ``None`` leaves the count as it is. Yields the count in effect.
    """
    previous: int | None = getattr(_LOCAL, "threads", None)
    if threads is not None:
        _LOCAL.threads = _check(threads, "threads")
    try:
        yield num_threads()
    finally:
        _LOCAL.threads = previous


def pool(size: int) -> ThreadPoolExecutor:
    """A shared worker pool with at least ``size`` threads, started (or grown) on first use."""
    global _POOL, _POOL_SIZE
    with _LOCK:
        if _POOL is None or size > _POOL_SIZE:
            from concurrent.futures import ThreadPoolExecutor  # on first use: import time

            old = _POOL
            _POOL = ThreadPoolExecutor(size, thread_name_prefix="crimeharm")
            _POOL_SIZE = size
            if old is not None:
                old.shutdown(wait=False)
        return _POOL


def run_each(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``[fn(x) for x in items]``, on the shared pool, a thread each, when there are several
    (for compiled loops that release the GIL)."""
    if len(items) <= 1:
        return [fn(x) for x in items]
    return list(pool(len(items)).map(fn, items))
