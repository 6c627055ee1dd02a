"""The relance worklist: scenarios, steps done, ranking, the API routes and the CLI exports.

Pure-function tests use a stub late-payment model (one client's terms make it "risky");
the API, the CLI and the payment-time path use tiny models fitted once for the module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see tests/training/conftest.py

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import Settings, get_settings
from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger, table_counts
from serving.api.problems import add_problem_handlers
from serving.api.routes import actions as actions_route
from serving.api.routes import worklist as worklist_route
from serving.api.security import RequireRole
from serving.api.state import AppState
from serving.api_keys import Role
from serving.champions import ModelSet
from serving.ledger_source import LedgerSource
from serving.scenarios import (
    DEFAULT_SCENARIOS_FILE,
    ScenarioError,
    load_scenarios,
    parse_scenarios,
)
from serving.scoring import LoadedModel, model_columns
from serving.worklist import Worklist, build_worklist
from serving.worklist_filter import WorklistFilter, filtered
from simulator import SimulationConfig, simulate
from tests.ledger.factories import dates, small_ledger
from tests.serving.stubs import paid_evenly_after_today, served_from
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL, TIME_MODEL, FittedModels, fit_models
from training.payment_time import PaymentDistribution

AS_OF = dt.date(2025, 6, 30)
SCENARIOS = load_scenarios()
runner = CliRunner()


class StubLate:
    """Late probability 0.9 for clients on 90-day terms (our "risky" one), 0.1 otherwise."""

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        p = np.where(x["cli_terms_days"].to_numpy() >= 90, 0.9, 0.1)
        return np.column_stack([1 - p, p])


class StubTime:
    """Payment spread evenly over the 60 + terms days after today: P(unpaid in 30 days) is
    1 − 30 / 90 = 2/3 on 30-day terms. Counts the invoices it is asked about."""

    def __init__(self) -> None:
        self.asked = 0

    def distribution(
        self,
        x: pd.DataFrame,
        issue_date: pd.Series,
        due_date: pd.Series,
        open_at: pd.Series | None = None,
        until: pd.Series | None = None,
        clients: np.ndarray | None = None,
    ) -> PaymentDistribution:
        assert open_at is not None
        self.asked += len(x)
        spread = 60 + x["cli_terms_days"].to_numpy()
        return paid_evenly_after_today(issue_date, due_date, open_at, spread)


# --- a ledger built by hand ---------------------------------------------------------------

CLIENTS = {  # id: (name, public, terms, segment)
    "STD": ("Martin SARL", False, 30, "sme"),
    "RSK": ("Risque & Fils", False, 90, "sme"),
    "KEY": ("Grand Compte SA", False, 30, "key_account"),
    "PUB": ("Mairie de Lyon", True, 30, None),
}


def make_ledger(
    invoices: list[tuple[str, str, int, int]],
    actions: list[tuple[str, int, str, str | None, int | None]] = (),  # type: ignore[assignment]
    paid: dict[str, int] | None = None,
) -> Ledger:
    """Clients of CLIENTS; ``invoices`` as (id, client, days past due at AS_OF, euros);
    ``actions`` as (invoice, day from its due date, channel, outcome, promised day from
    its due date); ``paid`` gives a payment day from the due date."""
    clients = pd.DataFrame(
        {
            "client_id": list(CLIENTS),
            "name": [c[0] for c in CLIENTS.values()],
            "country": "FR",
            "sector": "retail",
            "is_public_sector": [c[1] for c in CLIENTS.values()],
            "created_on": dates(*["2020-01-01"] * len(CLIENTS)),
            "payment_terms_days": pd.array([c[2] for c in CLIENTS.values()], dtype="Int64"),
            "credit_limit_cents": pd.array([None] * len(CLIENTS), dtype="Int64"),
            "x_segment": [c[3] for c in CLIENTS.values()],
        }
    )
    due = {i: pd.Timestamp(AS_OF) - pd.Timedelta(days=d) for i, _, d, _ in invoices}
    paid = paid or {}
    frame = pd.DataFrame(
        {
            "invoice_id": [i for i, *_ in invoices],
            "client_id": [c for _, c, _, _ in invoices],
            "issue_date": [due[i] - pd.Timedelta(days=30) for i, *_ in invoices],
            "due_date": [due[i] for i, *_ in invoices],
            "amount_cents": pd.array([e * 100 for *_, e in invoices], dtype="Int64"),
            "currency": "EUR",
            "doc_type": "invoice",
            "disputed": False,
            "paid_date": [
                due[i] + pd.Timedelta(days=paid[i]) if i in paid else pd.NaT for i, *_ in invoices
            ],
            "written_off": False,
            "credited_invoice_id": None,
        }
    ).astype({"issue_date": "datetime64[ns]", "due_date": "datetime64[ns]"})
    frame["paid_date"] = frame["paid_date"].astype("datetime64[ns]")

    def day(invoice: str, offset: int | None) -> pd.Timestamp:
        return pd.NaT if offset is None else due[invoice] + pd.Timedelta(days=offset)

    acts = pd.DataFrame(
        {
            "invoice_id": [a[0] for a in actions],
            "action_date": pd.Series([day(a[0], a[1]) for a in actions], dtype="datetime64[ns]"),
            "channel": [a[2] for a in actions],
            "outcome": pd.Series([a[3] for a in actions], dtype=object),
            "promised_date": pd.Series([day(a[0], a[4]) for a in actions], dtype="datetime64[ns]"),
        }
    )
    return Ledger(clients=clients, invoices=frame, actions=acts)


def worklist_of(ledger: Ledger, **kwargs: Any) -> pd.DataFrame:
    """The rows by invoice id, missing values as None (pandas text columns hold NaN)."""
    built = build_worklist(
        ledger, FeatureBuilder().fit(ledger), StubLate(), SCENARIOS, AS_OF, **kwargs
    )
    rows = built.rows.set_index("invoice_id")
    for column in ("recommended_step", "next_step"):
        rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    return rows


BOUNDARIES = (-6, -5, -1, 0, 1, 14, 15, 29, 30, 59, 60)
EXPECTED_STEPS = {  # from the packaged scenarios.yaml; "-": nothing to do yet
    #       -6  -5   -1   0    +1    +14   +15  +29  +30  +59  +60
    "STD": "-   -    -    -    email email call call formal_notice formal_notice legal",
    "RSK": "-   pre  pre  pre  email call  letter letter formal_notice legal legal",
    "KEY": "-   -    -    -    email email call call call letter letter",
    "PUB": "-   -    -    -    email email call call letter letter formal_notice",
}
PROFILE = {"STD": "standard", "RSK": "risky", "KEY": "strategic", "PUB": "public_sector"}


@pytest.mark.parametrize("client", list(EXPECTED_STEPS))
def test_step_at_each_day_boundary_per_profile(client: str) -> None:
    ledger = make_ledger([(f"{client}{d:+d}", client, d, 1000) for d in BOUNDARIES])
    rows = worklist_of(ledger)
    assert set(rows["profile"]) == {PROFILE[client]}
    got = [rows.loc[f"{client}{d:+d}", "recommended_step"] for d in BOUNDARIES]
    names = {"-": None, "pre": "preventive_reminder"}
    assert got == [names.get(w, w) for w in EXPECTED_STEPS[client].split()]


def test_next_step_and_its_date() -> None:
    rows = worklist_of(make_ledger([("A", "STD", 0, 100), ("B", "STD", 20, 100)]))
    due_a = pd.Timestamp(AS_OF)
    assert (rows.loc["A", "next_step"], rows.loc["A", "next_step_date"]) == (
        "email",
        due_a + pd.Timedelta(days=1),
    )
    due_b = pd.Timestamp(AS_OF) - pd.Timedelta(days=20)
    assert (rows.loc["B", "next_step"], rows.loc["B", "next_step_date"]) == (
        "formal_notice",
        due_b + pd.Timedelta(days=30),
    )


def test_only_overdue_and_soon_due_open_invoices_are_listed() -> None:
    ledger = make_ledger(
        [
            ("LATE", "STD", 3, 100),
            ("SOON", "STD", -7, 100),
            ("LATER", "STD", -8, 100),
            ("PAID", "STD", 40, 100),
        ],
        paid={"PAID": 5},
    )
    assert sorted(worklist_of(ledger).index) == ["LATE", "SOON"]


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        # At +16 the call (+15) is due; one made on day +15 covers it and the email (+1).
        ([("I", 15, "call", "no_answer", None)], None),
        # A stronger channel covers a gentler step: a mise en demeure on +15 covers the call.
        ([("I", 15, "formal_notice", None, None)], None),
        # An email is weaker than the call: the call is still to do.
        ([("I", 2, "email", None, None)], "call"),
        # A call before the call step's date (+10 < +15) does not count for it.
        ([("I", 10, "call", None, None)], "call"),
        # Nothing done: the latest step due, the call.
        ([], "call"),
        # A pending promise (paid by +20, four days from now) suspends the relances...
        ([("I", 14, "call", "promise_to_pay", 20)], None),
        # ...a broken one (due by +12, still unpaid) does not.
        ([("I", 5, "call", "promise_to_pay", 12)], "call"),
    ],
    ids=["done", "stronger", "weaker", "too-early", "nothing", "promise", "broken-promise"],
)
def test_a_step_already_done_is_not_recommended_again(
    actions: list[tuple[str, int, str, str | None, int | None]], expected: str | None
) -> None:
    rows = worklist_of(make_ledger([("I", "STD", 16, 500)], actions))
    assert rows.loc["I", "recommended_step"] == expected
    promised = rows.loc["I", "promised_date"]
    assert pd.notna(promised) == (actions[:1] == [("I", 14, "call", "promise_to_pay", 20)])


def test_a_preventive_reminder_is_an_email_sent_from_its_date() -> None:
    # Risky client, due tomorrow: the preventive reminder (−5) is due...
    early = make_ledger([("I", "RSK", -1, 500)], [("I", -6, "email", None, None)])
    assert worklist_of(early).loc["I", "recommended_step"] == "preventive_reminder"
    # ...unless an email went out on or after its date.
    sent = make_ledger([("I", "RSK", -1, 500)], [("I", -4, "email", None, None)])
    assert worklist_of(sent).loc["I", "recommended_step"] is None


def test_strategic_from_a_list_of_ids_and_first_in_precedence() -> None:
    text = DEFAULT_SCENARIOS_FILE.read_text().replace("client_ids: []", "client_ids: [PUB]")
    scenarios = parse_scenarios(text)
    ledger = make_ledger([("P", "PUB", 5, 100), ("K", "KEY", 5, 100)])
    built = build_worklist(ledger, FeatureBuilder().fit(ledger), StubLate(), scenarios, AS_OF)
    assert set(built.rows["profile"]) == {"strategic"}  # public but listed; flagged key_account


def test_penalties_and_indemnity_on_the_rows() -> None:
    ledger = make_ledger(
        [("P", "STD", 30, 10_000), ("G", "PUB", 30, 10_000), ("N", "STD", -2, 10_000)]
    )
    rows = worklist_of(ledger)
    # 10,000.00 × 12.15 % × 30 / 365 = 99.8630... -> 99.86; a public buyer at 10.15 %:
    # 10,000.00 × 10.15 % × 30 / 365 = 83.4246... -> 83.42. Not yet due: nothing.
    assert rows["penalties_cents"].to_dict() == {"P": 9986, "G": 8342, "N": 0}
    assert rows["indemnity_cents"].to_dict() == {"P": 4000, "G": 4000, "N": 0}


def test_ranked_by_amount_at_risk_and_limited() -> None:
    invoices = [
        ("I0", "STD", 10, 5_000),
        ("I1", "RSK", 10, 1_000),
        ("I2", "STD", -3, 2_000),
        ("I3", "RSK", -3, 900),
        ("I4", "KEY", 45, 3_000),
        ("I5", "PUB", 2, 700),
    ]
    rows = worklist_of(make_ledger(invoices))
    # Without the payment-time model every risk is the stub's p_late (0.9 for RSK, 0.1):
    # STD 5,000 -> 500; RSK 1,000 -> 900; RSK 900 -> 810; KEY 3,000 -> 300; STD 2,000
    # -> 200; PUB 700 -> 70 (euros).
    assert list(rows.index) == ["I1", "I3", "I0", "I4", "I2", "I5"]
    assert rows["amount_at_risk_cents"].tolist() == [90_000, 81_000, 50_000, 30_000, 20_000, 7_000]
    assert set(rows["risk_basis"]) == {"p_late"}
    top = worklist_of(make_ledger(invoices), limit=2)
    assert list(top.index) == ["I1", "I3"]


def test_overdue_risk_comes_from_the_payment_time_model() -> None:
    ledger = make_ledger([("OVER", "STD", 10, 3_000), ("SOON", "STD", -3, 3_000)])
    rows = worklist_of(ledger, time_model=StubTime())
    # Overdue: unpaid in 30 days = 1 − 30 / (60 + 30) = 2/3 -> 2,000.00 at risk; not yet
    # due: p_late 0.1 -> 300.00. Median payment 45 days from today on an even spread.
    assert rows.loc["OVER", "risk_basis"] == "unpaid_in_30_days"
    assert rows.loc["OVER", "amount_at_risk_cents"] == 200_000
    assert rows.loc["SOON", "amount_at_risk_cents"] == 30_000
    expected = pd.Timestamp(AS_OF) + pd.Timedelta(days=45)
    assert rows.loc["OVER", "expected_payment_date"] == expected
    assert rows.loc["SOON", "expected_payment_date"] == expected


def test_a_limit_scores_only_what_the_top_needs_and_ranks_the_same() -> None:
    rng = np.random.default_rng(1)
    clients = np.array(list(CLIENTS))
    invoices = [
        (f"I{k:05d}", str(rng.choice(clients)), int(rng.integers(-7, 120)), int(e))
        for k, e in enumerate(rng.lognormal(7, 1.5, 6_000).round() + 1)
    ]
    ledger = make_ledger(invoices)
    builder = FeatureBuilder().fit(ledger)
    full_model, top_model = StubTime(), StubTime()
    full = build_worklist(ledger, builder, StubLate(), SCENARIOS, AS_OF, time_model=full_model).rows
    top = build_worklist(
        ledger, builder, StubLate(), SCENARIOS, AS_OF, time_model=top_model, limit=20
    ).rows
    pd.testing.assert_frame_equal(top, full.head(20))
    assert top_model.asked < full_model.asked / 2  # overdue rows that cannot make it: skipped
    assert full["amount_at_risk_cents"].is_monotonic_decreasing


def test_currency_filter() -> None:
    ledger = make_ledger([("E", "STD", 5, 100), ("U", "STD", 5, 100)])
    ledger.invoices.loc[ledger.invoices["invoice_id"] == "U", "currency"] = "USD"
    assert list(worklist_of(ledger, currency="USD").index) == ["U"]


class StubSlow(StubTime):
    """As :class:`StubTime`, but 70 % of the invoices are never paid within the horizon."""

    def distribution(self, x: pd.DataFrame, *args: Any, **kwargs: Any) -> PaymentDistribution:
        even = super().distribution(x, *args, **kwargs)
        return replace(even, survival=np.tile([1.0, 0.7], (len(x), 1)))


def test_payment_dates_p10_median_p90_from_one_distribution() -> None:
    ledger = make_ledger([("STD", "STD", 10, 3_000), ("RSK", "RSK", -2, 3_000)])
    rows = worklist_of(ledger, time_model=StubTime())
    # Paid evenly over the 60 + terms days after today: on 30-day terms over 90 days,
    # P10 = today + 9, median + 45, P90 + 81; on 90-day terms over 150 days: + 15, + 75,
    # + 135 (the even spread's quantiles are q × spread days after today).
    today = pd.Timestamp(AS_OF)
    for invoice, days in {"STD": (9, 45, 81), "RSK": (15, 75, 135)}.items():
        got = rows.loc[invoice, ["payment_p10_date", "expected_payment_date", "payment_p90_date"]]
        assert got.tolist() == [today + pd.Timedelta(days=d) for d in days]
    bare = worklist_of(ledger)  # no payment-time model: no date at all
    assert bare[["payment_p10_date", "payment_p90_date"]].isna().all().all()


def test_no_early_date_alone_when_the_median_is_past_the_horizon() -> None:
    rows = worklist_of(make_ledger([("SLOW", "STD", 10, 3_000)]), time_model=StubSlow())
    # 30 % paid within the 90 days: P10 would be today + 30 (0.1 / 0.3 of the way), but
    # median and P90 never come, and a P10 alone would read as a forecast.
    dates = ["payment_p10_date", "expected_payment_date", "payment_p90_date"]
    assert rows.loc["SLOW", dates].isna().all()
    assert rows.loc["SLOW", "risk"] == pytest.approx(0.9)  # still scored: 1 − 0.3 × 30 / 90


def many_invoices(n: int, seed: int = 1) -> Ledger:
    """``n`` invoices of random clients, ages and amounts; two collectors share the clients."""
    rng = np.random.default_rng(seed)
    clients = np.array(list(CLIENTS))
    invoices = [
        (f"I{k:05d}", str(rng.choice(clients)), int(rng.integers(-7, 120)), int(e))
        for k, e in enumerate(rng.lognormal(7, 1.5, n).round() + 1)
    ]
    ledger = make_ledger(invoices)
    ledger.clients["x_collector"] = ["Sophie", "Marc", "Sophie", None]
    return ledger


FILTERS = [
    WorklistFilter(profile="risky"),
    WorklistFilter(bucket="31_60"),
    WorklistFilter(bucket="not_due", min_amount=2_000),
    WorklistFilter(client="grand compte"),
    WorklistFilter(collector="Sophie", bucket="over_90"),
    WorklistFilter(collector="Nobody"),
]


@pytest.mark.parametrize("chosen", FILTERS)
def test_filters_choose_before_the_limit_and_pages_follow_the_ranking(
    chosen: WorklistFilter,
) -> None:
    ledger = many_invoices(3_000)
    builder = FeatureBuilder().fit(ledger)

    def built(**kwargs: Any) -> Worklist:
        return build_worklist(
            ledger, builder, StubLate(), SCENARIOS, AS_OF, time_model=StubTime(), **kwargs
        )

    full = built()
    expected = filtered(full.rows, chosen).reset_index(drop=True)
    page = built(filters=chosen, limit=20, offset=20)
    pd.testing.assert_frame_equal(page.rows, expected.iloc[20:40].reset_index(drop=True))
    assert (page.n_candidates, page.matching) == (full.n_candidates, len(expected))
    assert page.matching <= page.n_candidates
    if chosen.collector == "Nobody":
        assert page.matching == 0 and page.rows.empty
    else:
        assert len(page.rows) == 20  # else the pages prove little


def test_pages_put_together_are_the_whole_list() -> None:
    ledger = many_invoices(800, seed=2)
    builder = FeatureBuilder().fit(ledger)
    time_model = StubTime()
    whole = build_worklist(ledger, builder, StubLate(), SCENARIOS, AS_OF, time_model=time_model)
    pages = [
        build_worklist(
            ledger, builder, StubLate(), SCENARIOS, AS_OF, time_model=time_model, limit=70, offset=k
        ).rows
        for k in range(0, whole.n_candidates + 70, 70)
    ]
    assert pages[-1].empty and len(pages[-2]) < 70  # past the end: nothing, no error
    pd.testing.assert_frame_equal(pd.concat(pages, ignore_index=True), whole.rows)
    assert whole.rows["payment_p90_date"].notna().all()  # the dates of every page are given


# --- the scenarios file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("action: letter", "action: sms"), "profiles.risky.steps.3.action"),
        (("risky_threshold: 0.5", "risky_threshold: 1.5"), "risky_threshold"),
        (("  public_sector:\n    #", "  public_sectr:\n    #"), "profiles.public_sector"),
        (("{ day: 15, action: call }", "{ day: 1, action: call }"), "profiles.standard.steps"),
        (("column: x_segment", "column: segment"), "strategic.column"),
        (("soon_due_days: 7", "soon_due_days: soon"), "soon_due_days"),
        (("precedence: [strategic,", "precedence: [risky,"), "precedence"),
    ],
    ids=["action", "threshold", "missing-profile", "same-day", "column", "days", "precedence"],
)
def test_a_bad_scenarios_file_names_the_field(edit: tuple[str, str], field: str) -> None:
    text = DEFAULT_SCENARIOS_FILE.read_text()
    assert edit[0] in text
    with pytest.raises(ScenarioError) as error:
        parse_scenarios(text.replace(edit[0], edit[1], 1), "my.yaml")
    message = str(error.value)
    assert message.startswith("my.yaml: ")
    assert f"{field}:" in message or f"{field}." in message, message


def test_not_yaml_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not valid YAML"):
        parse_scenarios("profiles: [unclosed")
    with pytest.raises(ScenarioError, match="expected a mapping"):
        parse_scenarios("- just a list")
    with pytest.raises(ScenarioError, match="cannot read the scenarios file"):
        load_scenarios(tmp_path / "absent.yaml")


def test_the_packaged_file_is_the_default_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().scenarios_file is None
    assert load_scenarios(None) == SCENARIOS
    monkeypatch.setenv("ENCOURS_SCENARIOS_FILE", "/etc/encours/relances.yaml")
    assert Settings().scenarios_file == Path("/etc/encours/relances.yaml")


# --- the API routes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Migrated SQLite files for the tests to copy: empty, and with the small ledger."""
    root = tmp_path_factory.mktemp("databases")
    files = {"empty": root / "empty.db", "small": root / "small.db"}
    engine = make_engine(f"sqlite:///{files['empty']}")
    migrate(engine)
    engine.dispose()
    shutil.copy(files["empty"], files["small"])
    engine = make_engine(f"sqlite:///{files['small']}")
    save_ledger(engine, small_ledger())
    engine.dispose()
    return files


