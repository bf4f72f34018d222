"""Arrow arrays as numpy arrays, read from their buffers; large numpy arrays in Arrow's pool.

pyarrow's ``to_numpy`` goes through its pandas conversion layer, which imports pandas on first
use where it is installed (about 0.15 s, once per process: a noticeable part of a one-off
``crimeharm rank``). The readers' integer, date and boolean columns are plain buffers, so they
are viewed here instead; anything else (text, nulls) is left to ``to_numpy``. ``pa.array``
does the same check for pandas objects, so arrays going the other way are built from buffers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["arrow_of", "arrow_strings", "numpy_of", "numpy_strings", "pooled_empty"]


def numpy_of(values: Any) -> npt.NDArray[Any]:
    """A pyarrow ``Array`` or ``ChunkedArray`` as numpy: integers, floats, ``date32`` (as
    ``datetime64[D]``) and booleans without nulls are read from their buffers (a view where
    the data allow it, read-only like ``to_numpy``'s); other arrays go to ``to_numpy``."""
    import pyarrow as pa

    if isinstance(values, pa.ChunkedArray):
        if values.num_chunks == 1:
            return numpy_of(values.chunk(0))
        if values.num_chunks and not values.null_count and _dtype(pa, values.type) is not None:
            return np.concatenate([numpy_of(chunk) for chunk in values.chunks])
        return np.asarray(values.to_numpy())
    kind = values.type
    dtype = _dtype(pa, kind)
    if dtype is None or values.null_count:
        return np.asarray(values.to_numpy(zero_copy_only=False))
    n, offset = len(values), values.offset
    data = values.buffers()[1]
    if data is None:  # an empty array may have no data buffer
        return np.empty(n, dtype=dtype)
    if pa.types.is_boolean(kind):
        bits = np.frombuffer(data, dtype=np.uint8)
        return np.unpackbits(bits, count=offset + n, bitorder="little")[offset:].view(np.bool_)
    if pa.types.is_date32(kind):
        days = np.frombuffer(data, dtype=np.int32, count=n, offset=offset * 4)
        return days.astype("datetime64[D]")
    return np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize)


def numpy_strings(values: Any) -> npt.NDArray[np.str_]:
    """A pyarrow string ``Array`` without nulls as numpy unicode (a short one through Python
    strings, which does not load pandas; a long one through ``to_numpy``)."""
    if len(values) <= _SHORT:
        texts = values.to_pylist()
        return np.array(texts, dtype=np.str_) if texts else np.empty(0, dtype="<U1")
    return np.asarray(values.to_numpy(zero_copy_only=False)).astype(np.str_)


#: Strings ``numpy_strings`` converts through Python (a few milliseconds at most).
_SHORT = 1 << 16


def _dtype(pa: Any, kind: Any) -> np.dtype[Any] | None:
    """The numpy dtype of a fixed-width Arrow type read here, or None."""
    if pa.types.is_boolean(kind):
        return np.dtype(np.bool_)
    if pa.types.is_date32(kind):
        return np.dtype("datetime64[D]")
    if pa.types.is_integer(kind) or pa.types.is_floating(kind):
        letter = (
            "f" if pa.types.is_floating(kind) else "i" if pa.types.is_signed_integer(kind) else "u"
        )
        return np.dtype(f"{letter}{kind.bit_width // 8}")
    return None


def arrow_of(values: npt.NDArray[Any]) -> Any:
    """A 1-d numpy array of integers, floats or booleans as a pyarrow ``Array`` (no nulls);
    integers and floats share numpy's memory."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        bits = np.packbits(values, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), values.size, [None, pa.py_buffer(bits)])
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, values.size, [None, pa.py_buffer(values)])


def arrow_strings(texts: list[str]) -> Any:
    """A list of ``str`` as a pyarrow ``string`` array (no nulls)."""
    import pyarrow as pa

    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    kind = pa.string() if offsets[-1] < 2**31 else pa.large_string()
    if kind == pa.string():
        offsets = offsets.astype(np.int32)
    data = pa.py_buffer(b"".join(encoded))
    return pa.Array.from_buffers(kind, len(encoded), [None, pa.py_buffer(offsets), data])


def pooled_empty(shape: int | tuple[int, ...], dtype: Any) -> npt.NDArray[Any]:
    """An uninitialised, writable numpy array in pyarrow's memory pool (numpy's own without
    pyarrow).

    The pool keeps freed memory for reuse. numpy's large arrays are new pages from the kernel
    each time, and after other large reads have freed (and fragmented) their memory, faulting
    them in can cost as much as the work that fills them: the CSV tokenizer's columns come from
    the pool. Not numpy text: in a fresh process the pool's new pages cost more than numpy's
    (a ``crimeharm rank`` of harm-v2, whose borough column is 264 MB of numpy text, took 2.3 s
    instead of 1.2 s).
    """
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, int) else shape
    size = int(np.prod(shape)) * dtype.itemsize
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - the readers' large arrays need pyarrow
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(pa.allocate_buffer(size), dtype=dtype).reshape(shape)
