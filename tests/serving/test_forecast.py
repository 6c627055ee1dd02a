"""The cash-in forecast: hand-checked moments, bands, unbilled, the backtest and the route."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see tests/training/conftest.py

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import Settings, get_settings
from features.pipeline import FeatureBuilder, build_features
from ledger.storage import make_engine, migrate, save_ledger
from serving.api.problems import add_problem_handlers
from serving.api.routes import forecast as forecast_route
from serving.api.security import RequireRole
from serving.api.state import AppState
from serving.api_keys import Role
from serving.champions import ModelSet
from serving.forecast import (
    backtest,
    backtest_dates,
    bands,
    forecast_cash,
    moments,
    net_of_unapplied,
    payment_calendars,
    period_ends,
    period_probabilities,
    snapped_days,
    stale_ledger_warning,
)
from serving.ledger_source import LedgerSource
from serving.scoring import LoadedModel
from simulator import SimulationConfig, simulate
from tests.features.test_history import _invoices, _ledger
from tests.ledger.factories import dates, small_ledger
from tests.serving.stubs import PaidEvenly, served_from
from training.dataset import out_of_time_split
from training.models import TIME_MODEL, fit_models
from training.payment_time import PaymentDistribution

SPREAD = 28
AS_OF = dt.date(2024, 3, 15)
runner = CliRunner()


def test_hand_checked_expectation_and_variance() -> None:
    # Today is day 100. A (100 €) is paid evenly over the next 28 days, B (200 €) over 14.
    due = np.array([90, 120])
    knots = np.array([[10.0, 38.0], [-20.0, -6.0]])
    dist = PaymentDistribution(knots, np.tile([1.0, 0.0], (2, 1)), due, np.array([-40, -40]))
    q = period_probabilities(dist, 100, period_ends(4, "week"))
    np.testing.assert_allclose(q, [[0.25] * 4, [0.5, 0.5, 0, 0]])
    mean, var = moments(np.array([10_000.0, 20_000.0]), q)
    np.testing.assert_allclose(mean, [12_500, 12_500, 2_500, 2_500])
    # 10000² × 0.25 × 0.75 + 20000² × 0.5 × 0.5
    np.testing.assert_allclose(var, [118_750_000, 118_750_000, 18_750_000, 18_750_000])
    low, high = bands(mean, var, 1.96)
    np.testing.assert_allclose(high - mean, 1.96 * np.sqrt(var))
    assert low[2] == 0.0  # 2500 − 1.96 × 4330 < 0: clipped
    days = period_probabilities(dist, 100, period_ends(1, "day"))
    np.testing.assert_allclose(days.sum(axis=1), [0.25, 0.5])


def test_invoices_of_one_client_move_together() -> None:
    q = np.array([[0.5], [0.5], [0.2]])
    a = np.array([100.0, 300.0, 50.0])
    clients = np.array(["A", "A", "B"])
    _, independent = moments(a, q)
    _, comonotone = moments(a, q, clients, rho=1.0)
    _, half = moments(a, q, clients, rho=0.5)
    np.testing.assert_allclose(independent, [100**2 * 0.25 + 300**2 * 0.25 + 50**2 * 0.16])
    np.testing.assert_allclose(comonotone, [(100 * 0.5 + 300 * 0.5) ** 2 + 50**2 * 0.16])
    np.testing.assert_allclose(half, (independent + comonotone) / 2)


def test_clients_paying_in_month_end_runs_are_paid_on_the_run() -> None:
    # Friday 31 May 2024 and Friday 28 June 2024 are month-end runs; as_of Wednesday 15 May.
    as_of = (pd.Timestamp("2024-05-15") - pd.Timestamp("1970-01-01")).days
    codes = np.array([0, 1])
    before_run = snapped_days(as_of, as_of + 15, codes)  # Thursday 30 May
    on_run = snapped_days(as_of, as_of + 16, codes)  # the run
    assert before_run.tolist() == [as_of + 15, as_of]  # nothing can be paid before the run
    assert on_run[0] == as_of + 16
    assert on_run[1] == as_of + 16 + 14  # read midway to the 28 June run
    # a uniform payment over the 28 days from as_of: all of it in the run's week (week 3)
    dist = PaymentDistribution(
        np.array([[0.0, 28.0]] * 2), np.tile([1.0, 0.0], (2, 1)), np.full(2, as_of), np.zeros(2)
    )
    q = period_probabilities(dist, as_of, period_ends(4, "week"), codes)
    np.testing.assert_allclose(q[0], [0.25] * 4)
    np.testing.assert_allclose(q[1], [0, 0, 1, 0])
    ledger = small_ledger()
    # 2024-03-29 is Good Friday: the March run is Thursday 28 March.
    paid = pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-28"])
    invoices = pd.concat([ledger.invoices.iloc[[0]]] * 3, ignore_index=True)
    invoices["invoice_id"], invoices["paid_date"] = ["R1", "R2", "R3"], paid
    ledger.invoices = pd.concat([ledger.invoices, invoices], ignore_index=True)
    calendars = payment_calendars(ledger, dt.date(2024, 4, 1))
    assert calendars.to_dict() == {"C1": 0}  # 3 of its 4 settlements on runs: below 80 %
    ledger.invoices = pd.concat([ledger.invoices, invoices.iloc[[0]]], ignore_index=True)
    assert payment_calendars(ledger, dt.date(2024, 4, 1)).to_dict() == {"C1": 1}  # 4 of 5


def test_the_forecast_and_the_features_read_the_same_runs() -> None:
    # Good Friday 29 March 2024: March's month-end run is Thursday 28 March, for both.
    paid = ["2024-01-31", "2024-02-29", "2024-03-28", "2024-04-30"]  # Wed, Thu, Thu, Tue
    rows = [("C1", "2023-12-01", day, day) for day in paid]
    invoices = _invoices([*rows, ("C1", "2024-05-02", "2024-06-01", None)])
    ledger = _ledger(invoices)
    features = build_features(ledger, invoices.iloc[[4]], dates("2024-05-02"))
    assert features.iloc[0]["hist_share_paid_month_end"] == 1.0
    assert payment_calendars(ledger, dt.date(2024, 5, 2)).to_dict() == {"C1": 1}
    # Read from Wednesday 20 March: no run by Wednesday 27th; by Thursday 28th, the run
    # (its CDF read midway to the next run, Tuesday 30 April).
    as_of = (pd.Timestamp("2024-03-20") - pd.Timestamp("1970-01-01")).days
    codes = np.array([1])
    assert snapped_days(as_of, as_of + 7, codes).tolist() == [as_of]
    assert snapped_days(as_of, as_of + 8, codes).tolist() == [as_of + 8 + 33 / 2]


def test_forecast_of_the_small_ledger() -> None:
    ledger = small_ledger()
    made = forecast_cash(
        ledger, FeatureBuilder().fit(ledger), PaidEvenly(SPREAD), AS_OF, horizon_weeks=8
    )
    p = made.periods
    assert made.n_invoices == 1  # F2: 550.50 less 200.00 paid; F1 paid, A1 a credit note
    # F2's 350.50 paid evenly over 4 weeks; the unbilled 300 € of C2 (invoiced 1 April,
    # 30-day terms by default) is paid on 1 May, day 47: week 7.
    assert p["expected_cents"].tolist() == [8762, 8762, 8762, 8762, 0, 0, 30_000, 0]
    assert p["unbilled_cents"].tolist() == [0] * 6 + [30_000, 0]
    assert p.loc[0, "std_cents"] == round(35_050 * np.sqrt(0.1875))
    assert (p.loc[6, "low95_cents"], p.loc[6, "high95_cents"]) == (30_000, 30_000)
    # encours: 350.50 échu + 300 à émettre − 100 of advances; run off by the cash-in
    assert made.encours_cents == 55_050
    assert p["encours_cents"].tolist()[-1] == -10_000  # all collected: the advances remain
    assert p["period_start"].iloc[0] == dt.date(2024, 3, 16)
    assert p["period_end"].iloc[-1] == dt.date(2024, 5, 10)
    dso = p["encours_cents"] * 365 / made.sales_12m_cents
    np.testing.assert_allclose(p["dso"], dso, atol=0.1)


def test_cash_received_but_not_lettered_is_not_forecast_again() -> None:
    ledger = small_ledger()
    unlettered = ledger.payments.iloc[[1]].assign(
        payment_id="P3", amount_cents=pd.array([10_000], dtype="Int64"), invoice_id=None
    )
    ledger.payments = pd.concat([ledger.payments, unlettered], ignore_index=True)
    made = forecast_cash(
        ledger, FeatureBuilder().fit(ledger), PaidEvenly(SPREAD), AS_OF, horizon_weeks=8
    )
    # F2's 350.50 open less C2's 100.00 received and not lettered: 250.50 to come, not 350.50.
    assert made.periods["expected_cents"].tolist()[:4] == [6262, 6262, 6262, 6262]
    assert made.encours_cents == 55_050 - 10_000


def test_unapplied_cash_settles_the_earliest_due_first() -> None:
    docs = pd.DataFrame(
        {
            "client_id": ["A", "A", "B", "A"],
            "due_date": dates("2024-02-01", "2024-01-01", "2024-01-01", "2024-03-01").to_numpy(),
            "open_cents": [500, 300, 700, 200],
        },
        index=[10, 11, 12, 13],
    )
    net = net_of_unapplied(docs, pd.Series({"A": 400, "C": 50}))
    assert net.to_dict() == {10: 400, 11: 0, 12: 700, 13: 200}


def test_bands_contain_the_mean_and_widen_with_the_horizon() -> None:
    ledger = simulate(SimulationConfig(n_clients=20, n_months=8, seed=3)).ledger
    as_of = pd.to_datetime(ledger.invoices["issue_date"]).max().date()
    made = forecast_cash(
        ledger,
        FeatureBuilder().fit(ledger),
        PaidEvenly(SPREAD),
        as_of,
        horizon_weeks=6,
        granularity="day",
    )
    p = made.periods
    assert len(p) == 42
    assert (p["low95_cents"] <= p["low80_cents"]).all()
    assert (p["low80_cents"] <= p["expected_cents"]).all()
    assert (p["expected_cents"] <= p["high80_cents"]).all()
    assert (p["high80_cents"] <= p["high95_cents"]).all()
    spread = np.sqrt(np.cumsum(p["std_cents"].to_numpy(dtype="float64") ** 2))
    assert (np.diff(spread) >= 0).all() and spread[-1] > spread[0]
    with pytest.raises(ValueError):
        period_ends(27, "week")


def test_backtest_gives_wape_for_the_model_and_both_baselines() -> None:
    ledger = simulate(SimulationConfig(n_clients=40, n_months=12, seed=11)).ledger
    dates = backtest_dates(ledger)
    assert 10 <= len(dates) <= 14 and dates == sorted(dates)
    assert {(b - a).days for a, b in pairwise(dates)} == {14}
    end = pd.Timestamp(dates[-1]) + pd.Timedelta(days=28)
    time_model = fit_models(out_of_time_split(ledger, pd.Timestamp(dates[0]), end)).time
    result = backtest(ledger, FeatureBuilder().fit(ledger), time_model, dates[:3])
    assert len(result.weeks) == 12
    assert set(result.wape) == {"model", "due_date", "client_delay"}
    assert all(np.isfinite(v) and v >= 0 for v in result.wape.values())
    assert 0 <= result.coverage80 <= 1
    assert (result.weeks["actual_cents"] >= 0).all()


# --- the route ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file holding the small ledger."""
    path = tmp_path_factory.mktemp("forecast") / "small.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    save_ledger(engine, small_ledger())
    engine.dispose()
    return path


