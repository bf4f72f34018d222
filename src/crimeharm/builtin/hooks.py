"""Built-in schemes, decays and scorers, registered through the same hooks as any plugin."""

from __future__ import annotations

from functools import partial
from typing import Any

from ..core.crosswalk import Crosswalk
from ..core.decay import ExponentialDecay, LinearDecay, NoDecay, StepDecay
from ..hookspecs import hookimpl
from ..kernels import KernelProvider, get_kernel
from ..plugins import DecayProvider, SchemeProvider, ScorerProvider
from .cchi import SOURCE, load_cchi_2020
from .ons_css import ONS_CSS_SOURCE, VERSION, load_ons_css, load_ons_css_via, ons_crosswalk


@hookimpl
def crimeharm_register_schemes() -> list[SchemeProvider]:
    """The CCHI 2020 and the ONS CSS, keyed by HO code, Athena URN, CJS code (and ONS code)."""
    common = {"version": "2020", "unit": "days", "source": SOURCE}
    ons = {"version": VERSION, "unit": "days", "source": ONS_CSS_SOURCE}
    return [
        SchemeProvider(
            name="cchi-2020",
            load=partial(load_cchi_2020, "ho"),
            key_system="ho",
            description="CCHI 2020 by Home Office classification (conflicts='min' by default)",
            **common,
        ),
        SchemeProvider(
            name="cchi-2020-athena",
            load=partial(load_cchi_2020, "athena"),
            key_system="athena",
            description="CCHI 2020 by Athena URN (one weight per offence, no conflicts)",
            **common,
        ),
        SchemeProvider(
            name="cchi-2020-cjs",
            load=partial(load_cchi_2020, "cjs"),
            key_system="cjs",
            description="CCHI 2020 by CJS offence code (conflicts='min' by default)",
            **common,
        ),
        SchemeProvider(
            name="ons-css",
            load=load_ons_css,
            key_system="ons",
            description="ONS Crime Severity Score weights by ONS counting code",
            **ons,
        ),
        *(
            SchemeProvider(
                name=f"ons-css-{system}",
                load=partial(load_ons_css_via, system),
                key_system=system,
                description=(
                    f"ONS Crime Severity Score reached from {system} codes through the shipped "
                    "crosswalk (conflicts='min' by default)"
                ),
                **ons,
            )
            for system in ("ho", "athena", "cjs")
        ),
    ]


@hookimpl
def crimeharm_register_crosswalks() -> list[Crosswalk]:
    """The shipped crosswalks to ONS counting codes (from HO, Athena, CJS, police.uk codes)."""
    return [ons_crosswalk(system) for system in ("ho", "athena", "cjs", "police-uk")]


@hookimpl
def crimeharm_register_decays() -> list[DecayProvider]:
    """none, exponential, linear and step decays."""
    return [
        DecayProvider(cls.name, cls, (cls.__doc__ or "").splitlines()[0])
        for cls in (NoDecay, ExponentialDecay, LinearDecay, StepDecay)
    ]


def _rfg(**options: Any) -> Any:
    from ..research.rfg import RFGModel

    return RFGModel(**options)


def _rfgv(**options: Any) -> Any:
    from ..research.rfg import RFGModel

    return RFGModel.rfgv(**options)


@hookimpl
def crimeharm_register_scorers() -> list[ScorerProvider]:
    """rfg (recency, frequency, gravity) and rfgv (plus victims, 2+ victims in 3 years)."""
    return [
        ScorerProvider(
            "rfg", _rfg, "recency, frequency and gravity bands summed (quintiles by default)"
        ),
        ScorerProvider(
            "rfgv",
            _rfgv,
            "RFG plus distinct victims; eligible with 2+ victims in the window (as MATAC)",
        ),
    ]


@hookimpl
def crimeharm_register_kernels() -> list[KernelProvider]:
    """numpy (the reference) and numba (``crimeharm[fast]``, every core)."""
    return [
        KernelProvider("numpy", partial(get_kernel, "numpy"), "numpy only: the reference"),
        KernelProvider(
            "numba", partial(get_kernel, "numba"), "compiled, every core (crimeharm[fast])"
        ),
    ]
