"""The scoring parameters, validated once into one object
([`ScoringOptions`][crimeharm.core.parameters.ScoringOptions]).

Every function that scores (``score``, ``top``, ``Scorer``, Dask, explain, sweep, bootstrap, RFG,
concentration, compare, plots) builds a [`ScoringOptions`][crimeharm.core.parameters.ScoringOptions]
with [`ScoringOptions.build`][crimeharm.core.parameters.ScoringOptions.build] and hands it to the
engine (``crimeharm.core.engine``); no other module checks ``as_of``, ``window_days``, the decay,
the unknown-code policy, the fallback weight or the grouping key.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np

from ..errors import ParameterError
from ..kernels.summation import MAX_WEIGHT, WEIGHT_RULE
from .decay import Decay
from .results import ScoreParams
from .schemes import WeightScheme

__all__ = [
    "SCORING_KEYS",
    "OnUnknown",
    "ScoringArgs",
    "ScoringOptions",
    "check_as_of",
    "check_count",
    "check_window",
    "resolve_decay",
    "resolve_scheme",
    "split_keywords",
]

OnUnknown = Literal["raise", "skip", "fallback"]
_ON_UNKNOWN = ("raise", "skip", "fallback")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MISSING: Any = object()

#: The scoring keywords (`ScoringArgs`), to split them from other keywords.
SCORING_KEYS = ("as_of", "window_days", "decay", "on_unknown", "fallback_weight", "by")


def split_keywords(keywords: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(scoring keywords, the rest)`` of a function's ``**keywords``."""
    scoring = {k: v for k, v in keywords.items() if k in SCORING_KEYS}
    return scoring, {k: v for k, v in keywords.items() if k not in SCORING_KEYS}


if TYPE_CHECKING:  # typing_extensions: Required/Unpack are 3.11+ in typing
    from typing_extensions import TypedDict

    class ScoringArgs(TypedDict, total=False):
        """The scoring keywords of every scoring function (see
        [`ScoringOptions.build`][crimeharm.core.parameters.ScoringOptions.build]).
        """

        as_of: Any  # required by build(); optional where a result supplies it
        window_days: int | None
        decay: Decay | str | None
        on_unknown: OnUnknown
        fallback_weight: float | None
        by: str


def check_as_of(value: Any) -> np.datetime64:
    """``as_of`` as ``datetime64[D]``: a whole calendar date, never a guess.

    Accepts a ``datetime.date`` (a ``datetime`` only at midnight), a ``numpy.datetime64`` of
    day resolution (or finer, at midnight) and an ISO string ``'YYYY-MM-DD'``. Rejects numbers
    (``20230718``), partial dates (``'2023'``, ``'2023-07'``) and NaT.
    """
    msg = (
        "as_of must be a whole calendar date: a datetime.date, a numpy.datetime64 of day "
        f"resolution or an ISO string 'YYYY-MM-DD' (got {value!r})"
    )
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0) or value.tzinfo is not None:
            raise ParameterError(msg)
        return np.datetime64(value.date(), "D")
    if isinstance(value, dt.date):
        return np.datetime64(value, "D")
    if isinstance(value, np.datetime64):
        unit, _ = np.datetime_data(value.dtype)
        if np.isnat(value) or unit in ("Y", "M", "W", "generic"):
            raise ParameterError(msg)
        day = value.astype("datetime64[D]")
        if value.astype("datetime64[ns]") != day.astype("datetime64[ns]"):
            raise ParameterError(msg)  # a time of day: which day is meant is a guess
        return np.datetime64(day, "D")
    if isinstance(value, (str, np.str_)) and _ISO_DAY.fullmatch(str(value)):
        try:
            return np.datetime64(str(value), "D")
        except ValueError:  # e.g. '2023-02-30'
            raise ParameterError(msg) from None
    raise ParameterError(msg)