def make_app(database: Path, tmp_path: Path, time_model: Any | None, keys: bool = False) -> FastAPI:
    """The forecast router on a test state; API keys are checked only with ``keys``."""
    shutil.copy(database, tmp_path / "l.db")
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/l.db",
        models_dir=tmp_path / "m",
        ledger_refresh_seconds=0,
    )
    engine = make_engine(settings.database_url)
    served = [LoadedModel(TIME_MODEL, "2", time_model)] if time_model is not None else []
    app = FastAPI()
    app.state.encours = AppState(
        settings=settings,
        engine=engine,
        ledger=LedgerSource(engine, settings.ledger_refresh_seconds),
        models=ModelSet.of(served),
    )
    add_problem_handlers(app)
    app.include_router(forecast_route.router)
    if not keys:
        app.dependency_overrides[RequireRole(Role.VIEWER)] = lambda: None
    return app


@pytest.fixture
def api(database: Path, tmp_path: Path) -> Iterator[TestClient]:
    """The forecast route over the small ledger with the stub model."""
    with TestClient(make_app(database, tmp_path, PaidEvenly(SPREAD))) as client:
        yield client


def test_forecast_route(api: TestClient) -> None:
    response = api.get("/v1/forecast", params={"as_of": str(AS_OF), "horizon_weeks": 8})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["model"], body["currency"], body["encours"]) == (
        {"name": TIME_MODEL, "version": "2"},
        "EUR",
        550.5,
    )
    assert [p["expected"] for p in body["periods"]] == [87.62] * 4 + [0, 0, 300, 0]
    daily = api.get(
        "/v1/forecast", params={"as_of": str(AS_OF), "horizon_weeks": 1, "granularity": "day"}
    ).json()
    assert len(daily["periods"]) == 7
    assert body["warnings"] == daily["warnings"] == []


