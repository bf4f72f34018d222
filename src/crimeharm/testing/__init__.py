"""Test helpers for crimeharm and its plugins: hypothesis strategies and contract checks.

Plugin authors run the same checks the library runs on its own schemes and decays::

    from crimeharm.testing import check_decay, check_scheme

    check_scheme("my-force-scheme")     # a registered name, or a WeightScheme
    check_decay("my-decay")             # a registered name, or a Decay object

and generate data with [`crimeharm.testing.strategies`][crimeharm.testing.strategies]. This package
needs ``hypothesis`` (``pip install 'crimeharm[test]'``); ``import crimeharm`` never imports it.
"""

from __future__ import annotations

from .asserts import assert_scores_equal, check_decay, check_scheme, reference_harm

__all__ = ["assert_scores_equal", "check_decay", "check_scheme", "reference_harm"]
