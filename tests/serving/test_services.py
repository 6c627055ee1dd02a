"""The service layer called directly: each use on a small simulated ledger with real models,
the same figures as the computations it wraps, and its errors told before any work."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from config import Settings
from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.errors import UnknownClient, UnknownInvoice
from ledger.kpis import BUCKETS, compute_kpis
from serving import services
from serving.champions import ModelSet, Refused
from serving.client_risk import client_risk as risk_of
from serving.forecast import forecast_cash
from serving.ledger_source import Snapshot
from serving.risk_score import suggested_limit, suggested_terms
from serving.scoring import LoadedModel, full_scores
from serving.services import Context, ModelUnavailable
from serving.worklist import build_worklist
from serving.worklist_filter import filtered
from simulator import SimulationConfig, simulate
from tests.serving.conftest import Store
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL, ONBOARDING_MODEL, TIME_MODEL, FittedModels, fit_models


@pytest.fixture(scope="module")
def trained() -> tuple[Ledger, FittedModels, dt.date]:
    """A small simulated ledger, its three models fitted out of time, and its last day."""
    ledger = simulate(SimulationConfig(n_clients=40, n_months=12, seed=11)).ledger
    end = ledger_end(ledger)
    models = fit_models(out_of_time_split(ledger, end - pd.Timedelta(days=183), end))
    return ledger, models, (end - pd.Timedelta(days=1)).date()


def champions(models: FittedModels, *names: str) -> ModelSet:
    """The fitted models of ``names`` as a served set, each at version 1."""
    fitted = {LATE_MODEL: models.late, TIME_MODEL: models.time, ONBOARDING_MODEL: models.onboarding}
    return ModelSet.of(LoadedModel(name, "1", fitted[name]) for name in names)


@pytest.fixture(scope="module")
def ctx(trained: tuple[Ledger, FittedModels, dt.date]) -> Context:
    """The ledger, its features and the three champions."""
    ledger, models, _ = trained
    every = champions(models, LATE_MODEL, TIME_MODEL, ONBOARDING_MODEL)
    return services.context_of(ledger, every, Settings(database_url="sqlite://"))


def bare(ctx: Context, models: ModelSet | None = None) -> Context:
    """``ctx`` serving ``models`` (none by default)."""
    return Context(ctx.snapshot, models or ModelSet(), ctx.settings)


def a_client(ctx: Context) -> str:
    """The client with the most invoices."""
    return str(ctx.ledger.invoices["client_id"].value_counts().index[0])


def test_client_risk_is_the_risk_computation_with_the_model_named(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    _, _, day = trained
    client_id = a_client(ctx)
    made = services.client_risk(ctx, client_id, day)
    expected, n_open = risk_of(ctx.ledger, ctx.features, made.model, client_id, day)
    assert (made.score, made.open_invoices) == (expected, n_open)
    assert (made.model.name, made.model.version) == (LATE_MODEL, "1")
    payload = made.as_json()
    assert payload["as_of"] == day.isoformat() and payload["grade"] == expected.grade
    assert [r["component"] for r in payload["reasons"]] == [r.component for r in expected.reasons]


def test_an_unknown_client_is_told_before_a_missing_model(ctx: Context) -> None:
    with pytest.raises(UnknownClient):
        services.client_risk(bare(ctx), "NOPE")
    with pytest.raises(ModelUnavailable, match="no late-payment model is registered yet"):
        services.client_risk(bare(ctx), a_client(ctx))


def test_a_refused_champion_is_unavailable_with_its_reason(ctx: Context) -> None:
    refused = ModelSet.of([], [Refused(LATE_MODEL, "3", "needs features [x] no longer made")])
    with pytest.raises(ModelUnavailable) as raised:
        services.client_risk(bare(ctx, refused), a_client(ctx))
    assert str(raised.value) == "needs features [x] no longer made"
    assert raised.value.name == LATE_MODEL


def test_worklist_ranks_with_both_champions_and_cuts_its_json(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    ledger, models, day = trained
    made = services.worklist(ctx, day, limit=20)
    from serving.penalties import rates_from_settings
    from serving.scenarios import load_scenarios

    direct = build_worklist(
        ledger,
        ctx.features,
        models.late,
        load_scenarios(ctx.settings.scenarios_file),
        day,
        time_model=models.time,
        rates=rates_from_settings(ctx.settings),
        limit=20,
    )
    pd.testing.assert_frame_equal(made.worklist.rows, direct.rows)
    assert made.worklist.with_payment_time and made.model.name == LATE_MODEL
    assert len(made.worklist.rows) > 3  # else the cut below proves nothing
    payload = made.as_json(3)
    assert len(payload["rows"]) == 3 and payload["total"] == direct.n_candidates
    assert payload["rows"] == direct.records()[:3]


def test_worklist_pages_of_filtered_rows_are_the_ranking_filtered(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    _, _, day = trained
    whole = services.worklist(ctx, day)
    overdue = services.WorklistFilter(bucket="1_30")
    expected = filtered(whole.worklist.rows, overdue).reset_index(drop=True)
    assert 10 < len(expected) < whole.total  # else the pages prove little
    pages = [
        services.worklist(ctx, day, limit=4, filters=overdue, offset=k)
        for k in range(0, len(expected), 4)
    ]
    pd.testing.assert_frame_equal(
        pd.concat([p.worklist.rows for p in pages], ignore_index=True), expected
    )
    payload = pages[1].as_json()
    assert (payload["total"], payload["matching"]) == (whole.total, len(expected))
    assert payload["matching"] <= payload["total"]
    assert payload["rows"] == pages[1].worklist.records()  # rows 5 to 8 of the filtered list
    assert whole.as_json()["matching"] == whole.total  # no filter: every invoice matches


def test_collectors_listed_and_filtered_by(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    ledger, _, day = trained
    assert services.worklist_collectors(ctx) == []  # the simulator names no collector
    clients = ledger.clients.assign(
        x_collector=np.where(np.arange(len(ledger.clients)) % 3 == 0, "Sophie", "Marc")
    )
    named = services.context_of(replace(ledger, clients=clients), ctx.models, ctx.settings)
    assert services.worklist_collectors(named) == ["Marc", "Sophie"]
    made = services.worklist(named, day, filters=services.WorklistFilter(collector="Sophie"))
    sophie = set(clients.loc[clients["x_collector"] == "Sophie", "client_id"])
    every = services.worklist(named, day).worklist.rows
    assert set(made.worklist.rows["collector"]) == {"Sophie"}
    assert made.matching == every["client_id"].isin(sophie).sum() > 0
    assert (
        made.worklist.rows["invoice_id"].tolist()
        == every.loc[every["client_id"].isin(sophie), "invoice_id"].tolist()
    )


def test_worklist_without_a_payment_time_champion_still_ranks(ctx: Context) -> None:
    only_late = champions_of(ctx, LATE_MODEL)
    made = services.worklist(only_late, limit=5)
    assert not made.worklist.with_payment_time
    with pytest.raises(ModelUnavailable, match="late-payment"):
        services.worklist(bare(ctx))


def champions_of(ctx: Context, *names: str) -> Context:
    """``ctx`` serving only its champions ``names``."""
    return bare(ctx, ModelSet.of(ctx.models.models[name] for name in names))


def test_forecast_is_the_cash_forecast_of_the_time_champion(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    ledger, models, day = trained
    made = services.forecast(ctx, day, horizon_weeks=4)
    direct = forecast_cash(ledger, ctx.features, models.time, day, horizon_weeks=4)
    pd.testing.assert_frame_equal(made.forecast.periods, direct.periods)
    payload = made.as_json()
    assert payload["encours"] == direct.encours_cents / 100
    assert payload["as_of"] == day.isoformat() and len(payload["periods"]) == 4
    assert payload["warnings"] == []  # forecast at the ledger's end: nothing stale
    later = services.forecast(ctx, day + dt.timedelta(days=400), horizon_weeks=1)
    assert len(later.warnings) == 1  # a year past the ledger's end: said so
    with pytest.raises(ModelUnavailable, match="payment-time"):
        services.forecast(champions_of(ctx, LATE_MODEL), day)


def test_score_stored_is_the_score_of_that_invoice(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date]
) -> None:
    _, _, day = trained
    row = ctx.ledger.invoices[ctx.ledger.invoices["doc_type"] == "invoice"].head(1)
    invoice_id = str(row["invoice_id"].iat[0])
    made = services.score_stored(ctx, invoice_id, day, explain=False)
    late, time = ctx.models.models[LATE_MODEL], ctx.models.models[TIME_MODEL]
    direct = full_scores(
        ctx.features, late, time, row.reset_index(drop=True), pd.Timestamp(day), False
    )
    np.testing.assert_array_equal(made.scores.p_late, direct.p_late)
    assert made.scores.dates is not None and direct.dates is not None
    np.testing.assert_array_equal(made.scores.dates, direct.dates)
    assert (made.invoice_id, made.client_id) == (invoice_id, str(row["client_id"].iat[0]))
    with pytest.raises(UnknownInvoice):  # told before the missing model
        services.score_stored(bare(ctx), "NOT-AN-INVOICE")


def test_scores_without_a_time_champion_have_no_dates(ctx: Context) -> None:
    rows = ctx.ledger.invoices.head(3).reset_index(drop=True)
    scores = services.score_invoices(champions_of(ctx, LATE_MODEL), rows, dt.date(2025, 1, 1))
    assert scores.dates is None and scores.buckets is None and len(scores.p_late) == 3
    assert scores.reasons is not None and len(scores.reasons) == 3


@dataclass(frozen=True)
class Who:
    country: str | None = "FR"
    sector: str | None = None
    is_public_sector: bool = False
    payment_terms_days: int | None = None
    credit_limit: Decimal | None = Decimal("10000")
    x: dict[str, Any] | None = None


@dataclass(frozen=True)
class Order:
    amount: Decimal = Decimal("2500")
    currency: str = "EUR"
    issue_date: dt.date = dt.date(2025, 3, 1)
    due_date: dt.date = dt.date(2025, 3, 31)
    x: dict[str, Any] | None = None


@dataclass(frozen=True)
class Onboarding:
    client: Any
    first_order: Any


def test_prospect_score_suggests_the_terms_of_its_grade(ctx: Context) -> None:
    body = Onboarding(Who(x={}), Order(x={}))
    made = services.prospect_score(ctx, body)
    assert made.model.name == ONBOARDING_MODEL and 0 <= made.p_late <= 1
    assert made.terms == suggested_terms(made.score.grade)
    assert made.credit_limit == suggested_limit(made.score.grade, Decimal("2500"))
    exposure = next(r for r in made.score.reasons if r.component == "exposure")
    assert exposure.value == pytest.approx(0.25)  # 2,500 ordered / 10,000 limit
    with pytest.raises(ModelUnavailable, match="onboarding"):
        services.prospect_score(champions_of(ctx, LATE_MODEL), body)


def test_kpis_and_aged_balances_are_the_ledger_figures(
    trained: tuple[Ledger, FittedModels, dt.date],
) -> None:
    ledger, _, day = trained
    figures = services.kpis(ledger, day, "EUR")
    assert figures == compute_kpis(ledger, day, currency="EUR")[0]
    (eur,) = services.aged_balances(ledger, day, "EUR")
    buckets = figures.aged_balance
    assert eur["currency"] == "EUR"
    assert eur["total"] == float(sum(getattr(buckets, name) for name in BUCKETS))
    assert eur["total"] > 0 and eur["d1_30"] == float(buckets.d1_30)


def test_load_champions_loads_only_the_names_asked(store: Store) -> None:
    from training.tracking import use_store

    settings = store.settings
    use_store(settings.tracking_uri, settings.artifacts_uri)
    loaded = services.load_champions(settings, [LATE_MODEL])
    assert set(loaded.models) == {LATE_MODEL} and loaded.models[LATE_MODEL].version == "1"
    assert services.load_champions(settings, [TIME_MODEL]).models == {}  # none registered


def test_a_context_fitted_on_a_ledger_knows_its_clients(
    trained: tuple[Ledger, FittedModels, dt.date],
) -> None:
    ledger, _, _ = trained
    made = services.context_of(ledger, ModelSet(), Settings(database_url="sqlite://"))
    assert isinstance(made.snapshot, Snapshot) and isinstance(made.features, FeatureBuilder)
    made.require_clients(ledger.clients["client_id"].head(3))
    with pytest.raises(UnknownClient, match="C-NONE"):
        made.require_clients([str(ledger.clients["client_id"].iat[0]), "C-NONE"])


def test_worklist_names_the_uplift_action_of_the_settings_file(
    ctx: Context, trained: tuple[Ledger, FittedModels, dt.date], tmp_path: Path
) -> None:
    from training.uplift import UpliftTable

    _, _, day = trained
    # Every profile: a call adds 10 points of P(paid within 30 days), 10 minutes: a row of
    # 1,234.56 € open gains 123.46 €, 12.35 € a minute.
    call = {"call": 0.1, "email": -0.01}
    UpliftTable({p: call for p in ("standard", "risky", "strategic", "public_sector")}).save(
        tmp_path / "uplift.json"
    )
    settings = ctx.settings.model_copy(update={"uplift_file": tmp_path / "uplift.json"})
    made = services.worklist(Context(ctx.snapshot, ctx.models, settings), day, limit=5)
    rows = made.as_json()["rows"]
    assert {r["uplift_action"] for r in rows} == {"call"}
    for row in rows:
        assert row["uplift_gain"] == pytest.approx(round(row["open"] * 0.1, 2), abs=0.011)
        assert row["uplift_gain_per_minute"] == pytest.approx(row["uplift_gain"] / 10, abs=0.001)
    assert {r["uplift_action"] for r in services.worklist(ctx, day, limit=5).as_json()["rows"]} == {
        None
    }