def test_a_forecast_long_after_the_ledger_ends_says_so() -> None:
    ledger = small_ledger()  # its last date: a payment on 2024-02-20
    assert stale_ledger_warning(ledger, dt.date(2024, 3, 21)) is None  # 30 days after
    warning = stale_ledger_warning(ledger, dt.date(2024, 3, 22))
    assert warning is not None
    assert "31 days after the last date the ledger knows (2024-02-20)" in warning
    assert "as_of=2024-02-20" in warning


def test_the_route_warns_when_as_of_is_long_after_the_ledger(api: TestClient) -> None:
    body = api.get("/v1/forecast", params={"as_of": "2026-12-02"}).json()
    assert len(body["warnings"]) == 1 and "(2024-02-20)" in body["warnings"][0]


@pytest.mark.parametrize(
    "params",
    [
        {"horizon_weeks": 0},
        {"horizon_weeks": 27},
        {"granularity": "month"},
        {"as_of": "9999-12-31"},  # beyond the dates a ledger can hold: once a 500
        {"as_of": "02/12/2026"},
    ],
)
def test_bad_parameters_are_422_problems(api: TestClient, params: dict[str, Any]) -> None:
    response = api.get("/v1/forecast", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_without_a_payment_time_model_is_503(database: Path, tmp_path: Path) -> None:
    with TestClient(make_app(database, tmp_path, None)) as client:
        response = client.get("/v1/forecast")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"


def test_needs_a_viewer_key(database: Path, tmp_path: Path) -> None:
    with TestClient(make_app(database, tmp_path, PaidEvenly(SPREAD), keys=True)) as client:
        assert client.get("/v1/forecast").status_code == 401


# --- the command line ---------------------------------------------------------------------


def test_cli_forecast_and_backtest(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(database, tmp_path / "l.db")
    monkeypatch.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{tmp_path}/l.db")
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr("training.tracking.use_store", lambda *_: "0")
    monkeypatch.setattr(
        "serving.services.load_champions", served_from({TIME_MODEL: PaidEvenly(SPREAD)})
    )
    get_settings.cache_clear()
    try:
        args = ["forecast", "--as-of", str(AS_OF), "--horizon-weeks", "8"]
        shown = runner.invoke(cli_app, [*args, "--json"])
        assert shown.exit_code == 0, shown.output
        payload = json.loads(shown.stdout)
        assert [p["expected"] for p in payload["periods"]] == [87.62] * 4 + [0, 0, 300, 0]
        table = runner.invoke(cli_app, args)
        assert table.exit_code == 0 and "Prévision d'encaissements" in table.output
        assert payload["warnings"] == [] and "Attention" not in table.output
        stale = runner.invoke(cli_app, ["forecast", "--as-of", "2026-12-02"])
        assert stale.exit_code == 0 and "Attention" in stale.output
        replayed = runner.invoke(cli_app, ["forecast", "--backtest"])
        assert replayed.exit_code == 0, replayed.output
        assert "WAPE" in replayed.output
        bad = runner.invoke(cli_app, ["forecast", "--horizon-weeks", "27"])
        assert bad.exit_code != 0
    finally:
        get_settings.cache_clear()
