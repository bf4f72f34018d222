"""A realistic synthetic police-force dataset for demos, docs and tests (no real person in it).

[`make_demo_events`][crimeharm.make_demo_events] draws offences from the real CCHI 2020 notifiable
Home Office codes, weighted from the scheme: common low-harm offences (shoplifting, common assault,
criminal damage) are frequent and grave ones (rape, murder) rare. Offending per offender is
heavy-tailed, most offenders appear once, and offenders specialise (acquisitive, violent, domestic,
drugs, sexual, general). Victims are people, businesses (shops are repeat victims) or nobody (drugs,
weapons); domestic offenders mostly offend against the same partner, so repeat victims appear.

The defaults are calibrated to one real English force, Northamptonshire Police 2010-16
(``concentration.PUBLISHED_FIGURES["northamptonshire-2010-16"]``, doi:10.1007/s41887-019-00039-7):
327,566 crimes by 39,545 detected offenders over seven years, 8.28 events per offender, and 7%
of offenders linked to 80% of the CCHI harm. The default call gives about 39,800 offenders
(8.2 events each) with the top 7% holding about 80% of the harm under ``cchi-2020`` with no
decay and a window covering every year generated. Other sizes keep the events per offender and
the concentration only roughly (tests/test_demo.py checks other seeds and sizes).
Everything is vectorised numpy and deterministic for a given ``seed``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from ..core.events import Events
from ..errors import ParameterError

__all__ = ["DEFAULT_EVENTS", "DEFAULT_YEARS", "make_demo_events"]

#: Default number of events: Northamptonshire Police's 327,566 crimes of 2010-16.
DEFAULT_EVENTS = 327_566
#: Default years of data: seven, as Northamptonshire's 2010-16.
DEFAULT_YEARS = 7
# -- calibration ---------------------------------------------------------------------------------
# Offence frequency ~ boost * weight ** -_BETA; events per offender ~ 1 + floor(Lomax(_ALPHA,
# _SCALE)), capped: mean about 8.2 with these values, about 28% of offenders appear once.
_BETA = 0.635
_ALPHA = 1.45
_SCALE = 3.5
_MAX_EVENTS = 500  # cap on one offender's events over the whole period
_GAP_DAYS = 75.0  # mean days between an offender's offences (sets career length)
_CO_OFFENDING = 0.08  # share of events that are a second offender on the same crime
_PERSON_POOL = 900_000  # residents who can be victims
_BUSINESS_POOL = 4_000  # shops and businesses
_DOMESTIC_PARTNER = 0.85  # share of a domestic offender's person-victim events against the partner

# Common offences and how much more often they occur than their weight alone says (rough shares
# of detected offences in an English force). Codes absent from the scheme are ignored.
_COMMON: dict[str, float] = {
    "046/00": 70.0,  # theft from shops and stalls
    "105/01": 80.0,  # common assault and battery
    "149/00": 35.0,  # criminal damage to a dwelling (under £5,000)
    "058/00": 4.0,  # criminal damage (£5,000 and over)
    "125/12": 15.0,  # harassment, alarm or distress (s5 POA)
    "125/09": 6.0,  # intentional harassment, alarm or distress
    "125/11": 10.0,  # fear or provocation of violence
    "195/94": 20.0,  # harassment
    "092/61": 35.0,  # possession of cannabis
    "092/50": 8.0,  # possession of cocaine
    "049/10": 20.0,  # other theft
    "045/10": 8.0,  # theft from a motor vehicle
    "048/01": 4.0,  # theft of a motor vehicle
    "030/02": 4.0,  # burglary, business and community
    "039/00": 3.0,  # theft from the person
    "044/00": 4.0,  # theft of a pedal cycle
    "053/40": 6.0,  # fraud by false representation
    "053/25": 6.0,  # making off without payment
    "104/23": 6.0,  # assault without injury on a constable
    "008/73": 4.0,  # assault by beating of a constable
    "008/26": 5.0,  # article with a blade or point in a public place
    "008/11": 3.0,  # offensive weapon
    "008/30": 6.0,  # harassment: putting people in fear of violence
    "008/31": 5.0,  # breach of a restraining order
    "066/39": 4.0,  # breach of a non-molestation order
    "008/67": 3.0,  # controlling or coercive behaviour
    "003/01": 3.0,  # threats to kill
    "066/01": 3.0,  # affray
    "020/05": 3.0,  # sexual assault on a female
    "088/09": 1.5,  # exposure
    "802/00": 2.0,  # dangerous driving
    "054/01": 2.0,  # handling stolen goods
}

_TYPES = ("acquisitive", "violent", "domestic", "drugs", "sexual", "general")
# Type shares for occasional offenders and for prolific ones (10+ events).
_TYPE_P = np.array([0.27, 0.27, 0.15, 0.12, 0.04, 0.15])
_TYPE_P_PROLIFIC = np.array([0.50, 0.15, 0.12, 0.13, 0.01, 0.09])
# How much each type favours each offence group (1 = neutral).
_AFFINITY: dict[str, dict[str, float]] = {
    "acquisitive": {
        "THEFT": 6.0,
        "BURGLARY": 6.0,
        "ROBBERY": 3.0,
        "VEHICLE OFFENCES": 5.0,
        "NFIB FRAUD": 3.0,
        "FRAUD AND FORGERY": 3.0,
        "SEXUAL OFFENCES": 0.05,
        "VIOLENCE AGAINST THE PERSON": 0.3,
    },
    "violent": {
        "VIOLENCE AGAINST THE PERSON": 5.0,
        "PUBLIC ORDER OFFENCES": 4.0,
        "POSSESSION OF WEAPONS": 4.0,
        "ROBBERY": 2.0,
        "ARSON AND CRIMINAL DAMAGE": 2.0,
        "SEXUAL OFFENCES": 0.1,
    },
    "domestic": {
        "VIOLENCE AGAINST THE PERSON": 8.0,
        "ARSON AND CRIMINAL DAMAGE": 4.0,
        "PUBLIC ORDER OFFENCES": 3.0,
        "SEXUAL OFFENCES": 0.5,
        "THEFT": 0.2,
        "DRUG OFFENCES": 0.1,
    },
    "drugs": {
        "DRUG OFFENCES": 12.0,
        "POSSESSION OF WEAPONS": 3.0,
        "MISCELLANEOUS CRIMES AGAINST SOCIETY": 2.0,
        "SEXUAL OFFENCES": 0.05,
    },
    "sexual": {
        "SEXUAL OFFENCES": 60.0,
        "MISCELLANEOUS CRIMES AGAINST SOCIETY": 3.0,
        "VIOLENCE AGAINST THE PERSON": 0.5,
    },
    "general": {},
}
# Victim kind per offence group: person, business or none (a crime against society).
_NO_VICTIM_GROUPS = {
    "DRUG OFFENCES",
    "POSSESSION OF WEAPONS",
    "MISCELLANEOUS CRIMES AGAINST SOCIETY",
}
_BUSINESS_CODES = {"046/00", "030/02", "031/00", "034/01", "034/02", "053/25", "047/00", "041/00"}
_DOMESTIC_GROUPS = {
    "VIOLENCE AGAINST THE PERSON",
    "SEXUAL OFFENCES",
    "ARSON AND CRIMINAL DAMAGE",
    "PUBLIC ORDER OFFENCES",
}
# Share of person victims who are female, by offence group (else 0.5).
_FEMALE_SHARE = {"SEXUAL OFFENCES": 0.88, "VIOLENCE AGAINST THE PERSON": 0.40}
_PARTNER_FEMALE = 0.80


@attrs.frozen
class _CodeTable:
    codes: npt.NDArray[np.str_]
    weights: npt.NDArray[np.float64]
    groups: npt.NDArray[np.str_]
    frequency: npt.NDArray[np.float64]  # relative frequency before offender-type affinity


@cache
def _code_table() -> _CodeTable:
    """Notifiable CCHI offences by Home Office code, weights from the ``cchi-2020`` scheme."""
    from ..plugins import get_scheme
    from .cchi import cchi_offences

    scheme = get_scheme("cchi-2020")
    notifiable = sorted(
        {o.ho_code for o in cchi_offences() if o.notifiable and o.ho_code in scheme}
    )
    rows = scheme.index_of(np.array(notifiable, dtype=np.str_))
    weights = scheme.weights[rows]
    groups = (
        scheme.groups[rows] if scheme.groups is not None else np.full(rows.size, "", dtype="<U1")
    )
    codes = np.array(notifiable, dtype=np.str_)
    boost = np.array([_COMMON.get(c, 1.0) for c in notifiable])
    frequency = boost * np.maximum(weights, 1.0) ** -_BETA
    return _CodeTable(codes=codes, weights=weights, groups=groups, frequency=frequency)


def _type_code_probabilities(table: _CodeTable) -> npt.NDArray[np.float64]:
    """One row per offender type: probability of each code."""
    rows = []
    for name in _TYPES:
        affinity = _AFFINITY[name]
        factor = np.array([affinity.get(str(g), 1.0) for g in table.groups])
        p = table.frequency * factor
        rows.append(p / p.sum())
    return np.vstack(rows)


def _offending_counts(rng: np.random.Generator, n_base: int) -> npt.NDArray[np.int64]:
    """Events per offender (1 + discrete Lomax, capped), summing exactly to ``n_base``."""
    mean = 7.5  # a little below the realised mean, so one draw nearly always suffices
    parts: list[npt.NDArray[np.int64]] = []
    total = 0
    while total < n_base:
        size = max(16, int((n_base - total) / mean * 1.05))
        u = 1.0 - rng.random(size)  # (0, 1]
        draw = np.minimum(1 + np.floor(_SCALE * (u ** (-1.0 / _ALPHA) - 1.0)), _MAX_EVENTS)
        parts.append(draw.astype(np.int64))
        total += int(draw.sum())
    counts: npt.NDArray[np.int64] = np.concatenate(parts)
    cum = np.cumsum(counts)
    last = int(np.searchsorted(cum, n_base))  # first offender reaching n_base
    counts = counts[: last + 1].copy()
    counts[-1] -= int(cum[last]) - n_base
    return counts


def make_demo_events(
    n_events: int = DEFAULT_EVENTS,
    *,
    seed: int = 20230718,
    as_of: Any = "2023-07-18",
    years: int = DEFAULT_YEARS,
) -> Events:
    """Synthetic offences of a whole police force over ``years`` years ending on ``as_of``.

    Columns: ``offender_id`` (int64, random 7-digit ids), ``offence_code`` (HO codes of the
    CCHI 2020 scheme, categorical), ``date`` (every day from ``as_of`` back ``years`` * 365.25
    days, so a window of that many days counts every event), ``victim_id`` (text ids; blank =
    no individual victim, e.g. drug possession, reported as "missing victim_id" when grouping
    by victim), ``crime_id`` (int64, shared by co-offenders) and
    an extra column ``victim_sex`` ("F", "M", or "U" for a business or no victim).
    Rows are in crime order (date, then crime id). The same ``seed`` gives the same events.

    Args:
        n_events: Events to generate (default: Northamptonshire's 327,566 crimes of 2010-16).
        seed: Random seed; the same seed gives the same events.
        as_of: The last day of the data.
        years: Years of data ending on ``as_of`` (default 7, as 2010-16).

    Returns:
        The synthetic [`Events`][crimeharm.Events].

    Raises:
        ParameterError: ``n_events`` or ``years`` is not a whole number >= 1, or ``as_of`` is
            not a date.
    """
    if isinstance(n_events, bool) or not isinstance(n_events, (int, np.integer)) or n_events < 1:
        msg = f"n_events must be a whole number >= 1 (got {n_events!r})"
        raise ParameterError(msg)
    if isinstance(years, bool) or not isinstance(years, (int, np.integer)) or years < 1:
        msg = f"years must be a whole number >= 1 (got {years!r})"
        raise ParameterError(msg)
    try:
        end = np.datetime64(as_of, "D")
    except (ValueError, TypeError) as exc:
        msg = f"as_of must be a date such as '2023-07-18' (got {as_of!r})"
        raise ParameterError(msg) from exc
    n_events = int(n_events)
    rng = np.random.default_rng(seed)
    table = _code_table()
    span = round(years * 365.25)

    n_co = round(n_events * _CO_OFFENDING) if n_events >= 20 else 0
    n_base = n_events - n_co

    # offenders: events each, a type, a career
    counts = _offending_counts(rng, n_base)
    m = counts.size
    prolific = counts >= 10
    kind = np.where(
        prolific,
        rng.choice(len(_TYPES), size=m, p=_TYPE_P_PROLIFIC),
        rng.choice(len(_TYPES), size=m, p=_TYPE_P),
    )
    id_range = max(9_000_000, 10 * m)
    offender_ids = 1_000_000 + rng.choice(id_range, size=m, replace=False).astype(np.int64)
    career = np.minimum(span, counts * rng.exponential(_GAP_DAYS, size=m))
    centre = rng.random(m) * span

    # events of each offender
    who = np.repeat(np.arange(m), counts)
    offset = (rng.random(n_base) - 0.5) * career[who]
    day = np.floor(centre[who] + offset).astype(np.int64) % span  # wrap keeps days uniform

    code = np.empty(n_base, dtype=np.int16)
    probabilities = _type_code_probabilities(table)
    event_kind = kind[who]
    for t in range(len(_TYPES)):  # one vectorised draw per offender type
        rows = np.flatnonzero(event_kind == t)
        code[rows] = rng.choice(table.codes.size, size=rows.size, p=probabilities[t])

    victim, sex = _victims(rng, table, code, who, kind, m)

    # crime order and crime ids; co-offenders share the crime of an existing event
    order = np.lexsort((rng.random(n_base), day))
    who, day, code, victim, sex = who[order], day[order], code[order], victim[order], sex[order]
    crime = 10_000_000 + np.arange(n_base, dtype=np.int64)
    if n_co:
        src = np.sort(rng.choice(n_base, size=n_co, replace=False))
        partner = who[rng.integers(0, n_base, size=n_co)]  # the active co-offend more
        if m > 1:
            partner = np.where(partner == who[src], (partner + 1) % m, partner)
        else:  # a lone offender's co-offender is someone seen only as a co-offender
            partner = np.full(n_co, 1, dtype=np.intp)
            offender_ids = np.append(offender_ids, offender_ids[0] + 1)
        insert = src + 1  # right after the event it copies
        who = np.insert(who, insert, partner)
        day = np.insert(day, insert, day[src])
        code = np.insert(code, insert, code[src])
        victim = np.insert(victim, insert, victim[src])
        sex = np.insert(sex, insert, sex[src])
        crime = np.insert(crime, insert, crime[src])

    return Events(
        offender_id=offender_ids[who],
        offence_code=code,
        categories=table.codes,
        date=end - (span - 1 - day).astype("timedelta64[D]"),
        victim_id=victim,
        crime_id=crime,
        columns={"victim_sex": sex},
    )


def _victims(
    rng: np.random.Generator,
    table: _CodeTable,
    code: npt.NDArray[np.int16],
    who: npt.NDArray[np.intp],
    kind: npt.NDArray[np.intp],
    m: int,
) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.str_]]:
    """Victim id and sex per event: person, business (repeat victims) or none (a blank id)."""
    n = code.size
    codes = table.codes
    is_business = np.isin(codes, sorted(_BUSINESS_CODES))[code]
    no_victim = np.isin(table.groups, sorted(_NO_VICTIM_GROUPS))[code] & ~is_business
    person = ~(is_business | no_victim)
    female_p = np.array([_FEMALE_SHARE.get(str(g), 0.5) for g in table.groups])[code]

    # people: ids 100_000_000 + index; even index = female, odd = male (so sex is per person)
    female = rng.random(n) < female_p
    index = 2 * rng.integers(0, _PERSON_POOL // 2, size=n) + np.where(female, 0, 1)
    # domestic offenders: one partner each, the victim of most of their person-victim offences
    partner_female = rng.random(m) < _PARTNER_FEMALE
    partner = 2 * rng.integers(0, _PERSON_POOL // 2, size=m) + np.where(partner_female, 0, 1)
    domestic = (kind[who] == _TYPES.index("domestic")) & np.isin(
        table.groups, sorted(_DOMESTIC_GROUPS)
    )[code]
    domestic &= rng.random(n) < _DOMESTIC_PARTNER
    index = np.where(domestic, partner[who], index)
    victim = np.where(person, 100_000_000 + index, 0).astype(np.int64)

    # businesses: a few big stores are victims again and again (Zipf-like popularity)
    business = np.minimum(rng.zipf(1.6, size=n), _BUSINESS_POOL) - 1
    victim = np.where(is_business, 900_000_000 + business, victim)

    sex = np.full(n, "U", dtype="<U1")
    sex[person] = np.where(index[person] % 2 == 0, "F", "M")
    # no individual victim: a blank id, the library's missing key (ids are text, as a reader
    # gives a victim_id column with blanks)
    width = len(str(int(victim.max(initial=0))))
    ids: npt.NDArray[np.str_] = np.where(victim == 0, "", victim.astype(f"<U{width}"))
    return ids, sex
