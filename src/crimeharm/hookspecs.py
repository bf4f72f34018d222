"""Hook specifications: how a plugin adds weight schemes, decays and scorers.

A plugin is any module or object with functions marked ``@crimeharm.hookimpl`` named as below,
registered through the ``crimeharm`` entry-point group or at run time with
:func:`crimeharm.register_plugin`. The built-in schemes, decays and scorers use these same hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .kernels import KernelProvider
    from .plugins import DecayProvider, SchemeProvider, ScorerProvider

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "crimeharm"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def crimeharm_register_schemes() -> list[SchemeProvider]:
    """Weight schemes this plugin provides.

    :return: a list of :class:`crimeharm.SchemeProvider` (a name, metadata and a ``load``
        callable returning a :class:`crimeharm.WeightScheme`; loaded on first use) or of
        ready :class:`crimeharm.WeightScheme` objects.

    .. versionadded:: 0.1.0
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_decays() -> list[DecayProvider]:
    """Recency decays this plugin provides.

    :return: a list of :class:`crimeharm.DecayProvider` (a name and a ``factory`` taking the
        decay's keyword parameters) or of decay classes with a ``name`` class attribute.

    .. versionadded:: 0.1.0
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_scorers() -> list[ScorerProvider]:
    """Offender scoring models this plugin provides (other than summed harm).

    :return: a list of :class:`crimeharm.ScorerProvider` (a name and a ``factory`` taking the
        model's keyword parameters and returning an object with a ``name`` and a
        ``score(events, scheme, *, as_of, **options)`` method, as :class:`crimeharm.RFGModel`).

    .. versionadded:: 0.1.0
    """
    raise NotImplementedError


@hookspec
def crimeharm_register_kernels() -> list[KernelProvider]:
    """Array kernels this plugin provides (grouping and exact per-group totals).

    :return: a list of :class:`crimeharm.kernels.KernelProvider` (a name and a ``factory()``
        returning an object with ``group``, ``totals`` and ``aggregate`` as the numpy
        reference :class:`crimeharm.kernels.reference.NumpyKernel`, giving the same integers).

    .. versionadded:: 0.2.0
    """
    raise NotImplementedError
