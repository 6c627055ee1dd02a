"""Affacturage: the cheapest invoices to sell for a cash need at a confidence, worked by
hand on five invoices, then through the service, the route and the command."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import Settings, get_settings
from ledger.storage import make_engine, migrate, save_ledger
from serving import services
from serving.affacturage import (
    CashNeed,
    FactorOffer,
    _assured_selling,
    factoring_costs,
    plan_factoring,
)
from serving.api.problems import add_problem_handlers
from serving.api.routes import affacturage as affacturage_route
from serving.api.security import RequireRole
from serving.api.state import AppState
from serving.api_keys import Role
from serving.champions import ModelSet
from serving.ledger_source import LedgerSource
from serving.scoring import LoadedModel
from serving.services import context_of
from serving.services.affacturage import affacturage, collection_ratio
from tests.serving.stubs import served_from
from tests.serving.test_worklist import AS_OF, StubTime, make_ledger
from training.models import TIME_MODEL

TODAY = dt.date(2025, 6, 1)
BY = dt.date(2025, 6, 15)
OFFER = FactorOffer(Decimal("1"), Decimal("12"), Decimal("10"))  # 1 %, 12 % a year, 10 %
FIVE = pd.DataFrame(
    {
        "invoice_id": list("ABCDE"),
        "client_id": list("abcde"),
        "open_cents": [2_000_000, 2_000_000, 3_000_000, 1_000_000, 1_500_000],
        "due_date": pd.to_datetime(["2025-06-20"] * 5),
        "p_paid": [0.95, 0.5, 0.2, 0.9, 0.1],
        "days_financed": [20, 40, 60, 30, 73],
    }
)


def test_the_cost_of_factoring_each_invoice() -> None:
    costs = factoring_costs(FIVE["open_cents"].to_numpy(), FIVE["days_financed"].to_numpy(), OFFER)
    # A: advance 20,000 × 90 % = 18,000; commission 1 % = 200; interest 18,000 × 12 % ×
    # 20 / 365 = 118.36; cost 318.36; cash today 18,000 − 318.36 = 17,681.64.
    # C: 27,000; 300 + 27,000 × 12 % × 60 / 365 = 532.60; 832.60; 26,167.40.
    # E: 13,500; 150 + 13,500 × 12 % × 73 / 365 = 324.00; 474.00; 13,026.00.
    assert costs["cost_cents"].tolist() == [31836, 43671, 83260, 18877, 47400]
    assert costs["net_cents"].tolist() == [1768164, 1756329, 2616740, 881123, 1302600]


def test_five_invoices_by_hand_at_90_percent() -> None:
    plan = plan_factoring(FIVE, OFFER, CashNeed(Decimal("50000"), BY, 0.9), TODAY)
    # Waiting for all: mean 19,000 + 10,000 + 6,000 + 9,000 + 1,500 = 45,500; variance
    # 20,000² × .95 × .05 + 20,000² × .25 + 30,000² × .16 + 10,000² × .09 + 15,000² × .09
    # = 292,250,000, σ = 17,095.32; at 90 % (z = 1.28155) 45,500 − 21,908.54 = 23,591.46.
    assert plan.nothing == {"cost": 0.0, "assured": 23591.46, "covered": False}
    # Selling C alone: 26,167.40 today, the others' mean 39,500 and σ² = 148,250,000,
    # σ = 12,175.80: 26,167.40 + 39,500 − 15,603.91 = 50,063.49 ≥ 50,000, for 832.60. No
    # cheaper set covers: B alone brings 35,294.03, A and D and E (981.13) less still,
    # and every pair costs more than C except A+D (507.13: 36,024).
    chosen = plan.invoices[plan.invoices["chosen"]]
    assert chosen["invoice_id"].tolist() == ["C"]
    assert plan.cost_cents == 83260 and plan.assured_cents == 5006349 and plan.covered
    # Selling all five: 2,250.44 for 83,249.56 today.
    assert plan.everything == {
        "cost": 2250.44,
        "assured": 83249.56,
        "covered": True,
        "invoices": 5,
    }
    # The greedy choice, used beyond a dozen eligible invoices, finds C too.
    greedy = plan_factoring(FIVE, OFFER, CashNeed(Decimal("50000"), BY, 0.9), TODAY, exact_limit=0)
    assert greedy.invoices[greedy.invoices["chosen"]]["invoice_id"].tolist() == ["C"]


def test_more_confidence_prefers_the_sure_invoices() -> None:
    plan = plan_factoring(FIVE, OFFER, CashNeed(Decimal("35000"), BY, 0.95), TODAY)
    # At 95 % (z = 1.6449), C alone would do (45,639.82) for 832.60, but A and B do for
    # 318.36 + 436.71 = 755.07: 17,681.64 + 17,563.29 = 35,244.93 today, the others add
    # nothing sure (mean 16,500 − 1.6449 × 13,162.82 < 0).
    assert sorted(plan.invoices[plan.invoices["chosen"]]["invoice_id"]) == ["A", "B"]
    assert plan.cost_cents == 75507 and plan.assured_cents == 3524493


def _cheapest_by_brute_force(need: float, confidence: float) -> int | None:
    from statistics import NormalDist

    z = NormalDist().inv_cdf(confidence)
    costs = factoring_costs(FIVE["open_cents"].to_numpy(), FIVE["days_financed"].to_numpy(), OFFER)
    found = []
    for k in range(6):
        for sold in itertools.combinations(range(5), k):
            assured = _assured_selling(
                list(sold),
                FIVE["open_cents"].to_numpy(float),
                FIVE["p_paid"].to_numpy(),
                FIVE["client_id"].to_numpy(object),
                0.0,
                costs["net_cents"].to_numpy(float),
                z,
            )
            if assured >= need * 100:
                found.append(int(costs["cost_cents"].to_numpy()[list(sold)].sum()))
    return min(found) if found else None


@pytest.mark.parametrize("confidence", [0.8, 0.9, 0.99])
def test_the_plan_is_the_cheapest_cover_and_the_greedy_one_never_beats_it(
    confidence: float,
) -> None:
    for need in range(25_000, 90_000, 5_000):
        cash = CashNeed(Decimal(need), BY, confidence)
        plan = plan_factoring(FIVE, OFFER, cash, TODAY)
        best = _cheapest_by_brute_force(need, confidence)
        assert (plan.cost_cents if plan.covered else None) == best, need
        greedy = plan_factoring(FIVE, OFFER, cash, TODAY, exact_limit=0)
        assert greedy.covered == plan.covered
        assert greedy.cost_cents >= plan.cost_cents or not plan.covered


def test_only_eligible_invoices_are_sold() -> None:
    five = FIVE.assign(disputed=[False, False, False, False, True])
    offer = FactorOffer(
        Decimal("1"), Decimal("12"), Decimal("10"), ("a", "b", "c", "e"), Decimal("15000")
    )
    plan = plan_factoring(five, offer, CashNeed(Decimal("50000"), BY, 0.9), TODAY)
    # D is below the minimum, E disputed: A, B and C may be sold.
    assert sorted(plan.invoices["invoice_id"]) == ["A", "B", "C"]
    overdue = FIVE.assign(due_date=pd.to_datetime(["2025-05-20"] + ["2025-06-20"] * 4))
    plan = plan_factoring(overdue, OFFER, CashNeed(Decimal("50000"), BY, 0.9), TODAY)
    assert "A" not in set(plan.invoices["invoice_id"])  # overdue: not bought by default


def test_an_unreachable_need_sells_what_helps_and_says_so() -> None:
    plan = plan_factoring(FIVE, OFFER, CashNeed(Decimal("90000"), BY, 0.9), TODAY)
    assert not plan.covered and not plan.everything["covered"]
    assert plan.assured_cents >= 5_000_000


def test_one_clients_invoices_together_are_less_sure() -> None:
    same = FIVE.assign(client_id=["a", "a", "c", "d", "e"])
    need = CashNeed(Decimal("20000"), BY, 0.9)
    alone = plan_factoring(FIVE, OFFER, need, TODAY, rho=0.5).nothing["assured"]
    together = plan_factoring(same, OFFER, need, TODAY, rho=0.5).nothing["assured"]
    assert together < alone


# --- through the service, the route and the command, with a stand-in payment-time model ----


def _ledger_day() -> tuple[object, dt.date]:
    # Due in 10 days, 30-day terms: StubTime spreads payment evenly over the 90 days after
    # today, so P(paid within 15 days) = 15 / 90 and the median is 45 days away.
    ledger = make_ledger([("N1", "STD", -10, 10_000), ("N2", "KEY", -5, 20_000)])
    return ledger, AS_OF


def test_the_service_reads_the_payment_time_distributions() -> None:
    ledger, day = _ledger_day()
    models = ModelSet.of([LoadedModel(TIME_MODEL, "1", StubTime())])
    ctx = context_of(ledger, models, Settings(_env_file=None))  # type: ignore[call-arg]
    made = affacturage(ctx, OFFER, CashNeed(Decimal("8000"), day + dt.timedelta(days=15)), day)
    rows = made.plan.invoices.set_index("invoice_id")
    assert rows["p_paid"].to_dict() == pytest.approx({"N1": 15 / 90, "N2": 15 / 90}, abs=1e-4)
    # N1: 9,000 advanced for 45 days at 12 %: 133.15, with 100 of commission: 233.15,
    # bringing 8,766.85 today, enough for 8,000 (N2 waiting adds nothing 90 % sure).
    assert rows.loc["N1", "cost_cents"] == 23315
    assert made.plan.covered and rows.index[rows["chosen"]].tolist() == ["N1"]
    with pytest.raises(services.ModelUnavailable):
        affacturage(
            context_of(ledger, ModelSet(), ctx.settings),
            OFFER,
            CashNeed(Decimal("1"), day + dt.timedelta(days=1)),
            day,
        )


@pytest.fixture
def saved(tmp_path: Path) -> Settings:
    ledger, _ = _ledger_day()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/l.db",
        models_dir=tmp_path / "m",
        ledger_refresh_seconds=0,
        _env_file=None,  # type: ignore[call-arg]
    )
    engine = make_engine(settings.database_url)
    migrate(engine)
    save_ledger(engine, ledger)  # type: ignore[arg-type]
    engine.dispose()
    return settings


BODY = {
    "offer": {"commission_percent": 1, "financing_rate_percent": 12},
    "need": {"amount": 8000, "by": "2025-07-15", "confidence": 0.9},
    "as_of": "2025-06-30",
}


def test_the_route(saved: Settings) -> None:
    engine = make_engine(saved.database_url)
    app = FastAPI()
    app.state.encours = AppState(
        settings=saved,
        engine=engine,
        ledger=LedgerSource(engine, 0),
        models=ModelSet.of([LoadedModel(TIME_MODEL, "1", StubTime())]),
    )
    add_problem_handlers(app)
    app.include_router(affacturage_route.router)
    app.dependency_overrides[RequireRole(Role.VIEWER)] = lambda: None
    with TestClient(app) as http:
        answer = http.post("/v1/affacturage", json=BODY)
        assert answer.status_code == 200, answer.text
        made = answer.json()
        assert made["covered"] and made["chosen"] == 1 and made["model"]["name"] == TIME_MODEL
        assert {r["invoice_id"] for r in made["invoices"]} == {"N1", "N2"}
        late = http.post("/v1/affacturage", json=BODY | {"as_of": "2025-07-15"})
        assert late.status_code == 422 and "after" in late.json()["detail"]
        bad = http.post("/v1/affacturage", json=BODY | {"need": {"amount": 1, "by": "x"}})
        assert bad.status_code == 422


def test_the_command(saved: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCOURS_DATABASE_URL", saved.database_url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(saved.models_dir))
    monkeypatch.setattr(services, "load_champions", served_from({TIME_MODEL: StubTime()}))
    get_settings.cache_clear()
    args = ["affacturage", "--need", "8000", "--by", "2025-07-15", "--as-of", "2025-06-30"]
    args += ["--commission", "1", "--financing-rate", "12"]
    try:
        as_json = CliRunner().invoke(cli_app, [*args, "--json"])
        table = CliRunner().invoke(cli_app, args)
    finally:
        get_settings.cache_clear()
    assert as_json.exit_code == 0, as_json.output
    made = json.loads(as_json.output)
    assert made["covered"] and made["cost"] == 233.15  # N1 alone, as the service chose
    assert table.exit_code == 0 and "besoin couvert" in table.output


def test_the_ledgers_recent_record_scales_the_probabilities() -> None:
    # Invoices due 40 and 20 days before AS_OF, never paid: four weeks ago the stand-in
    # model expected 15 / 90 of them within 15 days, and nothing came: the ratio is 0, so
    # waiting assures nothing and the plan sells what the need takes.
    ledger = make_ledger([("O1", "STD", 40, 10_000), ("O2", "KEY", 20, 10_000)])
    model = StubTime()
    features = context_of(ledger, ModelSet(), Settings(_env_file=None)).features  # type: ignore[call-arg]
    assert collection_ratio(ledger, features, model, AS_OF, 15) == 0.0
    # With nothing open in any past window, there is no record: None.
    fresh = make_ledger([("N1", "STD", -10, 10_000)])
    features = context_of(fresh, ModelSet(), Settings(_env_file=None)).features  # type: ignore[call-arg]
    assert collection_ratio(fresh, features, model, AS_OF, 15) is None
