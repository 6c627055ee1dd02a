"""The LME check on clients built for each rule: 60 days, 45 days end of month (both ways
of counting it), the 30-day default with no agreed term, public buyers' 30 days."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import get_settings
from ledger.contract import Ledger
from serving.lme import lme_report
from tests.ledger.factories import dates
from tests.serving.conftest import Store, auth
from training.dataset import ledger_end

AS_OF = dt.date(2025, 6, 30)
CLIENTS = {  # id: (public, agreed terms in days)
    "SIXTY": (False, 60),
    "EOM": (False, 45),
    "LONG": (False, 75),
    "NOTERMS": (False, None),
    "PUB": (True, 45),
    "PUB30": (True, 30),
}
INVOICES = [  # id, client, issued, due
    # Jan 31 + 60 days = Apr 1; 45 days end of month: Mar 17 -> Mar 31, or Jan 31 + 45 =
    # Mar 17. The latest is Apr 1: S1 is within, S2 one day beyond.
    ("S1", "SIXTY", "2025-01-31", "2025-04-01"),
    ("S2", "SIXTY", "2025-01-31", "2025-04-02"),
    # Mar 1 + 60 = Apr 30; Mar 1 + 45 = Apr 15 -> Apr 30; end of March + 45 = May 15:
    # 75 days after the invoice, still within (45 days end of month); May 16 is not.
    ("E1", "EOM", "2025-03-01", "2025-05-15"),
    ("E2", "EOM", "2025-03-01", "2025-05-16"),
    # No agreed term: 30 days, May 1 + 30 = May 31; June 15 is 15 days beyond.
    ("N1", "NOTERMS", "2025-05-01", "2025-05-31"),
    ("N2", "NOTERMS", "2025-05-01", "2025-06-15"),
    # A public buyer: 30 days, Apr 1 + 30 = May 1; May 16 is 15 days beyond.
    ("P1", "PUB", "2025-04-01", "2025-05-16"),
    ("Q1", "PUB30", "2025-04-01", "2025-05-01"),
    # Issued more than a year before AS_OF: not checked.
    ("OLD", "SIXTY", "2024-01-02", "2024-06-30"),
]


def ledger() -> Ledger:
    clients = pd.DataFrame(
        {
            "client_id": list(CLIENTS),
            "name": [f"Client {c}" for c in CLIENTS],
            "country": "FR",
            "sector": "retail",
            "is_public_sector": [p for p, _ in CLIENTS.values()],
            "created_on": dates(*["2020-01-01"] * len(CLIENTS)),
            "payment_terms_days": pd.array([t for _, t in CLIENTS.values()], dtype="Int64"),
            "credit_limit_cents": pd.array([None] * len(CLIENTS), dtype="Int64"),
        }
    )
    n = len(INVOICES) + 1
    invoices = pd.DataFrame(
        {
            "invoice_id": [i[0] for i in INVOICES] + ["AV"],
            "client_id": [i[1] for i in INVOICES] + ["LONG"],
            "issue_date": dates(*[i[2] for i in INVOICES], "2025-03-01"),
            "due_date": dates(*[i[3] for i in INVOICES], "2025-09-01"),
            "amount_cents": pd.array([100_000] * n, dtype="Int64"),
            "currency": "EUR",
            "doc_type": ["invoice"] * len(INVOICES) + ["credit_note"],  # not checked
            "disputed": False,
            "paid_date": dates(*[None] * n),
            "written_off": False,
            "credited_invoice_id": None,
        }
    )
    return Ledger(clients=clients, invoices=invoices)


def test_invoices_beyond_each_rule_with_their_days() -> None:
    report = lme_report(ledger(), AS_OF)
    beyond = report.invoices.set_index("invoice_id")
    assert beyond["days_beyond"].to_dict() == {"N2": 15, "P1": 15, "E2": 1, "S2": 1}
    assert beyond.loc["E2", "latest_due_date"] == pd.Timestamp("2025-05-15")
    assert beyond.loc["S2", "latest_due_date"] == pd.Timestamp("2025-04-01")
    assert beyond["rule"].to_dict() == {
        "N2": "default_30",
        "P1": "public_30",
        "E2": "agreed_60_or_45_eom",
        "S2": "agreed_60_or_45_eom",
    }
    assert beyond.loc["E2", "terms_days"] == 76


def test_clients_flagged_by_their_terms_or_their_invoices() -> None:
    clients = lme_report(ledger(), AS_OF).clients
    assert clients["flagged"].to_dict() == {
        "SIXTY": True,  # S2
        "EOM": True,  # E2
        "LONG": True,  # 75 days agreed, beyond 60: flagged with no invoice
        "NOTERMS": True,  # N2
        "PUB": True,  # 45 days agreed with a public buyer, and P1
        "PUB30": False,
    }
    assert clients["terms_over_limit"].to_dict() == {
        "SIXTY": False,
        "EOM": False,
        "LONG": True,
        "NOTERMS": False,
        "PUB": True,
        "PUB30": False,
    }
    assert clients.loc["SIXTY", "invoices_checked"] == 2  # OLD is outside the year
    assert clients.loc["LONG", "invoices_checked"] == 0  # a credit note is not checked
    assert clients.loc["NOTERMS", "limit_days"] == 30 and clients.loc["LONG", "limit_days"] == 60
    assert clients.loc["PUB", "amount_beyond"] == 1000.0
    # Public buyers owe intérêts moratoires at ECB 2.15 % + 8 points = 10.15 %.
    assert clients.loc["PUB30", "moratory_rate_percent"] == 10.15
    assert clients.loc["SIXTY", "moratory_rate_percent"] is None


def test_a_longer_period_checks_older_invoices() -> None:
    report = lme_report(ledger(), AS_OF, since=dt.date(2024, 1, 1))
    # Jan 2 + 60 = Mar 2; Jan 2 + 45 = Feb 16 -> Feb 29; end of January + 45 = Mar 16.
    # June 30 is 106 days beyond March 16.
    assert report.invoices.set_index("invoice_id").loc["OLD", "days_beyond"] == 106
    assert report.as_json()["invoices"][0]["invoice_id"] == "OLD"  # worst first


@pytest.mark.slow
def test_the_route_the_command_and_the_client_risk_agree(
    keyed_app: tuple[TestClient, dict[str, str]], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    http, keys = keyed_app
    day = ledger_end(store.ledger).date().isoformat()
    answer = http.get(f"/v1/lme?as_of={day}&all=true", headers=auth(keys["viewer"]))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert len(report["clients"]) == store.ledger.clients["client_id"].nunique()
    first = report["clients"][0]
    risk = http.get(
        f"/v1/clients/{first['client_id']}/risk?as_of={day}", headers=auth(keys["viewer"])
    )
    assert risk.status_code == 200, risk.text
    line = {k: v for k, v in first.items() if k not in ("client_id", "name")}
    assert risk.json()["lme"] == line
    monkeypatch.setenv("ENCOURS_DATABASE_URL", store.settings.database_url)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli_app, ["lme", "--as-of", day, "--all", "--json"])
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == report
