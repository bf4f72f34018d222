"""Tests of the example plugin, written as a force would: with crimeharm.testing.

Run after installing the package: ``pip install -e '.[test]' && pytest``.
"""

from __future__ import annotations

import crimeharm_force_example as plugin
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import crimeharm as ch
from crimeharm.testing import check_decay, check_scheme, reference_harm
from crimeharm.testing import strategies as chst


def test_scheme_is_registered_and_valid() -> None:
    scheme = check_scheme("example-force-cchi")
    assert scheme.unit == "days"
    assert len(scheme) == len(ch.get_scheme("cchi-2020"))


def test_only_the_local_codes_change() -> None:
    scheme = ch.get_scheme("example-force-cchi")
    cchi = ch.get_scheme("cchi-2020")
    local = plugin.local_adjustments()
    for code, weight in cchi.to_dict().items():
        expected = local[code][0] if code in local else weight
        assert scheme.weight(code) == expected
    assert scheme.weight("008/67") > cchi.weight("008/67")  # coercive control


def test_decay_contract() -> None:
    check_decay("two-stage")
    check_decay("two-stage", hold_days=30, half_life_days=90)
    decay = ch.get_decay("two-stage", hold_days=365, half_life_days=365)
    assert decay.factor(np.array([0, 364, 365, 730])).tolist() == [1.0, 1.0, 1.0, 0.5]


@settings(max_examples=50)
@given(
    chst.events(scheme=ch.get_scheme("example-force-cchi")),
    st.floats(1, 2000),
    st.floats(1, 2000),
)
def test_scores_match_a_plain_sum(events: ch.Events, hold: float, half_life: float) -> None:
    scheme = ch.get_scheme("example-force-cchi")
    decay = ch.get_decay("two-stage", hold_days=hold, half_life_days=half_life)
    s = ch.score(events, scheme, as_of=chst.AS_OF, window_days=1826, decay=decay)
    ref = reference_harm(events, scheme, as_of=chst.AS_OF, window_days=1826, decay=decay)
    assert s.offender_id.tolist() == sorted(ref)
    for oid, harm in zip(s.offender_id.tolist(), s.harm.tolist(), strict=True):
        assert abs(harm - ref[oid][0]) <= 1e-9 * ref[oid][0]
