"""Shared test setup: hypothesis profiles and an isolated plugin registry.

Hypothesis profiles (select with ``HYPOTHESIS_PROFILE``; default ``ci``):

- ``ci``: no per-example deadline (shared CI machines are noisy), failing examples printed as
  reproducible blobs;
- ``derandomized``: the same, with a fixed seed, so two runs explore the same examples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

import crimeharm.plugins as plugins

settings.register_profile("ci", deadline=None, print_blob=True)
settings.register_profile("derandomized", deadline=None, print_blob=True, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[plugins.Registry]:
    """A fresh plugin registry for one test; the shared one is untouched and restored after.

    Plugins registered in the test (``ch.register_plugin``) live only in this registry, and
    entry points are discovered anew on first use (patch ``crimeharm.plugins.entry_points``
    before that to fake them).
    """
    fresh = plugins.Registry()
    monkeypatch.setattr(plugins, "REGISTRY", fresh)
    yield fresh
    fresh._invalidate()
