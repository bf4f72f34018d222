"""Public entry point of the Dask path: ``from crimeharm.dask import score_dask``.

The implementation lives in ``crimeharm.scale.dask``.
"""

from __future__ import annotations

from .scale.dask import *  # noqa: F403  (that module defines __all__)
from .scale.dask import __all__ as __all__
