"""crimeharm: score and rank crime harm with the Cambridge Crime Harm Index and other schemes.

>>> import crimeharm as ch
>>> scheme = ch.get_scheme("cchi-2020")
>>> scheme.weight("001/01")   # murder: 15 years of custody, in days
5475.0
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .builtin.cchi import cchi_conflicts, cchi_offences
from .core.crosswalk import Crosswalk
from .core.decay import Decay, ExponentialDecay, LinearDecay, NoDecay, StepDecay
from .core.events import Events
from .core.results import Ranking, Report, ScoreParams, Scores
from .core.schemes import OffenceType, WeightScheme
from .core.scoring import score, top
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
from .hookspecs import hookimpl
from .plugins import (
    DecayProvider,
    SchemeProvider,
    ScorerProvider,
    get_crosswalk,
    get_decay,
    get_scheme,
    get_scorer,
    list_crosswalks,
    list_decays,
    list_schemes,
    list_scorers,
    register_plugin,
    scheme_info,
    unregister_plugin,
)

if TYPE_CHECKING:
    __version__: str
    # the names below load on first use (PEP 562) to keep `import crimeharm` fast
    from .audit.atrs import atrs_record
    from .audit.manifest import Manifest, fingerprint_events, write_manifest_next_to
    from .audit.pseudonymise import pseudonymise_ids
    from .audit.report import tasking_report, write_report
    from .builtin.demo import make_demo_events
    from .io.readers import ReadOptions, iter_csv, iter_parquet, read_csv, read_parquet
    from .research import plots
    from .research.compare import (
        Comparison,
        ComparisonTable,
        churn_over_time,
        compare_schemes,
        kendall_tau_b,
        spearman,
    )
    from .research.concentration import (
        PUBLISHED_FIGURES,
        Concentration,
        concentration_by_group,
        concentration_by_victim,
        generalized_gini,
        gini,
        lorenz_curve,
        power_few,
        top_share,
    )
    from .research.explain import Explanation
    from .research.rfg import RFGModel, RFGResult, rfg_score
    from .research.sensitivity import BootstrapResult, SweepResult, bootstrap_ranks, sweep
    from .scale.streaming import Scorer, score_file

_LAZY = {
    "plots": "research.plots",
    **dict.fromkeys(
        (
            "Comparison",
            "ComparisonTable",
            "churn_over_time",
            "compare_schemes",
            "kendall_tau_b",
            "spearman",
        ),
        "research.compare",
    ),
    **dict.fromkeys(
        (
            "PUBLISHED_FIGURES",
            "Concentration",
            "concentration_by_group",
            "concentration_by_victim",
            "generalized_gini",
            "gini",
            "lorenz_curve",
            "power_few",
            "top_share",
        ),
        "research.concentration",
    ),
    "make_demo_events": "builtin.demo",
    "Explanation": "research.explain",
    **dict.fromkeys(
        ("ReadOptions", "iter_csv", "iter_parquet", "read_csv", "read_parquet"), "io.readers"
    ),
    **dict.fromkeys(("Manifest", "fingerprint_events", "write_manifest_next_to"), "audit.manifest"),
    "pseudonymise_ids": "audit.pseudonymise",
    "atrs_record": "audit.atrs",
    **dict.fromkeys(("tasking_report", "write_report"), "audit.report"),
    **dict.fromkeys(("RFGModel", "RFGResult", "rfg_score"), "research.rfg"),
    **dict.fromkeys(
        ("BootstrapResult", "SweepResult", "bootstrap_ranks", "sweep"), "research.sensitivity"
    ),
    **dict.fromkeys(("Scorer", "score_file"), "scale.streaming"),
}


def __getattr__(name: str) -> Any:
    """Load the less central parts of the API on first use."""
    if name == "__version__":  # importlib.metadata is slow to import: read it on demand
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("crimeharm")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'crimeharm' has no attribute {name!r}"
        raise AttributeError(msg)
    if name == "plots":
        value: Any = import_module(".research.plots", __name__)
    else:
        value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "PUBLISHED_FIGURES",
    "BootstrapResult",
    "Comparison",
    "ComparisonTable",
    "Concentration",
    "CrimeHarmError",
    "Crosswalk",
    "DataError",
    "Decay",
    "DecayError",
    "DecayProvider",
    "Events",
    "EventsError",
    "Explanation",
    "ExponentialDecay",
    "LinearDecay",
    "Manifest",
    "MissingDependencyError",
    "NoDecay",
    "OffenceType",
    "ParameterError",
    "PluginError",
    "PluginWarning",
    "RFGModel",
    "RFGResult",
    "Ranking",
    "ReadOptions",
    "Report",
    "SchemeError",
    "SchemeProvider",
    "ScoreParams",
    "Scorer",
    "ScorerProvider",
    "Scores",
    "StepDecay",
    "SweepResult",
    "UnknownCodeError",
    "UnknownNameError",
    "WeightScheme",
    "__version__",
    "atrs_record",
    "bootstrap_ranks",
    "cchi_conflicts",
    "cchi_offences",
    "churn_over_time",
    "compare_schemes",
    "concentration_by_group",
    "concentration_by_victim",
    "fingerprint_events",
    "generalized_gini",
    "get_crosswalk",
    "get_decay",
    "get_scheme",
    "get_scorer",
    "gini",
    "hookimpl",
    "iter_csv",
    "iter_parquet",
    "kendall_tau_b",
    "list_crosswalks",
    "list_decays",
    "list_schemes",
    "list_scorers",
    "lorenz_curve",
    "make_demo_events",
    "plots",
    "power_few",
    "pseudonymise_ids",
    "read_csv",
    "read_parquet",
    "register_plugin",
    "rfg_score",
    "scheme_info",
    "score",
    "score_file",
    "spearman",
    "sweep",
    "tasking_report",
    "top",
    "top_share",
    "unregister_plugin",
    "write_manifest_next_to",
    "write_report",
]