def settings_on(databases: dict[str, Path], name: str, tmp_path: Path, **more: Any) -> Settings:
    """Settings on a copy of database ``name``, reread at every request."""
    shutil.copy(databases[name], tmp_path / "l.db")
    return Settings(
        database_url=f"sqlite:///{tmp_path}/l.db",
        models_dir=tmp_path / "m",
        ledger_refresh_seconds=0,
        **more,
    )


def make_app(
    settings: Settings, late: Any | None, time_model: Any | None = None, keys: bool = False
) -> FastAPI:
    """The two routers on a test state (a ledger reread at every request); API keys are
    checked only with ``keys``."""
    engine = make_engine(settings.database_url)
    served = [LoadedModel(LATE_MODEL, "1", late)] if late is not None else []
    if time_model is not None:
        served.append(LoadedModel(TIME_MODEL, "1", time_model))
    state = AppState(
        settings=settings,
        engine=engine,
        ledger=LedgerSource(engine, settings.ledger_refresh_seconds),
        models=ModelSet.of(served),
    )
    app = FastAPI()
    app.state.encours = state
    add_problem_handlers(app)
    app.include_router(worklist_route.router)
    app.include_router(actions_route.router)
    if not keys:
        app.dependency_overrides[RequireRole(Role.COLLECTOR)] = lambda: None
    return app


