"""Payment runs: hand-checked month ends and 10ths, and the features that read them."""

from __future__ import annotations

import numpy as np
import pytest

from features.pay_runs import on_run, run_in_term
from features.pipeline import build_features
from ledger.day_calendar import month_end_run, month_of, tenth_run
from tests.features.test_history import _invoices, _ledger
from tests.ledger.factories import dates


def _days(*values: str) -> np.ndarray:
    return dates(*values).to_numpy().astype("datetime64[D]").astype("int64")


def _dates(days: np.ndarray) -> list[str]:
    return [str(d) for d in days.astype("datetime64[D]")]


def test_runs_move_off_weekends() -> None:
    months = month_of(_days("2024-08-15", "2024-11-01", "2025-05-20", "2024-07-04"))
    # 2024-08-31 is a Saturday, 2024-11-30 a Saturday, 2025-05-31 a Saturday; 2024-07-31
    # a Wednesday.
    assert _dates(month_end_run(months)) == ["2024-08-30", "2024-11-29", "2025-05-30", "2024-07-31"]
    # 2024-08-10 is a Saturday, 2024-11-10 a Sunday (and Monday 11 November is Armistice
    # Day), 2025-05-10 a Saturday; 2024-07-10 a Wednesday.
    assert _dates(tenth_run(months)) == ["2024-08-12", "2024-11-12", "2025-05-12", "2024-07-10"]


def test_a_day_is_on_a_run_only_on_the_run_itself() -> None:
    days = _days("2024-08-30", "2024-08-31", "2024-08-12", "2024-08-10", "2024-07-10")
    assert on_run(days, month_end_run).tolist() == [True, False, False, False, False]
    assert on_run(days, tenth_run).tolist() == [False, False, True, False, True]


@pytest.mark.parametrize(
    ("issue", "due", "expected"),
    [
        ("2024-08-29", "2024-09-28", True),  # the 08-30 run comes after issue
        ("2024-08-30", "2024-09-27", False),  # issued on the run; September's is on 09-30
        ("2024-08-30", "2024-09-30", True),  # ... due on that run itself
        ("2024-08-01", "2024-08-01", False),  # cash on issue: no day after issue
    ],
)
def test_a_month_end_run_in_term(issue: str, due: str, expected: bool) -> None:
    assert run_in_term(_days(issue), _days(due), month_end_run).tolist() == [expected]


def test_a_tenth_run_in_term() -> None:
    # 2024-08-10 is a Saturday: the run is Monday 08-12.
    issue, due = (
        _days("2024-08-01", "2024-08-01", "2024-08-12"),
        _days("2024-08-11", "2024-08-12", "2024-09-09"),
    )
    assert run_in_term(issue, due, tenth_run).tolist() == [False, True, False]


def test_features_say_how_the_client_pays_and_whether_a_run_is_in_term() -> None:
    invoices = _invoices(
        [
            ("C1", "2024-06-01", "2024-07-01", "2024-07-31"),  # Wednesday, a month end
            ("C1", "2024-07-01", "2024-07-31", "2024-07-31"),  # the same run
            ("C1", "2024-07-15", "2024-08-14", "2024-08-12"),  # Monday after Saturday 08-10
            ("C1", "2024-08-01", "2024-08-31", "2024-08-20"),  # an ordinary Tuesday
            ("C1", "2024-08-30", "2024-09-27", None),  # issued on the August run
            ("C1", "2024-09-10", "2024-09-27", None),  # issued on the September 10th run
        ]
    )
    both = build_features(
        _ledger(invoices), invoices.iloc[[4, 5]], dates("2024-09-01", "2024-09-10")
    )
    got = both.iloc[0]
    assert got["hist_share_paid_month_end"] == pytest.approx(2 / 4)
    assert got["hist_share_paid_tenth"] == pytest.approx(1 / 4)
    # September's month-end run is 09-30, after the due date; its 10th run (09-10) is in.
    assert got["inv_month_end_run_in_term"] == 0.0
    assert got["inv_tenth_run_in_term"] == 1.0
    # Half of C1's payments came on month-end runs, none of which is in this term.
    assert got["hist_paydays_in_term"] == pytest.approx(1 - 2 / 4)
    # Issued on the 10th run itself: neither kind of run is left before the due date.
    assert both.iloc[1]["hist_paydays_in_term"] == pytest.approx(1 - 2 / 4 - 1 / 4)
