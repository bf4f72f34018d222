"""``python -m crimeharm``: the same as the ``crimeharm`` command."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
