"""Benchmark the ledger simulator: time and peak memory to simulate about N invoices.

Run: ``.venv/bin/python bench/simulate.py --invoices 1000000``. The number of clients is
chosen from the simulator's expected invoice count so that the run issues about N
invoices (credit notes not counted). The last line is machine-readable:
``invoices=<int> seconds=<float> peak_mb=<float>``.
"""

from __future__ import annotations

import argparse
import resource
import time

from simulator import SimulationConfig, expected_invoices, simulate


def clients_for(invoices: int, n_months: int, seed: int) -> int:
    """Number of clients that gives about ``invoices`` invoices over ``n_months``."""
    n_clients = 1_000
    for _ in range(4):  # the mix of drawn clients shifts with their number: refine
        config = SimulationConfig(n_clients=n_clients, n_months=n_months, seed=seed)
        n_clients = max(1, round(n_clients * invoices / expected_invoices(config)))
    return n_clients


def main() -> None:
    """Parse the arguments, simulate, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="target invoice count")
    parser.add_argument("--months", type=int, default=24, help="length of the window")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    args = parser.parse_args()

    n_clients = clients_for(args.invoices, args.months, args.seed)
    config = SimulationConfig(n_clients=n_clients, n_months=args.months, seed=args.seed)
    started = time.perf_counter()
    sim = simulate(config)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    ledger = sim.ledger
    invoices = int((ledger.invoices["doc_type"] == "invoice").sum())
    print(f"clients:      {n_clients:,} over {args.months} months (seed {args.seed})")
    print(f"invoices:     {invoices:,} (+ {len(ledger.invoices) - invoices:,} credit notes)")
    print(f"payments:     {len(ledger.payments):,}")
    print(f"actions:      {len(ledger.actions):,}")
    print(f"elapsed:      {seconds:.2f} s")
    print(f"peak memory:  {peak_mb:.0f} MB")
    print(f"invoices={invoices} seconds={seconds:.2f} peak_mb={peak_mb:.1f}")


if __name__ == "__main__":
    main()
