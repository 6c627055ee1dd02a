"""Small and unusual ledgers do not break training: ``encours train`` finishes, or refuses
in one plain line, never with a traceback.

The ledgers are cut from one small simulation: 17 clients and about 400 invoices over a
year; a third of the clients buying over the counter (settled the day they are issued);
no late payment before the cut-off; a single client.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils
from typer.testing import CliRunner

from encours.cli import app
from encours.settings import get_settings
from ledger.contract import Ledger
from ledger.files import write_ledger
from simulator import SimulationConfig, simulate

pytestmark = pytest.mark.slow

runner = CliRunner()
CUTOFF = "2024-09-01"


@pytest.fixture(scope="module")
def year() -> Ledger:
    """17 clients over one year, cut to 400 invoices."""
    ledger = simulate(SimulationConfig(n_clients=17, n_months=12, seed=3)).ledger
    invoices = ledger.invoices.sort_values("issue_date").head(400)
    return _keep_invoices(ledger, invoices)


def _keep_invoices(ledger: Ledger, invoices: pd.DataFrame) -> Ledger:
    """``ledger`` with only these invoices, their clients, and what refers to them."""
    kept = set(invoices["invoice_id"])
    clients = ledger.clients[ledger.clients["client_id"].isin(invoices["client_id"])]
    tables = {
        name: frame[frame["invoice_id"].isin(kept) | frame["invoice_id"].isna()]
        if "invoice_id" in frame
        else frame
        for name, frame in ledger.tables().items()
    }
    tables = {
        name: frame[frame["client_id"].isin(clients["client_id"])]
        if "client_id" in frame
        else frame
        for name, frame in tables.items()
    }
    return Ledger(**{**tables, "invoices": invoices.reset_index(drop=True)})


def counter_sales(ledger: Ledger) -> Ledger:
    """A third of the clients settle every invoice the day it is issued (ventes au comptoir)."""
    clients = sorted(ledger.clients["client_id"])[::3]
    invoices = ledger.invoices.copy()
    at_counter = invoices["client_id"].isin(clients) & invoices["paid_date"].notna()
    invoices.loc[at_counter, "due_date"] = invoices.loc[at_counter, "issue_date"]
    invoices.loc[at_counter, "paid_date"] = invoices.loc[at_counter, "issue_date"]
    return _keep_invoices(ledger, invoices)


def never_late_before_cutoff(ledger: Ledger) -> Ledger:
    """Every invoice due before the cut-off was settled by its due date: not one was late."""
    invoices = ledger.invoices.copy()
    due = invoices["due_date"] < pd.Timestamp(CUTOFF)
    late = due & ~(invoices["paid_date"] <= invoices["due_date"])
    invoices.loc[late, "paid_date"] = invoices.loc[late, "due_date"]
    invoices.loc[late, "written_off"] = False
    return _keep_invoices(ledger, invoices)


def single_client(ledger: Ledger) -> Ledger:
    """The client with the most invoices, alone."""
    top = ledger.invoices["client_id"].value_counts().index[0]
    return _keep_invoices(ledger, ledger.invoices[ledger.invoices["client_id"] == top])


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings on a fresh database and MLflow store, restored afterwards."""
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    monkeypatch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
    monkeypatch.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "shape",
    [lambda ledger: ledger, counter_sales, never_late_before_cutoff, single_client],
    ids=["17_clients_400_invoices", "counter_sales", "no_late_before_cutoff", "single_client"],
)
def test_train_finishes_or_refuses_in_one_line(
    year: Ledger, store: Path, shape: Callable[[Ledger], Ledger]
) -> None:
    ledger = shape(year)
    write_ledger(ledger, store / "files")
    imported = runner.invoke(app, ["import", str(store / "files"), "--json"])
    assert imported.exit_code == 0, imported.output
    trained = runner.invoke(app, ["train", "--cutoff", CUTOFF])
    assert trained.exception is None or isinstance(trained.exception, SystemExit), (
        f"{type(trained.exception).__name__}: {trained.exception}"
    )
    if trained.exit_code != 0:
        assert trained.exit_code == 1
        message = trained.output.strip()
        assert message.startswith("error:") and "\n" not in message, message
    assert "Traceback" not in trained.output
    if shape is never_late_before_cutoff:
        assert (
            trained.exit_code == 1 and "all" in trained.output and "paid on time" in trained.output
        )
    assert dt.date.fromisoformat(CUTOFF) < ledger.invoices["issue_date"].max().date()
