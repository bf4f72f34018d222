"""Hook specifications: how a plugin adds weight schemes, decays and scorers.

A plugin is any module or object with functions marked ``@crimeharm.hookimpl`` named as below,
registered through the ``crimeharm`` entry-point group or at run time with
[`crimeharm.register_plugin`][crimeharm.register_plugin]. The built-in schemes, decays and scorers
use these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .core.crosswalk import Crosswalk
    from .kernels import KernelProvider
    from .plugins import DecayProvider, SchemeProvider, ScorerProvider

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "crimeharm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def crimeharm_register_schemes() -> list[SchemeProvider]:
    """Weight schemes this plugin provides.

    Returns:
        A list of [`crimeharm.SchemeProvider`][crimeharm.SchemeProvider] (a name, metadata
        and a ``load`` callable returning a [`crimeharm.WeightScheme`][crimeharm.WeightScheme];
        loaded on first use) or of ready [`crimeharm.WeightScheme`][crimeharm.WeightScheme]
        objects.

    Added in version 0.1.0.
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_decays() -> list[DecayProvider]:
    """Recency decays this plugin provides.

    Returns:
        A list of [`crimeharm.DecayProvider`][crimeharm.DecayProvider] (a name and a
        ``factory`` taking the decay's keyword parameters) or of decay classes with a ``name``
        class attribute.

    Added in version 0.1.0.
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_scorers() -> list[ScorerProvider]:
    """Offender scoring models this plugin provides (other than summed harm).

    Returns:
        A list of [`crimeharm.ScorerProvider`][crimeharm.ScorerProvider] (a name and a
        ``factory`` taking the model's keyword parameters and returning an object with a
        ``name`` and a ``score(events, scheme, *, as_of, **options)`` method, as
        [`crimeharm.RFGModel`][crimeharm.RFGModel]).

    Added in version 0.1.0.
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_crosswalks() -> list[Crosswalk]:
    """Crosswalks this plugin provides: a force's records-system codes to Home Office codes, say.

    Returns:
        A list of [`crimeharm.Crosswalk`][crimeharm.Crosswalk] objects, or of paths to
        crosswalk CSV files (read with
        [`crimeharm.Crosswalk.from_file`][crimeharm.Crosswalk.from_file]).
        ``ch.get_crosswalk(name)`` returns one; ``scheme.via(crosswalk)`` reaches a scheme's
        weights through it.

    Added in version 0.2.0.
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_kernels() -> list[KernelProvider]:
    """Array kernels this plugin provides (grouping and exact per-group totals).

    Returns:
        A list of ``crimeharm.kernels.KernelProvider`` (a name and a ``factory()`` returning
        an object with ``group``, ``totals``, ``sums`` and ``aggregate`` as the numpy
        reference ``crimeharm.kernels.reference.NumpyKernel``, giving the same integers).

    Added in version 0.2.0.
    """
    raise NotImplementedError
