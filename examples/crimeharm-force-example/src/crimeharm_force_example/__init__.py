"""An example crimeharm plugin: a force's local weights on top of the CCHI 2020, and a decay.

Installing this package registers, through the ``crimeharm`` entry-point group:

- scheme ``example-force-cchi``: the Cambridge Crime Harm Index 2020 (Home Office codes) with
  higher weights for some offences relevant to domestic abuse, read from ``local_weights.csv``.
  THE ADJUSTMENTS ARE ILLUSTRATIVE ONLY: they come from no real force and no evidence review;
  they show how a force would encode its own.
- decay ``two-stage``: full weight for ``hold_days``, then halving every ``half_life_days``.

Both are ordinary pluggy hook implementations (see crimeharm's "Writing a plugin" docs).
"""

from __future__ import annotations

import csv
from importlib.resources import as_file, files
from typing import Any, ClassVar

import attrs
import numpy as np
import numpy.typing as npt

import crimeharm as ch

__all__ = ["SCHEME_NAME", "TwoStageDecay", "load_scheme", "local_adjustments"]

SCHEME_NAME = "example-force-cchi"
_TABLE = "local_weights.csv"


def local_adjustments() -> dict[str, tuple[float, float]]:
    """``{ho_code: (local_weight, cchi_weight_it_replaces)}`` from the packaged CSV (days)."""
    text = (files(__name__) / _TABLE).read_text(encoding="utf-8")
    return {
        row["code"]: (float(row["weight"]), float(row["cchi_weight"]))
        for row in csv.DictReader(text.splitlines())
    }


def load_scheme(conflicts: str = "min") -> ch.WeightScheme:
    """CCHI 2020 (HO codes, ``conflicts`` policy as ``ch.get_scheme``) with the local weights.

    The local table is read with ``WeightScheme.from_csv`` (errors name the file and line).
    Every local code must be a CCHI code still carrying the weight the table says it replaces,
    so a future CCHI update cannot silently change what the adjustment means.
    """
    cchi = ch.get_scheme("cchi-2020", conflicts=conflicts)
    with as_file(files(__name__) / _TABLE) as path:
        local = ch.WeightScheme.from_csv(path, group_column=None, name=SCHEME_NAME)
    for code, (_, replaces) in local_adjustments().items():
        if code not in cchi:
            msg = f"{_TABLE}: code {code!r} is not in the CCHI 2020 (Home Office codes)"
            raise ch.SchemeError(msg, source=_TABLE, column="code", value=code)
        if cchi.weight(code) != replaces:
            msg = (
                f"{_TABLE}: code {code!r} says it replaces CCHI weight {replaces!r}, but the "
                f"CCHI 2020 gives {cchi.weight(code)!r}; review the adjustment"
            )
            raise ch.SchemeError(msg, source=_TABLE, column="cchi_weight", value=replaces)
    return cchi.with_weights(
        local.to_dict(),
        name=SCHEME_NAME,
        version="2020+example-1",
        description="CCHI 2020 with ILLUSTRATIVE local domestic-abuse weights (example plugin)",
    )


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (np.isfinite(value) and value > 0):
        msg = f"{attribute.name} must be a positive finite number of days (got {value!r})"
        raise ch.DecayError(msg)


@attrs.frozen
class TwoStageDecay:
    """Full weight for ``hold_days``, then halving every ``half_life_days`` (ages in days).

    factor = 1 for age < hold_days, else 0.5 ** ((age - hold_days) / half_life_days).
    """

    name: ClassVar[str] = "two-stage"
    hold_days: float = attrs.field(default=365.0, converter=float, validator=_positive)
    half_life_days: float = attrs.field(default=365.0, converter=float, validator=_positive)

    def factor(self, age_days: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """1 during the hold, then exponential decay from the end of the hold."""
        age = np.asarray(age_days, dtype=np.float64)
        past = np.maximum(age - self.hold_days, 0.0)
        return np.power(0.5, past / self.half_life_days)

    def params(self) -> dict[str, Any]:
        """``{"hold_days": ..., "half_life_days": ...}``."""
        return {"hold_days": self.hold_days, "half_life_days": self.half_life_days}


@ch.hookimpl
def crimeharm_register_schemes() -> list[ch.SchemeProvider]:
    """The example force scheme (loaded on first use)."""
    return [
        ch.SchemeProvider(
            name=SCHEME_NAME,
            load=load_scheme,
            version="2020+example-1",
            unit="days",
            source="CCHI 2020 with illustrative local weights (crimeharm-force-example)",
            key_system="ho",
            description="EXAMPLE ONLY: CCHI 2020 with higher domestic-abuse weights",
        )
    ]


@ch.hookimpl
def crimeharm_register_decays() -> list[ch.DecayProvider]:
    """The two-stage decay."""
    return [ch.DecayProvider("two-stage", TwoStageDecay, "full weight, then exponential")]
