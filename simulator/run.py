"""Run a simulation: the window, the clients, month after month, then the tables."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ledger.contract import EFFETS, Ledger, empty_frame
from ledger.day_calendar import month_start
from simulator.clients import _Clients, _draw_clients
from simulator.month import _Chunk, _simulate_month
from simulator.parameters import _SEASON, Simulation, SimulationConfig
from simulator.scenarios import check_scenario, wave_created
from simulator.tables import (
    _action_table,
    _advance_table,
    _client_table,
    _clients_truth_table,
    _concat,
    _held_advances,
    _ids,
    _invoice_table,
    _payment_table,
    _sorted,
    _truth_table,
    _unbilled,
    _vocab,
)


def _begin(config: SimulationConfig) -> tuple[np.random.Generator, int, int, _Clients]:
    """The random generator, the first month and last day of the window, and the clients."""
    if config.n_clients < 1 or config.n_months < 1:
        raise ValueError("n_clients and n_months must be at least 1")
    check_scenario(config.scenario)
    rng = np.random.default_rng(config.seed)
    first_month = (config.start.year - 1970) * 12 + config.start.month - 1
    start = int(month_start(np.array([first_month]))[0])
    end = int(month_start(np.array([first_month + config.n_months]))[0]) - 1
    clients = _draw_clients(config, rng, start, end)
    day = config.scenario_day
    clients.created = wave_created(config.scenario, day, clients.created, config.seed)
    return rng, first_month, end, clients


def expected_invoices(config: SimulationConfig) -> float:
    """About how many invoices (credit notes aside) :func:`simulate` issues for ``config``.

    Draws only the clients, as :func:`simulate` does, so it is cheap: used to choose
    ``n_clients`` for a target ledger size.
    """
    _, first_month, _, cl = _begin(config)
    months = np.arange(first_month, first_month + config.n_months + 1, dtype=np.int64)
    bounds = month_start(months)
    total = 0.0
    for i in range(config.n_months):
        first, last = bounds[i], bounds[i + 1] - 1
        open_days = np.minimum(last, cl.default_day - 1) - np.maximum(first, cl.created) + 1
        share = np.clip(open_days / (last - first + 1), 0.0, 1.0)
        total += float((cl.rate * _SEASON[months[i] % 12] * share).sum())
    return total


def simulate(config: SimulationConfig, progress: Callable[[int], None] | None = None) -> Simulation:
    """Simulate a receivables ledger and the truth it was drawn from.

    Args:
        config: what to simulate; the same config gives the same result.
        progress: called after each simulated month with the number of months done.

    Returns:
        The ledger (contract frames, money in cents), the truth per invoice and the
        last day of the window.
    """
    rng, first_month, end, cl = _begin(config)
    chunks = _simulate_months(config, rng, cl, first_month, end, progress)
    client_ids = _vocab(cl.ids)
    inv = _concat([c.invoices for c in chunks])
    invoice_ids = _ids("F", len(inv["inv"]), 7)
    cn = _sorted(_concat([c.credit_notes for c in chunks]), "issue", "inv")
    pay = _sorted(_concat([c.payments for c in chunks]), "day", "inv")
    # The tables that draw (payment texts, held advances, order numbers, unbilled
    # deliveries) are built in this order: the same seed gives the same ledger.
    payments = _payment_table(rng, pay, cl, client_ids, invoice_ids)
    adv = _concat([*(c.advances for c in chunks), _held_advances(rng, cl, end)])
    advances = _advance_table(rng, _sorted(adv, "received", "client"), client_ids)
    act = _sorted(_concat([c.actions for c in chunks]), "day", "inv")
    ledger = Ledger(
        clients=_client_table(cl, client_ids),
        invoices=_invoice_table(inv, cn, client_ids, invoice_ids),
        payments=payments,
        advances=advances,
        unbilled=_unbilled(rng, config, cl, end, client_ids),
        actions=_action_table(act, invoice_ids),
        effets=empty_frame(EFFETS).astype({"amount_cents": np.int64}),  # no bills simulated
    )
    end_stamp = pd.Timestamp(np.datetime64(end, "D")).as_unit("ns")
    truth = _truth_table(inv, client_ids, invoice_ids)
    return Simulation(
        ledger=ledger,
        truth=truth,
        end=end_stamp,
        clients_truth=_clients_truth_table(cl, client_ids),
    )


def _simulate_months(
    config: SimulationConfig,
    rng: np.random.Generator,
    cl: _Clients,
    first_month: int,
    end: int,
    progress: Callable[[int], None] | None,
) -> list[_Chunk]:
    """Each month of the window in turn; ``progress`` told after each."""
    chunks: list[_Chunk] = []
    done = 0
    for i in range(config.n_months):
        chunk = _simulate_month(config, rng, cl, first_month + i, end, done)
        done += len(chunk.invoices["inv"])
        chunks.append(chunk)
        if progress is not None:
            progress(i + 1)
    return chunks
