"""The one calendar: hand-checked French holidays and TARGET2 closing days, and the runs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.day_calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    closing_days,
    is_business_day,
    month_end_run,
    month_of,
    month_start,
    next_business_day,
    previous_business_day,
    tenth_run,
    weekday,
)


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def _iso(day: np.int64 | int) -> str:
    return str(np.int64(day).astype("datetime64[D]"))


def _month(iso: str) -> int:
    return int(month_of(_day(iso)))


# Months numbered from 1970-01 to a year past the holidays' last, where only weekends close.
MONTHS = st.integers(min_value=0, max_value=(LAST_YEAR + 1 - 1970) * 12 + 11)
DAYS = st.integers(min_value=0, max_value=_day(f"{LAST_YEAR + 1}-12-31"))


@pytest.mark.parametrize(
    ("iso", "why"),
    [
        ("2026-05-01", "Friday, Fête du travail (and TARGET2 closed)"),
        ("2024-07-14", "Sunday anyway"),
        ("2025-07-14", "Monday, Fête nationale"),
        ("2025-08-15", "Friday, Assomption"),
        ("2024-04-01", "Easter Monday (French holiday and TARGET2)"),
        ("2024-03-29", "Good Friday: TARGET2 closed, not a French public holiday"),
        ("2024-05-09", "Thursday, Ascension"),
        ("2024-05-20", "Whit Monday: lundi de Pentecôte, a public holiday since 2008"),
        ("2025-12-26", "Friday 26 December: TARGET2 closed, not a French public holiday"),
        ("2024-11-11", "Monday, Armistice"),
        ("2027-01-01", "Friday, New Year's Day"),
    ],
)
def test_holidays_and_target2_closing_days_are_not_business_days(iso: str, why: str) -> None:
    assert not is_business_day(_day(iso)), why


@pytest.mark.parametrize(
    "iso",
    [
        "2025-12-31",  # Wednesday, New Year's Eve: T2 open
        "2025-12-24",  # Wednesday, Christmas Eve
        "2024-03-28",  # Maundy Thursday
        "2006-06-05",  # Whit Monday in 2005-2007 was a working day (journée de solidarité)
        "2024-05-07",  # Tuesday, the day before Victoire 1945
    ],
)
def test_ordinary_weekdays_are_business_days(iso: str) -> None:
    assert is_business_day(_day(iso))


def test_good_friday_moves_the_month_end_run_to_thursday() -> None:
    # 2024-03-31 is a Sunday, 03-30 a Saturday, 03-29 Good Friday: Thursday 28 March.
    assert _iso(month_end_run(_month("2024-03-01"))) == "2024-03-28"


def test_armistice_moves_the_tenth_run_to_tuesday() -> None:
    # 2024-11-10 is a Sunday, 11-11 Armistice Day: Tuesday 12 November.
    assert _iso(tenth_run(_month("2024-11-01"))) == "2024-11-12"


def test_runs_on_ordinary_days_stay() -> None:
    assert _iso(month_end_run(_month("2025-12-01"))) == "2025-12-31"  # a Wednesday
    assert _iso(tenth_run(_month("2025-12-01"))) == "2025-12-10"  # a Wednesday


def test_business_days_step_over_easter() -> None:
    # Good Friday 2024-03-29, the weekend, Easter Monday 04-01: four closed days in a row.
    assert _iso(next_business_day(_day("2024-03-29"))) == "2024-04-02"
    assert _iso(previous_business_day(_day("2024-04-01"))) == "2024-03-28"
    days = np.array([[_day("2024-03-30"), _day("2024-04-02")]])
    assert next_business_day(days).shape == (1, 2)  # shapes kept


def test_outside_the_covered_years_only_weekends_close() -> None:
    closed = closing_days()
    assert closed[0] == _day(f"{FIRST_YEAR}-01-01") and closed[-1] <= _day(f"{LAST_YEAR}-12-31")
    assert (np.diff(closed) > 0).all() and not closed.flags.writeable
    assert not is_business_day(_day("2100-07-14"))  # Wednesday, the last year covered
    assert is_business_day(_day("2101-07-14"))  # a Thursday past the holidays known
    assert is_business_day(_day("2101-12-26"))  # a Monday


@given(MONTHS)
def test_the_month_end_run_is_its_month_s_last_business_day(month: int) -> None:
    run = int(month_end_run(month))
    last = int(month_start(month + 1)) - 1
    assert is_business_day(run)
    assert month_of(run) == month
    assert not is_business_day(np.arange(run + 1, last + 1)).any()


@given(MONTHS)
def test_the_tenth_run_is_the_first_business_day_from_the_tenth(month: int) -> None:
    run = int(tenth_run(month))
    tenth = int(month_start(month)) + 9
    assert is_business_day(run)
    assert run >= tenth
    assert not is_business_day(np.arange(tenth, run)).any()


@given(DAYS)
def test_next_and_previous_business_days_are_the_nearest(day: int) -> None:
    after, before = int(next_business_day(day)), int(previous_business_day(day))
    assert is_business_day(after) and is_business_day(before)
    assert before <= day <= after
    assert not is_business_day(np.arange(day, after)).any()
    assert not is_business_day(np.arange(before + 1, day + 1)).any()
    assert is_business_day(day) == (before == after == day)
    assert weekday(after) < 5
