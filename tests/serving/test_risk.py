"""Client risk score and onboarding: the formula, its monotonicity, and the two routes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see tests/training/conftest.py

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from encours.settings import Settings
from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import make_engine, migrate, save_ledger
from serving.api.client_schemas import OnboardingRequest
from serving.api.problems import add_problem_handlers
from serving.api.routes import clients as clients_route
from serving.api.security import RequireRole
from serving.api.state import AppState
from serving.api_keys import Role
from serving.champions import ModelSet
from serving.client_risk import client_risk
from serving.ledger_source import LedgerSource
from serving.risk_score import RiskInputs, grade, risk_score, suggested_limit, suggested_terms
from serving.scoring import LoadedModel
from serving.services.clients import prospect_features
from simulator import SimulationConfig, simulate
from tests.serving.conftest import auth, keys_for
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL, ONBOARDING_MODEL, FittedModels, fit_models

# --- the formula -------------------------------------------------------------------------

maybe = st.one_of(st.none(), st.floats(-200, 200, allow_nan=False))
inputs = st.builds(
    RiskInputs,
    p_late=st.floats(0, 1),
    days_late=maybe,
    exposure=st.one_of(st.none(), st.floats(0, 10)),
    trend=maybe,
)


@given(inputs, st.sampled_from(["p_late", "days_late", "exposure", "trend"]), st.floats(0, 100))
def test_more_risk_never_scores_better(base: RiskInputs, field: str, more: float) -> None:
    current = getattr(base, field)
    start = 0.0 if current is None else current
    riskier = start + more
    if field == "p_late":
        riskier = min(riskier, 1.0)
    worse = RiskInputs(**(vars(base) | {field: riskier}))
    if current is not None:  # unknown (None) loses nothing; compare known values only
        assert risk_score(worse).score <= risk_score(base).score
    zero = RiskInputs(**(vars(base) | {field: start}))
    assert risk_score(worse).score <= risk_score(zero).score
    assert 0 <= risk_score(worse).score <= 100


def test_hand_checked_client() -> None:
    # 40 × 0.25 = 10; 30 × 18 / 90 = 6; 20 × 0.5 / 2 = 5; 10 × 6 / 30 = 2 → 100 − 23 = 77
    score = risk_score(RiskInputs(p_late=0.25, days_late=18, exposure=0.5, trend=6))
    assert score.score == 77.0
    assert score.grade == "B"
    assert [(r.component, r.points_lost) for r in score.reasons] == [
        ("late_share", 10.0),
        ("days_late", 6.0),
        ("exposure", 5.0),
        ("trend", 2.0),
    ]


def test_clipping_and_unknown_inputs() -> None:
    worst = risk_score(RiskInputs(p_late=1.0, days_late=400, exposure=9, trend=99))
    assert (worst.score, worst.grade) == (0.0, "E")
    best = risk_score(RiskInputs(p_late=0.0, days_late=-10, exposure=None, trend=-30))
    assert (best.score, best.grade) == (100.0, "A")
    assert risk_score(RiskInputs(p_late=0.0, days_late=float("nan"))).score == 100.0


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        *[(100, "A"), (80, "A"), (79.9, "B"), (65, "B"), (64.9, "C"), (50, "C")],
        *[(49.9, "D"), (35, "D"), (34.9, "E"), (0, "E")],
    ],
)
def test_grade_boundaries(score: float, letter: str) -> None:
    assert grade(score) == letter


def test_worse_grades_get_shorter_terms_and_smaller_limits() -> None:
    letters = "ABCDE"
    terms = [suggested_terms(g).payment_terms_days for g in letters]
    limits = [suggested_limit(g, Decimal("1000.00")) for g in letters]
    assert terms == sorted(terms, reverse=True) and terms[-1] == 0
    assert limits == sorted(limits, reverse=True) and limits[0] == Decimal("3000.00")
    assert suggested_terms("D").deposit_share > 0 and suggested_terms("E").deposit_share == 1


class ConstantLate:
    """The same late probability for every invoice: only the client's history moves."""

    def __init__(self, names: list[str]) -> None:
        self.feature_names_in_ = names

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        return np.tile([0.7, 0.3], (len(x), 1))


def paying_later(ledger: Ledger, client_id: str, days: int) -> Ledger:
    """``ledger`` with every settlement of ``client_id`` (paid dates, payments) ``days`` later."""
    shift = pd.Timedelta(days=days)
    invoices = ledger.invoices.copy()
    mine = invoices["client_id"] == client_id
    invoices.loc[mine, "paid_date"] = invoices.loc[mine, "paid_date"] + shift
    payments = ledger.payments.copy()
    paid = payments["invoice_id"].isin(set(invoices.loc[mine, "invoice_id"]))
    payments.loc[paid, "payment_date"] = payments.loc[paid, "payment_date"] + shift
    return replace(ledger, invoices=invoices, payments=payments)


