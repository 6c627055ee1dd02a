"""Day numbers: dates to days since 1970-01-01 and back, missing dates to a sentinel."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import balances
from ledger.day_calendar import closing_days
from ledger.days import EPOCH, NEVER, dates_of, day_number, day_numbers
from simulator.tables import _dates

# The dates the API takes (serving.api.schemas.FIRST_DAY .. LAST_DAY).
FIRST_DAY, LAST_DAY = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
api_dates = st.dates(min_value=FIRST_DAY, max_value=LAST_DAY)
api_moments = st.datetimes(
    min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2199, 12, 31, 23, 59, 59)
)
ROOT = Path(__file__).resolve().parents[2]


@given(api_dates)
def test_one_date_round_trips(day: dt.date) -> None:
    n = day_number(day)
    assert n == (day - EPOCH).days
    assert dates_of([n])[0] == np.datetime64(day, "ns")
    assert dates_of([n], unit="D")[0] == np.datetime64(day, "D")


@given(st.lists(api_dates, max_size=20), st.lists(st.booleans(), max_size=20))
def test_many_dates_round_trip_and_missing_ones_become_the_sentinel(
    days: list[dt.date], gaps: list[bool]
) -> None:
    values: list[dt.date | None] = [
        None if gap else day for day, gap in zip(days, gaps + [False] * len(days), strict=False)
    ]
    column = pd.Series(values, dtype=object).astype("datetime64[ns]")
    numbers = day_numbers(column)
    expected = [NEVER if v is None else (v - EPOCH).days for v in values]
    assert numbers.tolist() == expected
    assert day_numbers(column, missing=-7).tolist() == [
        -7 if v is None else n for v, n in zip(values, expected, strict=True)
    ]
    back = pd.Series(dates_of(numbers))
    assert back.isna().tolist() == [v is None for v in values]
    assert back.equals(column.reset_index(drop=True))


@given(api_moments)
def test_a_moment_belongs_to_its_day_before_1970_too(moment: dt.datetime) -> None:
    expected = (moment.date() - EPOCH).days
    assert day_number(moment) == day_number(pd.Timestamp(moment)) == expected
    stamps = np.array([moment], dtype="datetime64[ns]")
    assert day_numbers(stamps).tolist() == day_numbers(pd.Series(stamps)).tolist() == [expected]


@pytest.mark.parametrize("missing", [None, pd.NaT, np.datetime64("NaT")])
def test_a_missing_date_is_the_sentinel(missing: object) -> None:
    assert day_number(missing) == NEVER  # type: ignore[arg-type]
    assert day_number(missing, missing=-1) == -1  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["2024-02-29", dt.date(2024, 2, 29), np.datetime64("2024-02-29T13:00")]
)
def test_one_date_in_any_form(value: object) -> None:
    assert day_number(value) == 19_782  # type: ignore[arg-type]  # 54 years, 13 leap days, +59


def test_dates_past_the_nanosecond_range_are_missing_not_wrapped() -> None:
    # The simulator's "never" (10**7 days, year 29349) would wrap around in datetime64[ns].
    got = dates_of(np.array([10**7, 0, -1]), missing=-1)
    assert pd.isna(got[0]) and pd.isna(got[2])
    assert got[1] == np.datetime64("1970-01-01", "ns")


@given(st.lists(api_dates, min_size=1, max_size=10))
def test_the_old_formulas_agree(days: list[dt.date]) -> None:
    # Each was a copy of its own before ledger.days: kpis' ordinals, lettrage's and the
    # simulator's numpy casts, the worklist's and the actions route's date differences.
    stamps = pd.Series(days, dtype=object).astype("datetime64[ns]")
    numbers = day_numbers(stamps)
    ordinals = [pd.Timestamp(d).toordinal() - dt.date(1970, 1, 1).toordinal() for d in days]
    numpy_cast = stamps.to_numpy().astype("datetime64[D]").astype(np.int64)
    differences = [(pd.Timestamp(d) - pd.Timestamp("1970-01-01")).days for d in days]
    assert numbers.tolist() == ordinals == numpy_cast.tolist() == differences
    frame = pd.DataFrame({"issue_date": stamps})
    assert balances._days(frame, "issue_date", -1).tolist() == numbers.tolist()
    assert balances._days(frame, "paid_date", -1).tolist() == [-1] * len(days)
    assert _dates(numbers).equals(stamps)


def test_the_closing_days_are_day_numbers() -> None:
    # 1 May 2024 (Fête du travail), 25 December 2100: both closed.
    assert {day_number(dt.date(2024, 5, 1)), day_number(dt.date(2100, 12, 25))} <= set(
        closing_days().tolist()
    )


def test_no_package_counts_days_on_its_own() -> None:
    # One module converts dates to day numbers and back; copies of the epoch crept back in
    # six places before (issue 20).
    copies = re.compile(r"1970, 1, 1|toordinal|Timestamp\(\"1970|_epoch_day|\bEPOCH\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for package in ("ledger", "features", "training", "serving", "encours")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "days.py" or path.parent.name != "ledger"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if copies.search(line)
    ]
    assert found == []
