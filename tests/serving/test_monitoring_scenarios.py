"""Simulated drift, noticed: each scenario raises its alert within a month of its start,
and a ledger without drift raises none in a year of monthly monitoring.

The champion here is a logistic regression on the features (with the client's sector):
the monitoring judges any late-payment model by the same figures, and this one fits in a
second where the booster takes a minute on these ledgers. Every invoice is scored on its
issue date from the model's cut-off on, as the API scores new invoices, and logged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from config import Settings
from ledger.score_log import append_scores
from ledger.storage import make_engine, migrate
from serving.champions import ModelSet
from serving.score_log import score_rows
from serving.scoring import LoadedModel
from serving.services.context import Context, context_of
from serving.services.monitoring import Alert, monitoring
from simulator import SimulationConfig, simulate
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL
from training.targets import late_outcome

MONTHS = 30  # from January 2024: a scenario starts on 1 March 2026 by default
START = dt.date(2026, 3, 1)


def _fitted(ledger: object, cutoff: pd.Timestamp) -> LoadedModel:
    """A logistic regression on the numeric features and the sector, fitted before ``cutoff``."""
    split = out_of_time_split(ledger, cutoff, ledger_end(ledger))  # type: ignore[arg-type]
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    numeric = list(split.x_train.select_dtypes("number").columns)
    prepare = make_column_transformer(
        (make_pipeline(SimpleImputer(), StandardScaler()), numeric),
        (OneHotEncoder(handle_unknown="ignore"), ["cli_sector"]),
    )
    model = make_pipeline(prepare, LogisticRegression(solver="newton-cholesky"))
    model.fit(split.x_train[known][[*numeric, "cli_sector"]], y[known].astype(int))
    return LoadedModel(LATE_MODEL, "1", model)


def _deployed(root: Path, scenario: str | None, cutoff: dt.date) -> tuple[Context, object]:
    """A ledger (with ``scenario``), its model fitted before ``cutoff``, and a score log
    holding the model's score of every invoice issued since, given on its issue date."""
    config = SimulationConfig(n_clients=200, n_months=MONTHS, seed=5, scenario=scenario)
    ledger = simulate(config).ledger
    late = _fitted(ledger, pd.Timestamp(cutoff))
    settings = Settings(database_url=f"sqlite:///{root}/ledger.db", models_dir=root / "models")
    ctx = context_of(ledger, ModelSet.of([late]), settings)
    engine = make_engine(settings.database_url)
    migrate(engine)
    invoices = ledger.invoices
    issued = invoices[
        (invoices["doc_type"] == "invoice") & (invoices["issue_date"] >= pd.Timestamp(cutoff))
    ]
    x = ctx.features.transform(issued, issued["issue_date"])
    p_late = late.predict_late(x, issued["client_id"].to_numpy())
    days = issued["issue_date"].to_numpy()
    append_scores(
        engine, score_rows("batch", late, days, issued["invoice_id"], issued["client_id"], p_late)
    )
    return ctx, engine


def _alerts(root: Path, scenario: str) -> list[Alert]:
    """The alerts 30 days after the scenario's start, of a model fitted two months before."""
    ctx, engine = _deployed(root, scenario, dt.date(2026, 1, 1))
    return monitoring(ctx, engine, START + dt.timedelta(days=30), cutoff=dt.date(2026, 1, 1)).alerts  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        # Construction's late share jumps: the matured scores of its outcomes say so.
        ("sector-downturn", ("calibration", "btp")),
        # Every new invoice is due at 60 days: the terms feature moves.
        ("terms-change", ("psi", "inv_terms_days")),
        # 40 % of the clients are new: the model never saw them.
        ("new-client-wave", ("unseen_clients", "clients")),
    ],
)
def test_each_scenario_is_noticed_within_a_month(
    tmp_path: Path, scenario: str, expected: tuple[str, str]
) -> None:
    raised = {(a.kind, a.subject) for a in _alerts(tmp_path, scenario)}
    assert expected in raised


def test_a_ledger_without_drift_raises_nothing_in_a_year(tmp_path: Path) -> None:
    cutoff = dt.date(2025, 5, 1)
    ctx, engine = _deployed(tmp_path, None, cutoff)
    days = pd.date_range("2025-07-01", periods=12, freq="MS")
    raised = {day.date(): monitoring(ctx, engine, day.date(), cutoff=cutoff).alerts for day in days}  # type: ignore[arg-type]
    assert {day: [a.message for a in alerts] for day, alerts in raised.items() if alerts} == {}
    # The months monitored had matured scores enough to judge (so silence means something).
    last = monitoring(ctx, engine, days[-1].date(), cutoff=cutoff)  # type: ignore[arg-type]
    assert last.matured["recent"]["n"] > 300
    assert last.psi["windows"]["30d"]["n"] > 300