def test_a_client_paying_later_never_scores_better() -> None:
    ledger = simulate(SimulationConfig(n_clients=12, n_months=10, seed=3)).ledger
    as_of = (ledger_end(ledger) + pd.Timedelta(days=200)).date()  # every shift settled by then
    client_id = ledger.invoices["client_id"].value_counts().index[0]
    scores, delays = [], []
    for days in (0, 10, 30, 60):
        later = paying_later(ledger, client_id, days)
        builder = FeatureBuilder().fit(later)
        late = LoadedModel(LATE_MODEL, "1", ConstantLate(builder.feature_names))
        score, _ = client_risk(later, builder, late, client_id, as_of)
        scores.append(score.score)
        delays.append(next(r.value for r in score.reasons if r.component == "days_late"))
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[-1]
    assert delays == sorted(delays)


# --- the routes, on tiny models -----------------------------------------------------------


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Ledger, FittedModels, dt.date, Path]:
    """A small simulated ledger saved to SQLite, its models fitted, the day after its end."""
    ledger = simulate(SimulationConfig(n_clients=30, n_months=12, seed=7)).ledger
    end = ledger_end(ledger)
    models = fit_models(out_of_time_split(ledger, end - pd.Timedelta(days=183), end))
    path = tmp_path_factory.mktemp("risk") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    save_ledger(engine, ledger)
    engine.dispose()
    return ledger, models, end.date(), path


def make_app(path: Path, models: dict[str, Any], keys: bool = False) -> FastAPI:
    """The clients router on the saved ledger with ``models`` (name → fitted model)."""
    settings = Settings(
        database_url=f"sqlite:///{path}", models_dir=path.parent / "m", ledger_refresh_seconds=3600
    )
    engine = make_engine(settings.database_url)
    state = AppState(
        settings=settings,
        engine=engine,
        ledger=LedgerSource(engine, settings.ledger_refresh_seconds),
        models=ModelSet.of(LoadedModel(name, "1", model) for name, model in models.items()),
    )
    app = FastAPI()
    app.state.encours = state
    add_problem_handlers(app)
    app.include_router(clients_route.router)
    if not keys:
        app.dependency_overrides[RequireRole(Role.VIEWER)] = lambda: None
    return app


@pytest.fixture(scope="module")
def api(trained: tuple[Ledger, FittedModels, dt.date, Path]) -> Iterator[TestClient]:
    _, models, _, path = trained
    app = make_app(path, {LATE_MODEL: models.late, ONBOARDING_MODEL: models.onboarding})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


PROSPECT = {
    "client": {"country": "FR", "sector": "retail", "payment_terms_days": 30},
    "first_order": {
        "amount": "8400.00",
        "issue_date": "2025-07-01",
        "due_date": "2025-07-31",
    },
}


def test_risk_of_every_client(
    api: TestClient, trained: tuple[Ledger, FittedModels, dt.date, Path]
) -> None:
    ledger, _, as_of, _ = trained
    seen_open = seen_typical = False
    for client_id in ledger.clients["client_id"]:
        response = api.get(f"/v1/clients/{client_id}/risk", params={"as_of": str(as_of)})
        assert response.status_code == 200, response.text
        body = response.json()
        assert 0 <= body["score"] <= 100 and body["grade"] == grade(body["score"])
        lost = sum(r["points_lost"] for r in body["reasons"])
        assert body["score"] == pytest.approx(100 - lost, abs=0.1)
        points = [r["points_lost"] for r in body["reasons"]]
        assert points == sorted(points, reverse=True)
        seen_open |= body["open_invoices"] > 0
        seen_typical |= body["open_invoices"] == 0
    assert seen_open
    early = api.get(f"/v1/clients/{ledger.clients['client_id'].iat[0]}/risk?as_of=2000-01-01")
    assert early.status_code == 200 and early.json()["open_invoices"] == 0


