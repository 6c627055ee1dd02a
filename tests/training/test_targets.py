"""Targets: late or not, days-late buckets and censored payment times, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.ledger.factories import dates
from training.targets import (
    BUCKETS,
    bucket_outcome,
    invoice_documents,
    late_outcome,
    payment_durations,
)

NAN = float("nan")


def _invoices(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    """Invoices from (issue, due, paid) tuples, on a shuffled index (results follow it)."""
    frame = pd.DataFrame(
        {
            "issue_date": dates(*[r[0] for r in rows]),
            "due_date": dates(*[r[1] for r in rows]),
            "paid_date": dates(*[r[2] for r in rows]),
        }
    )
    frame.index = [10 * (len(rows) - i) for i in range(len(rows))]
    return frame


def _same(got: pd.Series, expected: list[float]) -> None:
    np.testing.assert_array_equal(got.to_numpy(dtype=float), np.array(expected, dtype=float))


def test_late_is_known_once_due_and_means_paid_after_the_due_date() -> None:
    known_at = pd.Timestamp("2024-06-01")
    invoices = _invoices(
        [
            ("2024-02-01", "2024-03-01", "2024-02-20"),  # paid before due: on time
            ("2024-02-01", "2024-03-01", "2024-03-01"),  # paid on the due date: on time
            ("2024-02-01", "2024-03-01", "2024-03-02"),  # one day after: late
            ("2024-02-01", "2024-03-01", None),  # open, past due: late
            ("2024-04-01", "2024-05-31", None),  # due the day before known_at, open: late
            ("2024-02-01", "2024-03-01", "2024-06-10"),  # paid after known_at: open then, late
            ("2024-05-01", "2024-06-15", "2024-05-20"),  # not yet due though paid: unknown
            ("2024-05-01", "2024-06-15", None),  # not yet due, open: unknown
            ("2024-05-01", "2024-06-01", None),  # due on known_at itself: not yet passed
        ]
    )
    got = late_outcome(invoices, known_at)
    assert list(got.index) == list(invoices.index)
    _same(got, [0, 0, 1, 1, 1, 1, NAN, NAN, NAN])


def test_buckets_at_their_boundaries() -> None:
    known_at = pd.Timestamp("2025-01-01")
    due = "2024-06-01"
    days_late = [-5, 0, 1, 30, 31, 60, 61, 90, 91]
    paid = [(pd.Timestamp(due) + pd.Timedelta(days=d)).date().isoformat() for d in days_late]
    invoices = _invoices([("2024-05-01", due, p) for p in paid])
    _same(bucket_outcome(invoices, known_at), [0, 0, 1, 1, 2, 2, 3, 3, 4])


def test_an_open_invoice_is_over_90_only_once_more_than_90_days_past_due() -> None:
    known_at = pd.Timestamp("2025-01-01")
    # Still open on known_at, 91 days after a due date of 2024-10-02: over 90 whenever it
    # is paid. Due 2024-10-03 (90 days): it may yet be paid on known_at, 90 days late.
    invoices = _invoices(
        [
            ("2024-09-02", "2024-10-02", None),
            ("2024-09-03", "2024-10-03", None),
            ("2024-01-01", "2024-02-01", "2025-01-05"),  # paid after known_at: open then
            ("2024-12-01", "2024-12-31", None),
        ]
    )
    _same(bucket_outcome(invoices, known_at), [4, NAN, 4, NAN])
    assert BUCKETS[4] == "over_90"


def test_a_bucket_waits_for_the_due_date_plus_90_days_even_when_paid() -> None:
    # Like the late target: counting the recent invoices already paid but not the open ones
    # would fill the early buckets with the fast payers.
    known_at = pd.Timestamp("2025-01-01")
    invoices = _invoices(
        [
            ("2024-11-01", "2024-12-01", "2024-11-25"),  # paid early, due 31 days ago
            ("2024-11-01", "2024-12-01", "2024-12-10"),  # 9 days late, due 31 days ago
            ("2024-12-01", "2025-01-31", "2024-12-15"),  # paid, not even due yet
            ("2024-08-01", "2024-09-30", "2024-10-05"),  # due 93 days ago, 5 days late
        ]
    )
    _same(bucket_outcome(invoices, known_at), [NAN, NAN, NAN, 1])


def test_payment_durations_offsets_from_the_due_date_censored_while_open() -> None:
    known_at = pd.Timestamp("2024-06-01")
    invoices = _invoices(
        [
            ("2024-02-01", "2024-03-02", "2024-03-12"),  # 10 days late, issued 30 days before
            ("2024-02-01", "2024-03-02", "2024-02-25"),  # 6 days early
            ("2024-04-16", "2024-05-31", None),  # open: censored at 05-31, offset 0
            ("2024-02-01", "2024-03-02", "2024-06-01"),  # paid on known_at: not known yet
            ("2024-05-20", "2024-07-19", None),  # open, not yet due: negative offset
        ]
    )
    got = payment_durations(invoices, known_at)
    assert list(got.index) == list(invoices.index)
    assert got["offset"].tolist() == [10, -6, 0, 90, -49]
    assert got["paid"].tolist() == [True, True, False, False, False]
    assert got["start"].tolist() == [-30, -30, -45, -30, -60]
    assert str(got["offset"].dtype) == "int64"


def test_invoice_documents_drops_credit_notes() -> None:
    frame = pd.DataFrame({"invoice_id": ["F1", "A1", "F2"]})
    frame["doc_type"] = ["invoice", "credit_note", "invoice"]
    assert invoice_documents(frame)["invoice_id"].tolist() == ["F1", "F2"]
