"""Regression tests for defects a review found on main (messages, errors, concat, manifests)."""

from __future__ import annotations

import numpy as np
import pytest

import crimeharm as ch

SCHEME = ch.WeightScheme.from_mapping({"A": 1.0}, name="t", unit="days")
AS_OF = "2023-07-18"


def test_counts_in_messages_have_thousands_separators() -> None:
    n = 3000
    with pytest.raises(ch.EventsError, match="; 2,999 other rows too"):
        ch.Events(offender_id=[1] * n, offence_code=["A"] * n, date=[None] * n)
    codes = ["X"] * 1500 + ["Y"] * 1200 + ["A"]
    events = ch.Events(offender_id=[1] * len(codes), offence_code=codes, date=[AS_OF] * len(codes))
    with pytest.raises(ch.UnknownCodeError, match=r"1,500 rows carry it .*'Y' \(1,200\)"):
        ch.score(events, SCHEME, as_of=AS_OF)
