"""Benchmark lettrage: 100,000 payments on a bank statement against a 1,000,000-invoice ledger.

Run: ``.venv/bin/python bench/lettrage.py``. Simulates the ledger (20,000 clients over
24 months give about a million invoices), turns its last ~100,000 payments into a noisy
bank statement (grouped transfers, typos, fees, unknown clients: see
:mod:`simulator.bank_statement`), then times :func:`ledger.lettrage.propose_matches`
against the invoices open before those payments. Prints the precision and recall of
the automatic matches against the simulated truth, per rule too. The last line is
machine-readable: ``lines=<int> seconds=<float> auto_share=<float> precision=<float>``.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from ledger.lettrage import LettrageConfig, open_items, propose_matches
from simulator import SimulationConfig, simulate
from simulator.bank_statement import match_scores, statement_from_ledger


def main() -> None:
    """Parse the arguments, simulate, match, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000, help="simulated clients")
    parser.add_argument("--months", type=int, default=24, help="length of the window")
    parser.add_argument("--payments", type=int, default=100_000, help="payments on the statement")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--threshold", type=float, default=0.9, help="auto-apply threshold")
    args = parser.parse_args()

    started = time.perf_counter()
    sim = simulate(SimulationConfig(n_clients=args.clients, n_months=args.months, seed=args.seed))
    ledger = sim.ledger
    days = ledger.payments["payment_date"].sort_values(ignore_index=True)
    since = days.iloc[max(0, len(days) - args.payments)].date()
    statement = statement_from_ledger(ledger, sim.end.date(), since)
    print(f"simulated in {time.perf_counter() - started:.1f} s")
    print(
        f"ledger:     {len(ledger.invoices):,} invoices and credit notes, "
        f"{len(ledger.clients):,} clients"
    )
    print(
        f"statement:  {len(statement.truth):,} payments in {len(statement.lines):,} lines, "
        f"{since} .. {sim.end.date()}"
    )

    started = time.perf_counter()
    items = open_items(statement.ledger, statement.as_of.date())
    open_seconds = time.perf_counter() - started
    print(f"open items: {len(items):,} invoices open before lettrage ({open_seconds:.1f} s)")

    config = LettrageConfig(auto_threshold=args.threshold)
    started = time.perf_counter()
    proposals = propose_matches(statement.lines, items, ledger.clients, config)
    seconds = time.perf_counter() - started
    scores = match_scores(statement, proposals, config)

    with pd.option_context("display.width", 120, "display.float_format", "{:.4f}".format):
        print(scores.by_rule.to_string())
    applied = int(scores.by_rule["applied"].sum())
    print(f"proposals:  {len(proposals):,} allocations, {applied:,} applied")
    print(f"auto-matched lines: {scores.auto_share:.2%}")
    print(f"precision:  {scores.precision:.4%}   recall: {scores.recall:.2%}")
    print(f"propose_matches: {seconds:.1f} s")
    print(
        f"lines={scores.lines} seconds={seconds:.2f} "
        f"auto_share={scores.auto_share:.4f} precision={scores.precision:.4f}"
    )


if __name__ == "__main__":
    main()
