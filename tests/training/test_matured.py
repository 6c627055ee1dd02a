"""Matured performance: which scores count, and their figures by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from training.matured import cash_error, coverage, matured_report, matured_scores

TODAY = pd.Timestamp("2025-03-01")
D = pd.Timestamp


def _scores(rows: list[tuple[str, str, float]], version: str = "1") -> pd.DataFrame:
    """Logged scores (invoice, as_of, p_late), no payment dates."""
    return pd.DataFrame(
        {
            "scored_at": pd.Timestamp("2025-01-01", tz="UTC"),
            "source": "api",
            "invoice_id": [r[0] for r in rows],
            "client_id": "C1",
            "as_of": pd.to_datetime([r[1] for r in rows]),
            "model_version": version,
            "p_late": [r[2] for r in rows],
            "expected_date": pd.NaT,
            "p10_date": pd.NaT,
            "p90_date": pd.NaT,
        }
    )


INVOICES = pd.DataFrame(
    {
        "invoice_id": ["A", "B", "C", "D", "E"],
        "client_id": "C1",
        "due_date": [
            D("2025-01-31"),
            D("2025-01-31"),
            D("2025-02-15"),
            D("2025-04-30"),
            D("2025-01-31"),
        ],
        # A on time, B late, C open past due, D not due yet, E paid after today (unknown)
        "paid_date": [D("2025-01-20"), D("2025-02-10"), pd.NaT, pd.NaT, D("2025-03-10")],
        "amount_cents": [10_000, 20_000, 30_000, 40_000, 50_000],
        "sector": ["btp", "btp", "it", "it", "it"],
    }
)


def test_only_scores_given_before_the_outcome_count() -> None:
    scores = _scores(
        [
            ("A", "2025-01-02", 0.2),
            ("A", "2025-01-25", 0.9),  # after A was paid: the outcome was known
            ("B", "2025-01-02", 0.6),
            ("B", "2025-01-02", 0.7),  # the same score again that day: counts once (the last)
            ("C", "2025-01-20", 0.5),
            ("D", "2025-02-20", 0.4),  # not due, unpaid: not matured
            ("E", "2025-01-02", 0.3),  # paid after today: at today, late and unpaid
        ]
    )
    rows = matured_scores(scores, INVOICES, TODAY).set_index("invoice_id")
    assert sorted(rows.index) == ["A", "B", "C", "E"]
    assert rows.loc["B", "p_late"] == 0.7
    assert rows["late"].to_dict() == {"A": False, "B": True, "C": True, "E": True}
    # Known on: A when paid, the others the day after their due date.
    assert rows.loc["A", "known_on"] == D("2025-01-20")
    assert rows.loc["C", "known_on"] == D("2025-02-16")


def test_figures_by_hand() -> None:
    scores = _scores([("A", "2025-01-02", 0.2), ("B", "2025-01-02", 0.6), ("C", "2025-01-20", 0.5)])
    report = matured_report(scores, INVOICES, TODAY)
    # Outcomes 0, 1, 1 for 0.2, 0.6, 0.5: Brier (0.04 + 0.16 + 0.25) / 3 = 0.15;
    # late share 2/3 against a mean probability 1.3/3: gap 0.7/3.
    assert report["n"] == 3
    assert report["brier"] == pytest.approx(0.15)
    assert report["calibration_gap"] == pytest.approx(0.7 / 3)
    assert report["auc"] is None  # fewer than 20 matured scores
    assert [m["month"] for m in report["by_month"]] == ["2025-01"]
    assert report["by_model_version"][0]["n"] == 3
    # Outcomes known in the last 30 days (after 2025-01-30): B (due 31/01) and C (15/02).
    assert report["recent"]["n"] == 2
    assert {s["sector"]: s["n"] for s in report["recent_by_sector"]} == {"btp": 1, "it": 1}


def test_coverage_counts_a_payment_inside_the_band_and_an_open_invoice_past_its_p90() -> None:
    rows = pd.DataFrame(
        {
            "paid_date": [D("2025-01-20"), D("2025-02-10"), pd.NaT, pd.NaT],
            "p10_date": [D("2025-01-10")] * 4,
            "p90_date": [D("2025-01-31"), D("2025-01-31"), D("2025-02-01"), D("2025-06-01")],
        }
    )
    # Inside; paid after its P90; open past its P90 (outside); open before its P90 (unknown).
    assert coverage(rows, TODAY) == {"n": 3, "p10_p90": pytest.approx(1 / 3)}


def test_cash_error_against_what_came_in() -> None:
    rows = pd.DataFrame(
        {
            "as_of": [D("2025-01-01")] * 3 + [D("2025-02-15")],
            "expected_date": [D("2025-01-20"), D("2025-01-25"), D("2025-03-01"), D("2025-02-20")],
            "paid_date": [D("2025-01-20"), D("2025-02-15"), D("2025-01-30"), pd.NaT],
            "amount_cents": [100, 200, 400, 800],
        }
    )
    # 01/01, horizon 31/01: expected 100 + 200, paid 100 + 400: |300 - 500| / 500 = 0.4.
    # 15/02's horizon (17/03) has not passed at 01/03: left out.
    assert cash_error(rows, TODAY) == {"days": 1, "wape": pytest.approx(0.4)}


def test_an_empty_log_gives_counts_of_zero_and_no_figures() -> None:
    report = matured_report(_scores([]), INVOICES, TODAY)
    assert report["n"] == 0 and report["brier"] is None and report["by_month"] == []
    assert report["coverage"] == {"n": 0, "p10_p90": None}
    assert report["cash_forecast"] == {"days": 0, "wape": None}
