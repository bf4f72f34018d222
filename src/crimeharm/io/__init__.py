"""Reading events: CSV and Parquet files and pandas / Arrow / polars frames, with row accounting.

The public readers are re-exported here and as ``crimeharm.read_csv`` and friends.
"""

from __future__ import annotations

from .readers import *  # noqa: F403  (the readers module defines __all__)
from .readers import __all__ as __all__