def test_an_as_of_out_of_range_is_a_422_problem(
    api: TestClient, trained: tuple[Ledger, FittedModels, dt.date, Path]
) -> None:
    client_id = trained[0].clients["client_id"].iat[0]
    # Was a 500: the features' timestamps end in 2262.
    response = api.get(f"/v1/clients/{client_id}/risk", params={"as_of": "9999-12-31"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "query.as_of" in {e["field"] for e in response.json()["errors"]}


def test_unknown_client_is_404_problem(api: TestClient) -> None:
    response = api.get("/v1/clients/NOPE/risk")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "NOPE" in response.json()["detail"]


def test_prospect_features_come_from_the_request(
    trained: tuple[Ledger, FittedModels, dt.date, Path],
) -> None:
    ledger, models, _, _ = trained
    request = OnboardingRequest.model_validate(
        {
            "client": {
                "country": "NL",
                "sector": "industrie",
                "is_public_sector": True,
                "credit_limit": "9999.00",
                "x": {"x_segment": "sme"},
            },
            "first_order": PROSPECT["first_order"] | {"x": {"x_channel": "edi"}},
        }
    )
    x = prospect_features(FeatureBuilder().fit(ledger), request)
    assert len(x) == 1
    row = x.iloc[0]
    assert (row["cli_sector"], row["cli_country"]) == ("industrie", "NL")
    assert (row["cli_x_segment"], row["x_channel"]) == ("sme", "edi")
    assert row["cli_public_sector"] == 1.0 and row["cli_relationship_days"] == 0.0
    assert row["cli_terms_days"] == 30.0  # the order's own terms, none being asked for
    assert row["cli_log_credit_limit"] == pytest.approx(np.log1p(9999.0))
    assert set(models.onboarding.features) <= set(x.columns)


def test_onboarding_answers_grade_and_terms(api: TestClient) -> None:
    response = api.post("/v1/clients/score", json=PROSPECT)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["name"] == ONBOARDING_MODEL
    assert 0 <= body["p_late"] <= 1 and body["grade"] == grade(body["score"])
    terms = suggested_terms(body["grade"])
    assert body["suggested"]["payment_terms_days"] == terms.payment_terms_days
    expected = suggested_limit(body["grade"], Decimal("8400.00"))
    assert Decimal(str(body["suggested"]["credit_limit"])) == expected
    unseen = PROSPECT | {"client": {"country": "ZZ", "sector": "never seen", "x": {"x_a": "b"}}}
    assert api.post("/v1/clients/score", json=unseen).status_code == 200


@pytest.mark.parametrize(
    "order",
    [
        {"amount": "-5.00", "issue_date": "2025-07-01", "due_date": "2025-07-31"},
        {"amount": "100.00", "issue_date": "2025-07-31", "due_date": "2025-07-01"},
    ],
)
def test_onboarding_rejects_bad_orders(api: TestClient, order: dict[str, str]) -> None:
    response = api.post("/v1/clients/score", json=PROSPECT | {"first_order": order})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_without_models_503_and_keys_needed(
    trained: tuple[Ledger, FittedModels, dt.date, Path],
) -> None:
    ledger, _, _, path = trained
    client_id = ledger.clients["client_id"].iat[0]
    with TestClient(make_app(path, {})) as client:
        assert client.post("/v1/clients/score", json=PROSPECT).status_code == 503
        assert client.get(f"/v1/clients/{client_id}/risk").status_code == 503
    settings = Settings(database_url=f"sqlite:///{path}", models_dir=path.parent / "m")
    tokens = keys_for(settings)
    with TestClient(make_app(path, {}, keys=True)) as client:
        assert client.get(f"/v1/clients/{client_id}/risk").status_code == 401
        viewer = auth(tokens["viewer"])
        assert client.post("/v1/clients/score", json=PROSPECT, headers=viewer).status_code == 503


def test_cli_risk_is_the_route_s_answer(
    api: TestClient,
    trained: tuple[Ledger, FittedModels, dt.date, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from typer.testing import CliRunner

    from encours.cli import app as cli_app
    from encours.settings import get_settings
    from tests.serving.stubs import served_from

    ledger, models, as_of, path = trained
    client_id = str(ledger.clients["client_id"].iat[1])
    monkeypatch.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(path.parent / "m"))
    monkeypatch.setattr("serving.services.load_champions", served_from({LATE_MODEL: models.late}))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        shown = runner.invoke(cli_app, ["risk", client_id, "--as-of", str(as_of), "--json"])
        table = runner.invoke(cli_app, ["risk", client_id, "--as-of", str(as_of)])
        unknown = runner.invoke(cli_app, ["risk", "NOPE"])
    finally:
        get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    body = api.get(f"/v1/clients/{client_id}/risk", params={"as_of": str(as_of)}).json()
    printed = json.loads(shown.stdout)
    assert (printed["score"], printed["grade"], printed["open_invoices"]) == (
        body["score"],
        body["grade"],
        body["open_invoices"],
    )
    assert [r["points_lost"] for r in printed["reasons"]] == [
        r["points_lost"] for r in body["reasons"]
    ]
    assert table.exit_code == 0 and f"classe {body['grade']}" in table.output
    assert unknown.exit_code == 1 and "'NOPE' is not in the ledger" in unknown.output
