"""Named derivations of a weight scheme: transformations researchers test, recorded as data.

``scheme.derive("log1p")`` returns a new [`WeightScheme`][crimeharm.WeightScheme] whose name says
what was done (``cchi-2020+log1p``), whose unit says what the numbers now are (``log1p(days)``) and
whose ``metadata["derivations"]`` lists every step with its parameters and the checksum of the
scheme it was applied to, so a manifest that records the scheme records the derivation too.

Derivations (``DERIVATIONS``):

- ``log1p``: ``log(1 + w)``; ``sqrt``: ``sqrt(w)`` (both damp the "frequency desert" of
  raw day-weights, where one serious offence outweighs any number of minor ones);
- ``cap``: ``min(w, value)``;
- ``scale``: ``w * factor``;
- ``rescale``: multiply by one factor that puts the scheme into another scheme's unit, either
  by matching one reference offence (``method="match", code=...``: factor =
  reference weight / own weight of that code) or by least squares through the origin over
  every code both schemes have (``method="lsq"``: factor = sum(a*b) / sum(a*a)).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..errors import ParameterError, SchemeError

if TYPE_CHECKING:
    from .schemes import WeightScheme

__all__ = ["DERIVATIONS", "derive_scheme", "rescale_factor"]

DERIVATIONS: dict[str, str] = {
    "log1p": "log(1 + w), in log1p(unit)",
    "sqrt": "square root of w, in sqrt(unit)",
    "cap": "min(w, value): weights above value set to value",
    "scale": "w * factor",
    "rescale": "w * factor putting the scheme in another's unit (method 'lsq' or 'match')",
}


def rescale_factor(
    scheme: WeightScheme, reference: WeightScheme, *, method: str = "lsq", code: str | None = None
) -> tuple[float, int]:
    """(factor, matched codes) putting ``scheme`` into ``reference``'s unit."""
    if scheme.key_system != reference.key_system:
        msg = (
            f"cannot rescale {scheme.name!r} ({scheme.key_system} codes) to {reference.name!r} "
            f"({reference.key_system} codes): reach one through a crosswalk first"
        )
        raise SchemeError(msg, column="key_system")
    if method == "match":
        if code is None:
            msg = "rescale with method='match' needs code= (the reference offence)"
            raise ParameterError(msg)
        own, ref = scheme.weight(code), reference.weight(code)
        if own <= 0:
            msg = f"cannot match on {code!r}: its weight in {scheme.name!r} is 0"
            raise ParameterError(msg)
        return ref / own, 1
    if method != "lsq":
        msg = f"rescale method must be 'lsq' or 'match' (got {method!r})"
        raise ParameterError(msg)
    idx = reference.index_of(scheme.codes)
    both = idx >= 0
    if not both.any():
        msg = f"{scheme.name!r} and {reference.name!r} share no code to rescale on"
        raise SchemeError(msg)
    a = scheme.weights[both]
    b = reference.weights[idx[both]]
    denominator = math.fsum((a * a).tolist())
    if denominator == 0:
        msg = f"{scheme.name!r} weighs every shared code 0: no rescaling factor"
        raise SchemeError(msg)
    return math.fsum((a * b).tolist()) / denominator, int(both.sum())


def derive_scheme(scheme: WeightScheme, how: str, **params: Any) -> WeightScheme:
    """A new scheme: ``how`` (one of ``DERIVATIONS``) applied to ``scheme``'s weights."""
    w = scheme.weights
    unit = scheme.unit or "weight"
    record: dict[str, Any] = {"op": how}
    if how == "log1p":
        _no_params(how, params)
        new = np.array([math.log1p(x) for x in w.tolist()], dtype=np.float64)
        new_unit, label = f"log1p({unit})", "log1p"
    elif how == "sqrt":
        _no_params(how, params)
        new, new_unit, label = np.sqrt(w), f"sqrt({unit})", "sqrt"
    elif how == "cap":
        value = _number(params, "value", how)
        new, new_unit, label = np.minimum(w, value), unit, f"cap({value:g})"
        record["value"] = value
    elif how == "scale":
        factor = _number(params, "factor", how)
        new, new_unit, label = w * factor, unit, f"scale({factor:g})"
        record["factor"] = factor
    elif how == "rescale":
        reference = params.pop("to", None)
        method = str(params.pop("method", "lsq"))
        code = params.pop("code", None)
        _no_params(how, params)
        from .schemes import WeightScheme

        if not isinstance(reference, WeightScheme):
            msg = "rescale needs to=<WeightScheme> (the scheme whose unit to take)"
            raise ParameterError(msg)
        factor, matched = rescale_factor(scheme, reference, method=method, code=code)
        new, new_unit = w * factor, reference.unit
        how_label = f"match:{code}" if method == "match" else "lsq"
        label = f"rescale({how_label},{reference.name})"
        record.update(
            method=method,
            code=code,
            to=reference.name,
            to_checksum=reference.checksum,
            factor=factor,
            matched_codes=matched,
        )
    else:
        msg = f"unknown derivation {how!r}; one of {', '.join(DERIVATIONS)}"
        raise ParameterError(msg)
    record.update(parent=scheme.name, parent_checksum=scheme.checksum)
    steps = [*scheme.metadata.get("derivations", []), record]
    return attrs.evolve(
        scheme,
        weights=np.asarray(new, dtype=np.float64),
        name=f"{scheme.name}+{label}",
        unit=new_unit,
        description=f"{scheme.description} Derived: {label}.".strip(),
        metadata={**dict(scheme.metadata), "derivations": steps},
    )


def _no_params(how: str, params: dict[str, Any]) -> None:
    if params:
        msg = f"derivation {how!r} takes no parameters (got {', '.join(sorted(params))})"
        raise ParameterError(msg)


def _number(params: dict[str, Any], key: str, how: str) -> float:
    extra = sorted(set(params) - {key})
    if extra:
        msg = f"derivation {how!r} takes only {key}= (got {', '.join(extra)})"
        raise ParameterError(msg)
    try:
        value = float(params[key])
    except KeyError:
        msg = f"derivation {how!r} needs {key}="
        raise ParameterError(msg) from None
    except (TypeError, ValueError):
        msg = f"derivation {how!r}: {key} must be a number (got {params[key]!r})"
        raise ParameterError(msg) from None
    if not (math.isfinite(value) and value >= 0):
        msg = f"derivation {how!r}: {key} must be finite and >= 0 (got {value!r})"
        raise ParameterError(msg)
    return value