@pytest.fixture
def api(databases: dict[str, Path], tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    """The routes over the small factory ledger with the stub model."""
    settings = settings_on(databases, "small", tmp_path)
    app = make_app(settings, StubLate())
    with TestClient(app) as client:
        yield client, settings


def test_worklist_route(api: tuple[TestClient, Settings]) -> None:
    client, _ = api
    response = client.get("/v1/worklist", params={"as_of": "2024-03-25", "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["payment_time_model"]) == (1, False)
    row = body["rows"][0]
    # F2: 550.50 less 200.00 paid on 10 March, 23 days late; C2 is a public buyer: the
    # call on 5 March (+3) covered the email; its promise (20 March) is broken: call due.
    assert (row["invoice_id"], row["open"], row["days_past_due"]) == ("F2", 350.5, 23)
    assert (row["profile"], row["recommended_step"], row["promised_date"]) == (
        "public_sector",
        "call",
        None,
    )
    # 350.50 × 10.15 % × 23 / 365 = 2.2417... -> 2.24, and the 40 € indemnity
    assert (row["penalties"], row["indemnity_eur"]) == (2.24, 40.0)
    assert (
        client.get("/v1/worklist", params={"as_of": "2024-03-25", "currency": "USD"}).json()["rows"]
        == []
    )


@pytest.mark.parametrize(
    ("params", "matching"),
    [
        ({}, 1),
        ({"profile": "public_sector"}, 1),
        ({"profile": "risky"}, 0),
        ({"bucket": "1_30"}, 1),  # F2 is 23 days late
        ({"bucket": "31_60"}, 0),
        ({"client": "C2"}, 1),
        ({"client": "C"}, 0),  # ids exactly; C2 has no name to search
        ({"collector": "Sophie"}, 0),  # this ledger names no collector
        ({"min_amount": 350.5}, 1),  # F2's open amount: 550.50 − 200.00
        ({"min_amount": 350.51}, 0),
        ({"profile": "public_sector", "offset": 1}, 1),  # page 2 of 1 row: empty
    ],
)
def test_worklist_route_filters_and_pages(
    api: tuple[TestClient, Settings], params: dict[str, Any], matching: int
) -> None:
    client, _ = api
    response = client.get("/v1/worklist", params={"as_of": "2024-03-25", **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["matching"]) == (1, matching)
    shown = matching - params.get("offset", 0)
    assert [r["invoice_id"] for r in body["rows"]] == ["F2"] * shown
    for row in body["rows"]:  # no payment-time model, no collector column: empty
        assert row["payment_p10_date"] is row["payment_p90_date"] is row["collector"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bucket": "d1_30"}, "bucket"),
        ({"bucket": "90+"}, "bucket"),
        ({"profile": "vip"}, "profile"),
        ({"min_amount": -1}, "min_amount"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_422_problems_naming_the_field(
    api: tuple[TestClient, Settings], params: dict[str, Any], field: str
) -> None:
    client, _ = api
    response = client.get("/v1/worklist", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == [f"query.{field}"]


def test_both_routes_need_a_collector_key(databases: dict[str, Path], tmp_path: Path) -> None:
    settings = settings_on(databases, "small", tmp_path)
    with TestClient(make_app(settings, StubLate(), keys=True)) as client:
        listed = client.get("/v1/worklist")
        recorded = client.post(
            "/v1/actions", json={"invoice_id": "F1", "action_date": "2024-02-12", "channel": "call"}
        )
    assert listed.status_code == recorded.status_code == 401
    assert recorded.headers["content-type"] == "application/problem+json"


def test_worklist_without_a_model_is_503(databases: dict[str, Path], tmp_path: Path) -> None:
    app = make_app(settings_on(databases, "small", tmp_path), None)
    with TestClient(app) as client:
        response = client.get("/v1/worklist")
    assert response.status_code == 503
    assert "encours train" in response.json()["detail"]


def test_a_bad_scenarios_file_is_a_503_problem_naming_the_field(
    databases: dict[str, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "relances.yaml"
    bad.write_text(DEFAULT_SCENARIOS_FILE.read_text().replace("action: legal", "action: huissier"))
    app = make_app(settings_on(databases, "small", tmp_path, scenarios_file=bad), StubLate())
    with TestClient(app) as client:
        response = client.get("/v1/worklist")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "profiles.standard.steps.3.action" in response.json()["detail"]


def test_recording_an_action(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    engine = make_engine(settings.database_url)
    before = table_counts(engine)["actions"]
    body = {
        "invoice_id": "F2",
        "action_date": "2024-03-26",
        "channel": "formal_notice",
        "outcome": "promise_to_pay",
        "promised_date": "2024-04-05",
    }
    response = client.post("/v1/actions", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == body | {"created": True}
    again = client.post("/v1/actions", json=body)
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert table_counts(engine)["actions"] == before + 1
    # The worklist of the next day sees the promise: nothing to do until 5 April.
    row = client.get("/v1/worklist", params={"as_of": "2024-03-27"}).json()["rows"][0]
    assert (row["recommended_step"], row["promised_date"]) == (None, "2024-04-05")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"invoice_id": "NOPE", "action_date": "2024-03-26", "channel": "call"}, 404, None),
        ({"invoice_id": "F2", "action_date": "2024-01-01", "channel": "call"}, 422, None),
        (
            {"invoice_id": "F2", "action_date": "2024-03-26", "channel": "sms"},
            422,
            "channel",
        ),
        (
            {
                "invoice_id": "F2",
                "action_date": "2024-03-26",
                "channel": "call",
                "outcome": "promise_to_pay",
            },
            422,
            "",
        ),
        (
            {"invoice_id": "F2", "action_date": "2999-01-01", "channel": "call"},
            422,
            "",
        ),
        # Was a 500: the ledger's timestamps start in 1677 (found by schemathesis).
        (
            {"invoice_id": "F2", "action_date": "1600-01-01", "channel": "call"},
            422,
            "action_date",
        ),
    ],
    ids=[
        "unknown-invoice",
        "before-issue",
        "bad-channel",
        "promise-without-date",
        "future",
        "before-1900",
    ],
)
def test_bad_actions_are_problems_and_write_nothing(
    api: tuple[TestClient, Settings], body: dict[str, Any], status: int, field: str | None
) -> None:
    client, settings = api
    before = table_counts(make_engine(settings.database_url))["actions"]
    response = client.post("/v1/actions", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field is not None:
        assert field in {e["field"] for e in response.json()["errors"]}
    assert table_counts(make_engine(settings.database_url))["actions"] == before


def test_a_broken_promise_reaches_the_next_scores(api: tuple[TestClient, Settings]) -> None:
    client, _ = api
    state = client.app.state.encours  # type: ignore[attr-defined]
    nxt = pd.DataFrame(
        {
            "invoice_id": ["NEXT"],
            "client_id": ["C2"],
            "issue_date": dates("2024-06-01"),
            "due_date": dates("2024-07-01"),
            "amount_cents": pd.array([10_000], dtype="Int64"),
            "currency": ["EUR"],
            "doc_type": ["invoice"],
            "disputed": [False],
        }
    )

    def broken() -> float:
        snapshot = state.ledger.current()  # refreshed: ledger_refresh_seconds is 0
        x = snapshot.features.transform(nxt, pd.Timestamp("2024-06-01"))
        return float(x["dun_n_broken_promises"].iloc[0])

    assert broken() == 1  # the factory's promise of 20 March, never kept
    body = {
        "invoice_id": "F2",
        "action_date": "2024-04-02",
        "channel": "call",
        "outcome": "promise_to_pay",
        "promised_date": "2024-04-15",
    }
    assert client.post("/v1/actions", json=body).status_code == 201
    assert broken() == 2  # 15 April passed, F2 still unpaid on 1 June


# --- tiny real models: the payment-time path, the API with both, the CLI exports ----------


@pytest.fixture(scope="module")
def trained() -> tuple[Ledger, FittedModels, dt.date]:
    """A small simulated ledger, its models fitted out of time, and the day after its end."""
    ledger = simulate(SimulationConfig(n_clients=40, n_months=12, seed=11)).ledger
    end = ledger_end(ledger)
    cutoff = end - pd.Timedelta(days=183)  # as `encours train`: the last six months to test
    models = fit_models(out_of_time_split(ledger, cutoff, end))
    return ledger, models, end.date()


def test_real_models_give_a_consistent_worklist(
    trained: tuple[Ledger, FittedModels, dt.date],
) -> None:
    ledger, models, as_of = trained
    built = build_worklist(
        ledger,
        FeatureBuilder().fit(ledger),
        models.late,
        SCENARIOS,
        as_of,
        time_model=models.time,
    )
    rows = built.rows
    assert len(rows) == built.n_candidates > 20
    assert rows["amount_at_risk_cents"].is_monotonic_decreasing
    assert ((rows["risk"] >= 0) & (rows["risk"] <= 1)).all()
    overdue = rows["days_past_due"] > 0
    assert (rows.loc[overdue, "risk_basis"] == "unpaid_in_30_days").all()
    dated = rows["expected_payment_date"].notna()
    assert dated.mean() > 0.5
    assert (rows.loc[dated, "expected_payment_date"] > pd.Timestamp(as_of)).all()
    json.dumps(built.records())  # JSON-ready


def test_real_models_give_p10_median_p90_of_the_invoice_open_today(
    trained: tuple[Ledger, FittedModels, dt.date],
) -> None:
    ledger, models, as_of = trained
    builder = FeatureBuilder().fit(ledger)
    rows = build_worklist(
        ledger, builder, models.late, SCENARIOS, as_of, time_model=models.time, limit=50
    ).rows
    p10, median, p90 = (
        rows[c] for c in ("payment_p10_date", "expected_payment_date", "payment_p90_date")
    )
    every = p10.notna() & median.notna() & p90.notna()
    assert every.sum() > 10
    assert ((p10 <= median) & (median <= p90))[every].all()
    assert (p10[every] < p90[every]).any()  # a band, not one date thrice
    assert p10[median.isna()].isna().all()
    # One invoice by hand: the overdue row with the widest band, its distribution given
    # it is still open at the end of as_of, read at 10, 50 and 90 %.
    picked = rows[every & (rows["days_past_due"] > 0)]
    row = picked.loc[(picked["payment_p90_date"] - picked["payment_p10_date"]).idxmax()]
    invoice = ledger.invoices[ledger.invoices["invoice_id"] == row["invoice_id"]]
    x = builder.transform(invoice, pd.Timestamp(as_of))
    open_at = pd.Series(pd.Timestamp(as_of) + pd.Timedelta(days=1), index=invoice.index)
    dist = models.time.distribution(
        model_columns(models.time, x), invoice["issue_date"], invoice["due_date"], open_at
    )
    by_hand = [dist.dates(dist.quantile(q)).iloc[0] for q in (0.1, 0.5, 0.9)]
    assert [
        row["payment_p10_date"],
        row["expected_payment_date"],
        row["payment_p90_date"],
    ] == by_hand


@pytest.fixture(scope="module")
def with_simulated(
    databases: dict[str, Path], trained: tuple[Ledger, FittedModels, dt.date]
) -> dict[str, Path]:
    """The test databases and one more holding the simulated ledger."""
    simulated = databases["empty"].with_name("simulated.db")
    shutil.copy(databases["empty"], simulated)
    engine = make_engine(f"sqlite:///{simulated}")
    save_ledger(engine, trained[0])
    engine.dispose()
    return databases | {"simulated": simulated}


def test_api_with_both_models(
    trained: tuple[Ledger, FittedModels, dt.date],
    with_simulated: dict[str, Path],
    tmp_path: Path,
) -> None:
    _, models, as_of = trained
    app = make_app(settings_on(with_simulated, "simulated", tmp_path), models.late, models.time)
    with TestClient(app) as client:
        body = client.get("/v1/worklist", params={"as_of": str(as_of), "limit": 5}).json()
    assert body["payment_time_model"] is True
    assert len(body["rows"]) == 5 and body["total"] > 5
    assert any(r["expected_payment_date"] for r in body["rows"])
    for r in body["rows"]:  # ISO dates in order where all three are given
        if r["payment_p10_date"] and r["payment_p90_date"]:
            assert r["payment_p10_date"] <= r["expected_payment_date"] <= r["payment_p90_date"]
    assert any(r["payment_p90_date"] for r in body["rows"])
    overdue = client.get(
        "/v1/worklist", params={"as_of": str(as_of), "limit": 5, "bucket": "1_30"}
    ).json()
    assert overdue["total"] == body["total"] and 0 < overdue["matching"] < overdue["total"]
    assert all(1 <= r["days_past_due"] <= 30 for r in overdue["rows"])


@pytest.fixture
def cli_env(
    trained: tuple[Ledger, FittedModels, dt.date],
    with_simulated: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dt.date]:
    """Settings at a database holding the simulated ledger; the champions are the models."""
    _, models, as_of = trained
    settings = settings_on(with_simulated, "simulated", tmp_path)
    monkeypatch.setenv("ENCOURS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    champions = {LATE_MODEL: models.late, TIME_MODEL: models.time}
    monkeypatch.setattr("training.tracking.use_store", lambda *_: "0")
    monkeypatch.setattr("serving.services.load_champions", served_from(champions))
    get_settings.cache_clear()
    yield as_of
    get_settings.cache_clear()


def test_cli_writes_csv_and_excel_that_read_back(cli_env: dt.date, tmp_path: Path) -> None:
    csv, excel = tmp_path / "relances.csv", tmp_path / "relances.xlsx"
    args = ["worklist", "--as-of", str(cli_env), "--csv", str(csv), "--excel", str(excel)]
    result = runner.invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert "Relances au" in result.output
    shown = runner.invoke(cli_app, ["worklist", "--as-of", str(cli_env), "--json"])
    payload = json.loads(shown.stdout)
    from_csv = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    from_excel = pd.read_excel(excel, sheet_name="relances")
    from_excel.columns = list(from_csv.columns)  # headers in words there, ids here
    assert len(from_csv) == len(from_excel) == payload["total"] > 0
    head = payload["rows"]
    for frame in (from_csv, from_excel):
        assert frame["invoice_id"].tolist()[: len(head)] == [r["invoice_id"] for r in head]
        assert frame["amount_at_risk"].tolist()[: len(head)] == [r["amount_at_risk"] for r in head]
        steps = frame["recommended_step"].astype(object).where(frame["recommended_step"].notna())
        assert [None if pd.isna(s) else s for s in steps[: len(head)]] == [
            r["recommended_step"] for r in head
        ]
        due = pd.to_datetime(frame["due_date"]).dt.strftime("%Y-%m-%d").tolist()
        assert due[: len(head)] == [r["due_date"] for r in head]
    pd.testing.assert_frame_equal(
        from_csv.drop(columns=[c for c in from_csv.columns if "date" in c]),
        from_excel.drop(columns=[c for c in from_excel.columns if "date" in c]),
        check_dtype=False,
    )


def test_cli_prints_the_worklist_in_english_when_asked(
    cli_env: dt.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["worklist", "--as-of", str(cli_env), "--limit", "5"]
    french = runner.invoke(cli_app, args, env={"COLUMNS": "300"})
    monkeypatch.setenv("ENCOURS_LANG", "en")
    get_settings.cache_clear()
    english = runner.invoke(cli_app, args, env={"COLUMNS": "300"})
    assert french.exit_code == english.exit_code == 0, english.output
    assert "Relances au" in french.output and "montant à risque" in french.output
    assert "Relances at" in english.output and "amount at risk" in english.output
    assert "montant" not in english.output and "facture" not in english.output
    day = cli_env.isoformat()
    assert day in english.output and day not in french.output  # 07/12/2026 in French


def test_cli_writes_french_files(cli_env: dt.date, tmp_path: Path) -> None:
    csv, excel = tmp_path / "relances.csv", tmp_path / "relances.xlsx"
    args = ["worklist", "--as-of", str(cli_env), "--csv", str(csv), "--excel", str(excel)]
    assert runner.invoke(cli_app, [*args, "--format", "fr"]).exit_code == 0
    assert runner.invoke(cli_app, [*args[:-4], "--csv", str(tmp_path / "en.csv")]).exit_code == 0
    english = pd.read_csv(tmp_path / "en.csv")

    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    french = pd.read_csv(csv, sep=";", decimal=",", encoding="utf-8-sig")
    assert french["amount_at_risk"].tolist() == english["amount_at_risk"].round(2).tolist()
    assert french["due_date"].str.fullmatch(r"[0-9]{2}/[0-9]{2}/[0-9]{4}").all()
    sheet = load_workbook(excel)["relances"]
    assert sheet["A1"].value == "Facture" and sheet.freeze_panes == "A2"
    assert runner.invoke(cli_app, [*args, "--format", "de"]).exit_code == 2


def test_cli_fails_clearly(
    cli_env: dt.date, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("risky_threshold: 2\nprofiles: {}\n")
    monkeypatch.setenv("ENCOURS_SCENARIOS_FILE", str(bad))
    get_settings.cache_clear()
    result = runner.invoke(cli_app, ["worklist"])
    assert result.exit_code == 1
    assert "risky_threshold" in result.output and "profiles.standard" in result.output
    monkeypatch.delenv("ENCOURS_SCENARIOS_FILE")
    monkeypatch.setattr("serving.services.load_champions", served_from({}))
    get_settings.cache_clear()
    result = runner.invoke(cli_app, ["worklist"])
    assert result.exit_code == 1
    assert "encours train" in result.output


def test_ledger_reloads_with_the_recorded_action(api: tuple[TestClient, Settings]) -> None:
    client, settings = api
    body = {"invoice_id": "F1", "action_date": "2024-02-12", "channel": "email"}
    assert client.post("/v1/actions", json=body).status_code == 201
    actions = load_ledger(make_engine(settings.database_url)).actions
    stored = actions[actions["invoice_id"] == "F1"].iloc[0]
    assert (stored["action_date"], stored["channel"]) == (pd.Timestamp("2024-02-12"), "email")
    assert pd.isna(stored["outcome"]) and pd.isna(stored["promised_date"])