def check_window(value: Any, name: str = "window_days") -> int | None:
    """A window in whole days > 0, or None (no window)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        msg = f"{name} must be a whole number of days > 0, or None (got {value!r})"
        raise ParameterError(msg)
    return int(value)


def check_count(value: Any, name: str, minimum: int = 0) -> int:
    """A whole number ``>= minimum`` (``n``, ``n_boot``, ...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        msg = f"{name} must be a whole number >= {minimum} (got {value!r})"
        raise ParameterError(msg)
    return int(value)


def resolve_scheme(scheme: WeightScheme | str) -> WeightScheme:
    """A scheme object; a name (registered, a scheme file, either with derivation steps such as
    ``cchi-2020+log1p``) is resolved by [`crimeharm.get_scheme`][crimeharm.get_scheme]."""
    given: object = scheme  # callers without type checking may pass anything
    if isinstance(given, WeightScheme):
        return given
    if isinstance(given, str):
        from ..plugins import get_scheme

        return get_scheme(given)
    msg = (
        "scheme must be a WeightScheme, a scheme name or a scheme file path "
        f"(got {type(given).__name__})"
    )
    raise ParameterError(msg)


def resolve_decay(decay: Decay | str | None) -> Decay:
    """A decay object; None and "none" mean no decay; names go to the plugin registry."""
    from ..plugins import get_decay

    given: object = decay  # callers without type checking may pass anything
    if given is None:
        return get_decay("none")
    if isinstance(given, str):
        return get_decay(given)
    if not isinstance(given, Decay):
        msg = f"decay must be a Decay (with name, factor, params) or a name (got {given!r})"
        raise ParameterError(msg)
    return given


#: Names a grouping key may not take: the event fields that are not keys, and the result
#: columns the key column would overwrite.
_NOT_KEYS = (
    *("offence_code", "date"),
    *("rank", "harm", "n_events", "first_date", "last_date", "victims"),
)


def _check_by(value: Any) -> str:
    if not isinstance(value, str) or not value or value in _NOT_KEYS:
        msg = (
            "by must name the column to group by: 'offender_id', 'victim_id', 'crime_id' or "
            f"a carried column other than {', '.join(repr(k) for k in _NOT_KEYS)} "
            f"(got {value!r})"
        )
        raise ParameterError(msg)
    return value


@attrs.frozen
class ScoringOptions:
    """Validated scoring parameters: build with ``build``, never field by field.

    ``scheme`` and ``decay`` are resolved objects; ``as_of`` is ``datetime64[D]``;
    ``window_days`` is days > 0 or None; ``fallback_weight`` is set iff ``on_unknown`` is
    ``"fallback"``; ``by`` names the grouping key column.
    """

    scheme: WeightScheme
    as_of: np.datetime64
    window_days: int | None
    decay: Decay
    on_unknown: OnUnknown
    fallback_weight: float | None
    by: str = "offender_id"

    @classmethod
    def build(
        cls,
        scheme: WeightScheme | str,
        *,
        as_of: Any = _MISSING,
        window_days: int | None = None,
        decay: Decay | str | None = None,
        on_unknown: OnUnknown = "raise",
        fallback_weight: float | None = None,
        by: str = "offender_id",
    ) -> ScoringOptions:
        """Check and resolve every parameter (see [`crimeharm.score`][crimeharm.score] for their
        meaning).
        """
        if as_of is _MISSING:
            msg = "as_of is required: the date harm is scored at, e.g. as_of='2023-07-18'"
            raise ParameterError(msg)
        if on_unknown not in _ON_UNKNOWN:
            msg = f"on_unknown must be 'raise', 'skip' or 'fallback' (got {on_unknown!r})"
            raise ParameterError(msg)
        fallback: float | None = None
        if on_unknown == "fallback":
            given: object = fallback_weight
            number = isinstance(given, (int, float, np.integer, np.floating))
            if not number or isinstance(given, bool) or not 0 <= float(given) <= MAX_WEIGHT:  # type: ignore[arg-type]
                msg = (
                    f"on_unknown='fallback' needs a fallback_weight that is {WEIGHT_RULE} "
                    f"(got {fallback_weight!r})"
                )
                raise ParameterError(msg)
            fallback = float(given)  # type: ignore[arg-type]
        elif fallback_weight is not None:
            msg = "fallback_weight is only used with on_unknown='fallback'"
            raise ParameterError(msg)
        return cls(
            scheme=resolve_scheme(scheme),
            as_of=check_as_of(as_of),
            window_days=check_window(window_days),
            decay=resolve_decay(decay),
            on_unknown=on_unknown,
            fallback_weight=fallback,
            by=_check_by(by),
        )

    @classmethod
    def from_params(
        cls, params: ScoreParams, *, scheme: WeightScheme | None = None
    ) -> ScoringOptions:
        """The options a result was computed with (the scheme looked up by name unless given)."""
        from ..plugins import get_decay

        scheme_obj = scheme if scheme is not None else resolve_scheme(params.scheme)
        if scheme_obj.checksum != params.scheme_checksum:
            msg = (
                f"weight scheme {scheme_obj.name!r} has checksum {scheme_obj.checksum[:12]}..., "
                f"but the scores were computed with checksum {params.scheme_checksum[:12]}...; "
                "pass the scheme they were computed with as scheme=..."
            )
            raise ParameterError(msg)
        return cls.build(
            scheme_obj,
            as_of=params.as_of,
            window_days=params.window_days,
            decay=get_decay(params.decay, **dict(params.decay_params)),
            on_unknown=params.on_unknown,  # type: ignore[arg-type]
            fallback_weight=params.fallback_weight,
            by=params.by,
        )

    def evolve(self, **changes: Any) -> ScoringOptions:
        """These options with some changed, validated again."""
        fields: dict[str, Any] = {
            "as_of": self.as_of,
            "window_days": self.window_days,
            "decay": self.decay,
            "on_unknown": self.on_unknown,
            "fallback_weight": self.fallback_weight,
            "by": self.by,
        }
        scheme = changes.pop("scheme", self.scheme)
        fields.update(changes)
        return ScoringOptions.build(scheme, **fields)

    def params(self) -> ScoreParams:
        """The record of these options kept on results (plain names, enough to reproduce)."""
        return ScoreParams(
            scheme=self.scheme.name,
            scheme_version=self.scheme.version,
            scheme_checksum=self.scheme.checksum,
            as_of=self.as_of,
            window_days=self.window_days,
            decay=self.decay.name,
            decay_params=self.decay.params(),
            on_unknown=self.on_unknown,
            fallback_weight=self.fallback_weight,
            by=self.by,
        )
