"""crimeharm: score and rank crime harm with the Cambridge Crime Harm Index and other schemes.

>>> import crimeharm as ch
>>> scheme = ch.get_scheme("cchi-2020")
>>> scheme.weight("001/01")   # murder: 15 years of custody, in days
5475.0
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .cchi import cchi_conflicts, cchi_offences
from .decay import Decay, ExponentialDecay, LinearDecay, NoDecay, StepDecay
from .errors import (
    CrimeHarmError,
    DataError,
    DecayError,
    EventsError,
    MissingDependencyError,
    ParameterError,
    PluginError,
    PluginWarning,
    SchemeError,
    UnknownCodeError,
    UnknownNameError,
)
from .events import Events
from .hookspecs import hookimpl
from .plugins import (
    DecayProvider,
    SchemeProvider,
    get_decay,
    get_scheme,
    list_decays,
    list_schemes,
    register_plugin,
    scheme_info,
    unregister_plugin,
)
from .results import Ranking, Report, ScoreParams, Scores
from .schemes import OffenceType, WeightScheme
from .scoring import score, top

try:
    __version__ = version("crimeharm")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

__all__ = [
    "CrimeHarmError",
    "DataError",
    "Decay",
    "DecayError",
    "DecayProvider",
    "Events",
    "EventsError",
    "ExponentialDecay",
    "LinearDecay",
    "MissingDependencyError",
    "NoDecay",
    "OffenceType",
    "ParameterError",
    "PluginError",
    "PluginWarning",
    "Ranking",
    "Report",
    "SchemeError",
    "SchemeProvider",
    "ScoreParams",
    "Scores",
    "StepDecay",
    "UnknownCodeError",
    "UnknownNameError",
    "WeightScheme",
    "__version__",
    "cchi_conflicts",
    "cchi_offences",
    "get_decay",
    "get_scheme",
    "hookimpl",
    "list_decays",
    "list_schemes",
    "register_plugin",
    "scheme_info",
    "score",
    "top",
    "unregister_plugin",
]
