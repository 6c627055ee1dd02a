"""Benchmark the KPIs at one date: computed in the database (SQL) vs loaded and computed in pandas.

Run: ``.venv/bin/python bench/kpis_sql.py [--invoices 1000000] [--postgres URL]``. The
simulated ledger is bench/storage.py's (Parquet under ``/tmp/encours-ledger-N-SEED``, made
once). For SQLite (a new file) and PostgreSQL (a new schema, dropped after; its URL from
``--postgres`` or ``ENCOURS_TEST_DATABASE_URL``, left out without one), the ledger is
saved (and PostgreSQL's statistics gathered, as autovacuum would after an import), then
at its last day (and a year before) it times :func:`ledger.kpis_sql.kpis_in_database`
(twice: the first run reads cold pages) and :func:`ledger.kpis_sql.aged_balance_in_database`
against ``load_ledger`` + :func:`ledger.kpis.compute_kpis`, and checks that both give the
same figures. Wall times depend on the machine's load (shared): the CPU seconds of this
process (the database server's are not in them) and the load average are printed beside.

Measured on 7 December 2026 at 1,111,985 invoices (a 2-core machine shared, load about 4):
PostgreSQL 15, the KPIs in SQL 5.1 s against 14.7 s for ``load_ledger`` (11.5 s) + pandas
(3.3 s); SQLite 5.9 s against 14.6 s (12.4 s + 2.3 s); the same figures on both paths.

The last line is machine-readable: ``sqlite_sql_s=<float> sqlite_pandas_s=<float>
postgres_sql_s=<float> postgres_pandas_s=<float> invoices=<int>`` (the second SQL run;
pandas = load + compute; ``nan`` for a database left out).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
# Run as a script, this file's folder heads sys.path and would shadow the project's packages
# (bench/features.py...); the repository's root comes first instead, for bench.storage.
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

from bench.storage import cached_ledger, postgres_schema, timed  # noqa: E402

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ledger.contract import Ledger


def measure(url: str, ledger: Ledger, days: list[date]) -> tuple[float, float]:
    """Seconds of the KPIs in SQL (second run) and of load + pandas, at ``days[0]``."""
    from ledger.storage import make_engine, migrate, save_ledger

    engine = make_engine(url)
    migrate(engine)
    timed("save", lambda: save_ledger(engine, ledger))
    if engine.dialect.name == "postgresql":  # as autovacuum would after an import
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    figures = [measure_day(engine, day) for day in days]
    engine.dispose()
    return figures[0]


def measure_day(engine: Engine, day: date) -> tuple[float, float]:
    """Seconds of the KPIs at ``day`` in SQL (second run) and of load + pandas; checks
    that both give the same figures, and the same balance âgée."""
    from ledger.kpis import aged_balance, compute_kpis
    from ledger.kpis_sql import aged_balance_in_database, kpis_in_database
    from ledger.storage import load_ledger

    print(f" at {day}:")
    timed("sql (cold)", lambda: kpis_in_database(engine, day))
    in_sql, sql_s = timed("sql", lambda: kpis_in_database(engine, day))
    aged, _ = timed("aged sql", lambda: aged_balance_in_database(engine, day))
    loaded, load_s = timed("load_ledger", lambda: load_ledger(engine))
    in_pandas, compute_s = timed("pandas", lambda: compute_kpis(loaded, day))
    assert in_sql == in_pandas, f"the SQL KPIs differ from pandas' at {day}"
    assert aged == aged_balance(loaded, day), f"the SQL balance âgée differs at {day}"
    first = in_sql[0]
    print(
        f"  same figures; encours {first.encours:,} {first.currency}, DSO {first.dso}; "
        f"SQL {(load_s + compute_s) / sql_s:.1f}× faster than load + pandas"
    )
    return sql_s, load_s + compute_s


def main() -> None:
    """Parse the arguments, build the ledger, measure each database, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--cache", type=Path, help="Parquet folder of the simulated ledger")
    parser.add_argument("--postgres", default=os.environ.get("ENCOURS_TEST_DATABASE_URL"))
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()

    cache = (
        args.cache or Path(tempfile.gettempdir()) / f"encours-ledger-{args.invoices}-{args.seed}"
    )
    ledger, _ = timed("ledger", lambda: cached_ledger(args.invoices, args.seed, cache))
    last = ledger.invoices["issue_date"].max().date()
    days = [last, last - timedelta(days=365)]
    print(f"ledger: {len(ledger.invoices):,} invoices, {len(ledger.payments):,} payments")
    nan = float("nan")
    figures = {"sqlite": (nan, nan), "postgres": (nan, nan)}
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            print("SQLite:")
            figures["sqlite"] = measure(f"sqlite:///{folder}/ledger.db", ledger, days)
    if args.postgres:
        url, drop = postgres_schema(args.postgres)
        try:
            print("PostgreSQL:")
            figures["postgres"] = measure(url, ledger, days)
        finally:
            drop()
    for name, (sql_s, pandas_s) in figures.items():
        print(f"{name}: KPIs in SQL {sql_s:.2f} s, load_ledger + pandas {pandas_s:.2f} s")
    print(
        f"sqlite_sql_s={figures['sqlite'][0]:.2f} sqlite_pandas_s={figures['sqlite'][1]:.2f} "
        f"postgres_sql_s={figures['postgres'][0]:.2f} "
        f"postgres_pandas_s={figures['postgres'][1]:.2f} invoices={len(ledger.invoices)}"
    )


if __name__ == "__main__":
    main()
