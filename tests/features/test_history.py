"""Point-in-time history features: hand-checked values and the no-future property."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from features.history import NAMES as HISTORY
from features.pipeline import FeatureBuilder, build_features
from features.registry import REGISTRY
from ledger.contract import CLIENTS, Ledger, empty_frame
from tests.ledger.factories import dates


def _ledger(invoices: pd.DataFrame) -> Ledger:
    clients = empty_frame(CLIENTS)
    clients["client_id"] = ["C1", "C2"]
    return Ledger(clients=clients.assign(is_public_sector=False), invoices=invoices)


def _invoices(rows: list[tuple[str, str, str, str | None]]) -> pd.DataFrame:
    """Invoices from (client, issue, due, paid) tuples."""
    return pd.DataFrame(
        {
            "invoice_id": [f"F{i}" for i in range(len(rows))],
            "client_id": [r[0] for r in rows],
            "issue_date": dates(*[r[1] for r in rows]),
            "due_date": dates(*[r[2] for r in rows]),
            "amount_cents": pd.array([10_000] * len(rows), dtype="Int64"),
            "currency": ["EUR"] * len(rows),
            "doc_type": ["invoice"] * len(rows),
            "disputed": [False] * len(rows),
            "paid_date": dates(*[r[3] for r in rows]),
            "written_off": [False] * len(rows),
            "credited_invoice_id": [None] * len(rows),
        }
    )


def test_history_counts_only_settlements_before_as_of() -> None:
    invoices = _invoices(
        [
            ("C1", "2024-01-01", "2024-01-31", "2024-02-10"),  # 10 days late
            ("C1", "2024-02-01", "2024-03-02", "2024-02-25"),  # 6 days early
            ("C1", "2024-02-15", "2024-03-16", "2024-04-15"),  # 30 late, paid after as_of
            ("C2", "2024-01-01", "2024-01-31", None),
        ]
    )
    targets = invoices.iloc[[2, 2, 3]].reset_index(drop=True)
    as_of = dates("2024-03-01", "2024-02-10", "2024-03-01")
    got = build_features(_ledger(invoices), targets, as_of)[HISTORY]
    # At 03-01, C1 has two settlements known: +10 and -6 (the third is paid after).
    # Median of (10, -6) = 2; p90 = -6 + 0.9 × 16 = 8.4; equal amounts: weighted = 2;
    # EWM, half-life 3 (weight of the older one 0.5^(1/3) = 0.7937):
    # (−6 + 0.7937 × 10) / 1.7937 = 1.0799; last late payment on 02-10, 20 days before.
    assert got.loc[0].to_dict() == pytest.approx(
        {
            "hist_n_paid": 2,
            "hist_mean_days_late": 2.0,
            "hist_median_days_late": 2.0,
            "hist_p90_days_late": 8.4,
            "hist_share_late": 0.5,
            "hist_amount_weighted_days_late": 2.0,
            "hist_ewm_days_late": 1.0799,
            "hist_recent_mean_days_late": 2.0,
            "hist_trend_days_late": 0.0,
            "hist_max_days_late": 10.0,
            "hist_last_days_late": -6.0,
            # Paid on Saturday 02-10 and Sunday 02-25: neither a 10th run nor a month end.
            "hist_share_paid_month_end": 0.0,
            "hist_share_paid_tenth": 0.0,
            "hist_days_since_last_late": 20.0,
            # ... so every payment day C1 used can come in any term.
            "hist_paydays_in_term": 1.0,
            # Everyone's settlements before 03-01 are C1's two: share 0.5, mean 2; shrunk
            # with weight 5: (2 × 0.5 + 5 × 0.5) / 7 = 0.5 and (2 × 2 + 5 × 2) / 7 = 2.
            "hist_shrunk_share_late": 0.5,
            "hist_shrunk_mean_days_late": 2.0,
            # No dispute: each delay less everyone's mean (2): (8 + -8) / 2 = 0; each late
            # flag less everyone's share late (0.5): (0.5 - 0.5) / 2 = 0.
            "hist_excess_share_late": 0.0,
            "hist_excess_days_late": 0.0,
        },
        abs=1e-4,
    )
    # Paid on as_of itself (02-10) is not yet known.
    assert got.loc[1, "hist_n_paid"] == 0
    # No history: an explicit zero count and NaN rates, not a perfect payer.
    assert got.loc[2, "hist_n_paid"] == 0
    assert np.isnan(got.loc[2, "hist_mean_days_late"])
    assert np.isnan(got.loc[2, "hist_share_late"])
    # ... but the shrunk figures fall back on everyone's: C2 starts from the population's.
    assert got.loc[2, "hist_shrunk_share_late"] == pytest.approx(0.5)
    assert got.loc[2, "hist_shrunk_mean_days_late"] == pytest.approx(2.0)
    # Nobody had paid anything before 02-10: no prior either.
    assert np.isnan(got.loc[1, "hist_shrunk_mean_days_late"])


def test_a_short_history_is_pulled_toward_everyone_else() -> None:
    invoices = _invoices(
        [
            ("C1", "2024-01-01", "2024-01-31", "2024-01-31"),  # on time
            ("C1", "2024-01-02", "2024-02-01", "2024-02-01"),  # on time
            ("C1", "2024-01-03", "2024-02-02", "2024-02-02"),  # on time
            ("C2", "2024-01-01", "2024-01-31", "2024-03-01"),  # 30 days late
            ("C2", "2024-04-01", "2024-05-01", None),
        ]
    )
    got = build_features(_ledger(invoices), invoices.iloc[[4]], dates("2024-04-01"))
    # C2: one invoice, 30 days late. Everyone: 4 settled, 1 late (share 0.25), mean 7.5.
    # Shrunk: (1 × 1 + 5 × 0.25) / 6 = 0.375 and (1 × 30 + 5 × 7.5) / 6 = 11.25.
    assert got.iloc[0]["hist_share_late"] == 1.0
    assert got.iloc[0]["hist_shrunk_share_late"] == pytest.approx(0.375)
    assert got.iloc[0]["hist_shrunk_mean_days_late"] == pytest.approx(11.25)


def test_excess_days_late_sets_a_dispute_s_delay_apart() -> None:
    invoices = _invoices(
        [
            ("C1", "2024-01-01", "2024-01-31", "2024-03-01"),  # 30 days late, disputed
            ("C1", "2024-01-02", "2024-02-01", "2024-02-05"),  # 4 days late
            ("C2", "2024-01-01", "2024-01-31", "2024-02-20"),  # 20 days late, disputed
            ("C2", "2024-01-02", "2024-02-01", "2024-02-01"),  # on time
            ("C2", "2024-01-03", "2024-02-02", "2024-02-04"),  # 2 days late
            ("C1", "2024-04-01", "2024-05-01", None),
            ("C2", "2024-04-01", "2024-05-01", None),
        ]
    )
    invoices.loc[[0, 2], "disputed"] = True
    got = build_features(_ledger(invoices), invoices.iloc[[5, 6]], dates("2024-04-01"))
    # Everyone before 04-01: disputed invoices 30 and 20 days late (mean 25), others
    # 4, 0 and 2 (mean 2). C1: (30 - 25 + 4 - 2) / 2 = 3.5, slower than its peers even
    # though its mean delay (17) is mostly the dispute's. C2: (20 - 25 + 0 - 2 + 2 - 2) / 3.
    assert got["hist_excess_days_late"].tolist() == pytest.approx([3.5, -7 / 3])
    # Late or not: every disputed invoice was late (share 1), 2 of the 3 others (2/3).
    # C1: (1 - 1 + 1 - 2/3) / 2 = 1/6. C2: (1 - 1 + 0 - 2/3 + 1 - 2/3) / 3 = -1/9.
    assert got["hist_excess_share_late"].tolist() == pytest.approx([1 / 6, -1 / 9])
    assert got["hist_mean_days_late"].tolist() == pytest.approx([17.0, 22 / 3])


def test_every_feature_is_registered_with_a_description() -> None:
    invoices = _invoices([("C1", "2024-01-01", "2024-01-31", None)])
    builder = FeatureBuilder().fit(_ledger(invoices))
    assert sorted(builder.feature_names) == sorted(REGISTRY)  # no user columns here
    assert builder.feature_names[:3] == [
        "hist_n_paid",
        "hist_mean_days_late",
        "hist_median_days_late",
    ]
    assert all(spec.description and spec.family for spec in builder.specs)


day = st.integers(min_value=0, max_value=120)


@st.composite
def ledgers(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for _ in range(n):
        issue = draw(day)
        due = issue + draw(st.sampled_from([0, 30, 45, 60]))
        paid = draw(st.one_of(st.none(), st.integers(min_value=issue, max_value=issue + 150)))
        rows.append((draw(st.sampled_from(["C1", "C2"])), issue, due, paid))
    base = pd.Timestamp("2024-01-01")
    as_date = lambda d: None if d is None else str((base + pd.Timedelta(days=d)).date())  # noqa: E731
    return _invoices([(c, as_date(i), as_date(d), as_date(p)) for c, i, d, p in rows])


@settings(max_examples=50, deadline=None)
@given(ledger=ledgers(), as_of_day=day, shift=st.integers(min_value=0, max_value=60))
def test_events_after_as_of_do_not_change_features(
    ledger: pd.DataFrame, as_of_day: int, shift: int
) -> None:
    as_of = pd.Timestamp("2024-01-01") + pd.Timedelta(days=as_of_day)
    targets = ledger.head(3)
    before = build_features(_ledger(ledger), targets, pd.Series(as_of, index=targets.index))
    # Move every settlement on or after as_of later, or erase it: the past is the same.
    future = ledger["paid_date"] >= as_of
    altered = ledger.copy()
    altered.loc[future, "paid_date"] = altered.loc[future, "paid_date"] + pd.Timedelta(days=shift)
    if shift % 2:
        altered.loc[future, "paid_date"] = pd.NaT
    after = build_features(_ledger(altered), targets, pd.Series(as_of, index=targets.index))
    pd.testing.assert_frame_equal(before, after)
