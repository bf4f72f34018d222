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

A derived scheme's name is its parent's name and its steps joined by ``+``
(``ons-css-ho+cap(365)+log1p``); ``parse_steps`` reads such a name back, strictly, and
[`crimeharm.get_scheme`][crimeharm.get_scheme] resolves it, so a derivation can be named
wherever a scheme name is accepted. Step syntax (``STEP_SYNTAX``): ``log1p``, ``sqrt``,
``cap(VALUE)``, ``scale(FACTOR)``, ``rescale(lsq,SCHEME)``, ``rescale(match:CODE,SCHEME)``.
``rederive`` repeats recorded steps on a parent and checks every checksum on the way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from ..errors import ParameterError, SchemeError, UnknownNameError

if TYPE_CHECKING:
    from .schemes import WeightScheme

__all__ = [
    "DERIVATIONS",
    "STEP_SYNTAX",
    "apply_steps",
    "derive_scheme",
    "parse_steps",
    "rederive",
    "rescale_factor",
]

DERIVATIONS: dict[str, str] = {
    "log1p": "log(1 + w), in log1p(unit)",
    "sqrt": "square root of w, in sqrt(unit)",
    "cap": "min(w, value): weights above value set to value",
    "scale": "w * factor",
    "rescale": "w * factor putting the scheme in another's unit (method 'lsq' or 'match')",
}

#: How each derivation is written in a scheme name, after a ``+``.
STEP_SYNTAX = (
    "log1p, sqrt, cap(VALUE), scale(FACTOR), rescale(lsq,SCHEME), rescale(match:CODE,SCHEME)"
)


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
        new, new_unit, label = np.minimum(w, value), unit, f"cap({_label_number(value)})"
        record["value"] = value
    elif how == "scale":
        factor = _number(params, "factor", how)
        new, new_unit, label = w * factor, unit, f"scale({_label_number(factor)})"
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


def _label_number(value: float) -> str:
    """``value`` as short as it reads back exactly (``365``, ``0.5``, ``0.30000000000000004``)."""
    short = f"{value:g}"
    return short if float(short) == value else repr(value)


def _bad_step(name: str, step: str, why: str) -> UnknownNameError:
    msg = f"scheme name {name!r}: step {step!r} {why}; a step is one of {STEP_SYNTAX}"
    return UnknownNameError(msg)


def _split_steps(name: str, text: str) -> list[str]:
    """``text`` split at the ``+`` signs outside parentheses."""
    steps: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise _bad_step(name, text[start : i + 1], "closes a parenthesis it never opened")
        elif char == "+" and depth == 0:
            steps.append(text[start:i])
            start = i + 1
    if depth:
        raise _bad_step(name, text[start:], "leaves a parenthesis open")
    steps.append(text[start:])
    return steps


def _last_top_comma(text: str) -> int:
    depth, found = 0, -1
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            found = i
    return found


def _step_number(name: str, step: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad_step(name, step, f"needs a number (got {text!r})") from None
    if not (math.isfinite(value) and value >= 0) or text.strip() != text:
        raise _bad_step(name, step, f"needs a finite number >= 0 (got {text!r})")
    return value


def parse_steps(name: str, text: str) -> list[tuple[str, dict[str, Any]]]:
    """The derivation steps written in ``text`` (what follows the parent's name and ``+`` in
    ``name``) as ``(how, params)``; a rescale's ``to`` is the reference scheme's name.

    Strict: an unknown step, a missing or extra argument, or a number that is not finite and
    >= 0 is an [`UnknownNameError`][crimeharm.UnknownNameError] listing the valid steps.
    """
    out: list[tuple[str, dict[str, Any]]] = []
    for step in _split_steps(name, text):
        op, paren, rest = step.partition("(")
        if op not in DERIVATIONS:
            raise _bad_step(name, step, "is not a derivation")
        if paren and not rest.endswith(")"):
            raise _bad_step(name, step, "has text after its closing parenthesis")
        args = rest[:-1] if paren else None
        if op in ("log1p", "sqrt"):
            if args is not None:
                raise _bad_step(name, step, "takes no arguments")
            out.append((op, {}))
        elif op in ("cap", "scale"):
            if not args:
                raise _bad_step(name, step, "needs one number in parentheses")
            key = "value" if op == "cap" else "factor"
            out.append((op, {key: _step_number(name, step, args)}))
        else:
            comma = _last_top_comma(args or "")
            method, reference = (args or "")[:comma], (args or "")[comma + 1 :]
            if comma < 0 or not reference:
                raise _bad_step(name, step, "needs a method and a scheme: rescale(lsq,SCHEME)")
            if method == "lsq":
                out.append((op, {"method": "lsq", "to": reference}))
            elif method.startswith("match:") and len(method) > len("match:"):
                code = method[len("match:") :]
                out.append((op, {"method": "match", "code": code, "to": reference}))
            else:
                raise _bad_step(name, step, f"has method {method!r}, not lsq or match:CODE")
    return out


def apply_steps(
    scheme: WeightScheme,
    steps: Sequence[tuple[str, Mapping[str, Any]]],
    resolve: Callable[[str], WeightScheme],
) -> WeightScheme:
    """``scheme`` with ``steps`` (from ``parse_steps``) applied in order; ``resolve`` turns a
    rescale's reference name into a scheme.
    """
    for how, params in steps:
        given = dict(params)
        if how == "rescale":
            given["to"] = resolve(str(given["to"]))
        scheme = derive_scheme(scheme, how, **given)
    return scheme


def rederive(
    parent: WeightScheme,
    recorded: Sequence[Mapping[str, Any]],
    resolve: Callable[[str], WeightScheme],
) -> WeightScheme:
    """Repeat the recorded ``metadata["derivations"]`` steps on ``parent``, checking that each
    step starts from the scheme (and rescales to the reference) whose checksum was recorded.
    """
    scheme = parent
    for n, step in enumerate(recorded, start=1):
        how = str(step.get("op", ""))
        want = step.get("parent_checksum")
        if want is not None and scheme.checksum != want:
            msg = (
                f"derivation step {n} ({how}) was applied to {step.get('parent')!r} with "
                f"checksum {str(want)[:12]}..., but {scheme.name!r} now has "
                f"{scheme.checksum[:12]}...: the parent scheme changed"
            )
            raise SchemeError(msg)
        params: dict[str, Any] = {}
        if how == "cap":
            params["value"] = step.get("value")
        elif how == "scale":
            params["factor"] = step.get("factor")
        elif how == "rescale":
            reference = resolve(str(step.get("to")))
            if step.get("to_checksum") not in (None, reference.checksum):
                msg = (
                    f"derivation step {n} rescaled to {step.get('to')!r} with checksum "
                    f"{str(step.get('to_checksum'))[:12]}..., which now has "
                    f"{reference.checksum[:12]}...: the reference scheme changed"
                )
                raise SchemeError(msg)
            params.update(to=reference, method=step.get("method", "lsq"))
            if step.get("code") is not None:
                params["code"] = step["code"]
        elif how not in DERIVATIONS:
            known = ", ".join(DERIVATIONS)
            msg = f"derivation step {n}: unknown derivation {how!r}; one of {known}"
            raise SchemeError(msg)
        scheme = derive_scheme(scheme, how, **params)
    return scheme
