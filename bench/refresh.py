"""Benchmark the service's ledger refresh: what a check costs when nothing changed, and when
a few clients did, against reading the whole ledger anew.

Run: ``.venv/bin/python bench/refresh.py [--invoices N] [--seed S] [--store DIR] [--clients K]``.
The ledger comes from ``bench/serve.py``'s store (simulated, saved into SQLite; ``--store
DIR`` keeps it). Timed, in one process:

- ``full``: the first snapshot, the whole ledger read and the features fitted
  (``LedgerSource._load``), as every server process paid every 30 s before;
- ``unchanged``: a check when the ledger's version has not moved (best of 20);
- ``changed``: ``--clients`` clients' invoices get one relance each (``write_ledger``, as
  ``POST /v1/actions`` writes them, one version per client), then one check: the changed
  clients' rows read (``read``), swapped into the snapshot (``merge``) and the features
  refit (``fit``).

The last line is machine-readable: ``full_s= unchanged_ms= changed_s= read_s= merge_s=
fit_s=``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))  # bench/serve.py's store

from serve import open_store, store_folder


def relances(ledger: object, clients: int, seed: int) -> list[object]:
    """One relance on an invoice of each of ``clients`` clients picked at random, dated
    the ledger's last day (a new row each run: the seed varies with the time)."""
    from ledger.contract import Ledger

    invoices = ledger.invoices  # type: ignore[attr-defined]
    rng = np.random.default_rng(seed)
    picked = invoices.drop_duplicates("client_id").sample(clients, random_state=rng)
    day = invoices["issue_date"].max()
    return [
        Ledger(
            actions=pd.DataFrame(
                {
                    "invoice_id": [row.invoice_id],
                    "action_date": pd.Series([day], dtype="datetime64[ns]"),
                    "channel": ["call"],
                    "outcome": ["no_answer"],
                    "promised_date": pd.Series([pd.NaT], dtype="datetime64[ns]"),
                }
            )
        )
        for row in picked.itertuples()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--store", type=Path, help="keep the ledger and models here")
    parser.add_argument("--clients", type=int, default=5)
    args = parser.parse_args()

    from features.pipeline import FeatureBuilder
    from ledger import client_rows
    from ledger.storage import make_engine, write_ledger
    from ledger.versions import changed_clients
    from serving.ledger_source import LedgerSource

    with store_folder(args.store) as folder:
        settings = open_store(folder, args.invoices, args.seed)
        engine = make_engine(settings.database_url)
        source = LedgerSource(engine, max_age_seconds=3600)
        started = time.perf_counter()
        held = source.current()
        full_s = time.perf_counter() - started
        print(f"full read and fit:  {full_s:8.2f} s  ({len(held.ledger.invoices):,} invoices)")
        unchanged = []
        for _ in range(20):
            started = time.perf_counter()
            assert source._reread(held) is None
            unchanged.append(time.perf_counter() - started)
        unchanged_ms = min(unchanged) * 1000
        print(f"unchanged check:    {unchanged_ms:8.2f} ms")
        for written in relances(held.ledger, args.clients, time.time_ns() % 2**32):
            with engine.begin() as connection:
                write_ledger(connection, written)
        started = time.perf_counter()
        fresh = source._reread(held)
        changed_s = time.perf_counter() - started
        assert fresh is not None and fresh.version is not None and held.version is not None
        # The same work in its parts, on the same versions, for the breakdown.
        ids = changed_clients(engine, held.version, fresh.version)
        assert ids is not None
        started = time.perf_counter()
        rows = client_rows.read_clients(engine, ids)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        merged = client_rows.with_clients_replaced(held.ledger, rows, ids)
        merge_s = time.perf_counter() - started
        assert merged is not None
        started = time.perf_counter()
        FeatureBuilder().fit(merged)
        fit_s = time.perf_counter() - started
        print(
            f"{len(ids)} clients changed: {changed_s:8.2f} s  (read {read_s:.2f} s, "
            f"merge {merge_s:.2f} s, fit {fit_s:.2f} s)"
        )
        engine.dispose()
    print(
        f"full_s={full_s:.2f} unchanged_ms={unchanged_ms:.2f} changed_s={changed_s:.2f} "
        f"read_s={read_s:.2f} merge_s={merge_s:.2f} fit_s={fit_s:.2f}"
    )


if __name__ == "__main__":
    main()
