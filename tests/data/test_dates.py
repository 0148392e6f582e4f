"""Date parsing against a naive reference: every declared format reads back the calendar date it wrote."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_risk.data.dates import FORMATS, DateSpec, parse_dates
from credit_risk.exceptions import ConfigError

WRITE = {
    "YYYY-MM-DD": lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}",
    "YYYY-M-D": lambda d: f"{d.year}-{d.month}-{d.day}",
    "YYYY/MM/DD": lambda d: f"{d.year:04d}/{d.month:02d}/{d.day:02d}",
    "YYYY/M/D": lambda d: f"{d.year}/{d.month}/{d.day}",
    "YYYYMMDD": lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}",
    "YYYY年MM月DD日": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "YYYY-MM": lambda d: f"{d.year:04d}-{d.month:02d}",
    "YYYY/MM": lambda d: f"{d.year:04d}/{d.month:02d}",
    "YYYYMM": lambda d: f"{d.year:04d}{d.month:02d}",
    "YYYY年MM月": lambda d: f"{d.year}年{d.month}月",
    "YYYY": lambda d: f"{d.year:04d}",
    "YYYY年": lambda d: f"{d.year}年",
}


def _expected(d: dt.date, precision: str) -> pd.Timestamp:
    """Naive reference: the day itself, the last day of its month, or 31 December."""
    if precision == "day":
        return pd.Timestamp(d)
    if precision == "month":
        return pd.Timestamp(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
    return pd.Timestamp(d.year, 12, 31)


def test_every_format_has_a_writer():
    assert set(WRITE) == set(FORMATS)


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), min_size=1, max_size=30),
    fmt=st.sampled_from(sorted(FORMATS)),
    precision=st.sampled_from(["day", "month", "year", None]),
)
def test_declared_formats_read_back_the_date(days, fmt, precision):
    own = FORMATS[fmt].precision
    order = {"day": 0, "month": 1, "year": 2}
    if precision is not None and order[own] > order[precision]:
        with pytest.raises(ConfigError, match="give less than a"):
            DateSpec(precision=precision, formats=(fmt,))
        return
    spec = DateSpec(precision=precision, formats=(fmt,))
    text = pd.Series([WRITE[fmt](d) for d in days], dtype="str")
    parsed, issues = parse_dates(text, np.ones(len(days), dtype=bool), spec, "records.start")
    assert issues == []
    coarsest = max(order[own], order[precision or "day"])
    level = {0: "day", 1: "month", 2: "year"}[coarsest]
    assert parsed.tolist() == [_expected(d, level) for d in days]


@settings(max_examples=40, deadline=None)
@given(days=st.lists(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)), min_size=1, max_size=20),
       fmt=st.sampled_from([f for f in sorted(FORMATS) if f != "YYYY-MM-DD"]))
def test_undeclared_formats_are_never_guessed(days, fmt):
    text = pd.Series([WRITE[fmt](d) for d in days], dtype="str")
    parsed, issues = parse_dates(text, np.ones(len(days), dtype=bool), None, "records.start")
    iso = text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").to_numpy()  # YYYY-M-D of a 2-digit month and day
    assert parsed.isna().to_numpy().tolist() == (~iso).tolist()
    flagged = np.zeros(len(days), dtype=bool)
    for issue in issues:
        flagged |= issue.mask
    assert flagged.tolist() == (~iso).tolist()
