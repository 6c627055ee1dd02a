"""Drift scenarios: what changes from their start, and only then."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from encours.cli import app as cli_app
from simulator import SimulationConfig, simulate
from simulator.scenarios import WAVE_SHARE, default_start

BASE = SimulationConfig(n_clients=150, n_months=12, seed=3)
START = pd.Timestamp("2024-09-01")  # 12 months from January 2024: 4 months before the end


def _with(scenario: str) -> SimulationConfig:
    return SimulationConfig(n_clients=150, n_months=12, seed=3, scenario=scenario)


def test_the_default_start_is_the_fourth_month_before_the_end() -> None:
    assert default_start(dt.date(2024, 1, 1), 12) == START.date()
    assert default_start(dt.date(2024, 1, 1), 24) == dt.date(2025, 9, 1)
    assert _with("terms-change").scenario_date == START.date()
    given = SimulationConfig(scenario="terms-change", scenario_start=dt.date(2024, 5, 6))
    assert given.scenario_date == dt.date(2024, 5, 6)
    assert BASE.scenario_date is None


def test_an_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'recession'"):
        simulate(SimulationConfig(n_clients=5, n_months=2, scenario="recession"))


def test_terms_change_from_the_start_only() -> None:
    base = simulate(BASE).ledger.invoices
    changed = simulate(_with("terms-change")).ledger.invoices
    invoices = changed[changed["doc_type"] == "invoice"]
    terms = (invoices["due_date"] - invoices["issue_date"]).dt.days
    assert set(terms[invoices["issue_date"] >= START]) == {60}
    assert set(terms[invoices["issue_date"] < START]) > {30, 60}  # 45 days end of month too
    before = ["invoice_id", "issue_date", "due_date", "amount_cents", "paid_date"]
    pd.testing.assert_frame_equal(
        changed.loc[changed["issue_date"] < START, before].reset_index(drop=True),
        base.loc[base["issue_date"] < START, before].reset_index(drop=True),
    )


def test_a_wave_of_new_clients_starts_in_the_two_weeks_after_the_start() -> None:
    sim = simulate(_with("new-client-wave"))
    clients, invoices = sim.ledger.clients, sim.ledger.invoices
    wave = clients[
        (clients["created_on"] >= START) & (clients["created_on"] < START + pd.Timedelta(days=14))
    ]
    assert abs(len(wave) / len(clients) - WAVE_SHARE) < 0.1
    before = invoices[invoices["issue_date"] < START]
    assert not before["client_id"].isin(wave["client_id"]).any()
    after = invoices[invoices["issue_date"] >= START]
    assert after["client_id"].isin(wave["client_id"]).mean() > 0.25


def test_a_downturn_makes_construction_late_on_what_falls_due_from_the_start() -> None:
    def on_time(config: SimulationConfig) -> pd.Series:
        sim = simulate(config)
        truth = sim.truth.merge(sim.ledger.invoices[["invoice_id", "client_id", "due_date"]])
        truth = truth.merge(sim.ledger.clients[["client_id", "sector"]])
        since = truth["due_date"] >= START
        return truth.groupby([truth["sector"] == "btp", since])["p_on_time"].mean()

    base, hit = on_time(BASE), on_time(_with("sector-downturn"))
    assert hit[(True, True)] < 0.5 * base[(True, True)]  # construction, due from the start
    assert hit[(True, False)] == pytest.approx(base[(True, False)], abs=0.05)  # before
    assert hit[(False, True)] == pytest.approx(base[(False, True)], abs=0.05)  # other sectors


def test_simulate_names_the_scenario_and_its_start(tmp_path: Path) -> None:
    args = ["simulate", "--out", str(tmp_path), "--clients", "10", "--months", "6", "--json"]
    shown = CliRunner().invoke(cli_app, [*args, "--scenario", "terms-change"])
    assert shown.exit_code == 0, shown.output
    payload = json.loads(shown.stdout)
    assert payload["scenario"] == "terms-change" and payload["scenario_start"] == "2024-03-01"
    given = CliRunner().invoke(
        cli_app, [*args, "--scenario", "new-client-wave", "--scenario-start", "2024-02-15"]
    )
    assert json.loads(given.stdout)["scenario_start"] == "2024-02-15"
    wrong = CliRunner().invoke(cli_app, [*args, "--scenario", "recession"])
    assert wrong.exit_code == 2 and "sector-downturn" in wrong.output
