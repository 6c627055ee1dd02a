"""Benchmark the database: save a simulated ledger of about N invoices, save it again, load it.

Run: ``.venv/bin/python bench/storage.py [--invoices 1000000] [--postgres URL]``. The
ledger is simulated once (20,000 clients over 24 months per million invoices) and kept as
Parquet under ``--cache`` for the next runs. For SQLite (a new file) and PostgreSQL (a new
schema, dropped after; its URL from ``--postgres`` or ``ENCOURS_TEST_DATABASE_URL``, left
out without one), it times ``save_ledger`` into the empty database (the import), the
same ledger again (nothing changes: every row compared, none written), and ``load_ledger``.
With ``--alternatives``, it also times reading the invoices into Arrow with the ADBC
drivers and connectorx when they are installed (reads do not use them: see
``ledger/bulk_reads.py`` for why; ADBC's SQLite driver writes an import's large tables:
``ledger/sqlite_stage.py``). Targets at 1,000,000 invoices: import <= 20 s and
load <= 5 s on each database. Wall times depend on the machine's load (shared): the CPU
seconds of this process and the load average are printed beside them.

The last line is machine-readable: ``sqlite_import_s=<float> sqlite_load_s=<float>
postgres_import_s=<float> postgres_load_s=<float> rows=<int>`` (``nan`` for a database
left out).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

# Run as a script, this file's folder heads sys.path and would shadow the project's packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

if TYPE_CHECKING:
    from ledger.contract import Ledger

T = TypeVar("T")


def timed(label: str, work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and its wall seconds, printed with its CPU seconds and the load."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    seconds = time.perf_counter() - started
    print(
        f"  {label:<12} {seconds:7.2f} s wall, {time.process_time() - cpu:6.2f} s CPU "
        f"(load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return result, seconds


def cached_ledger(invoices: int, seed: int, folder: Path) -> Ledger:
    """The simulated ledger, from Parquet under ``folder`` or simulated and written there."""
    import pandas as pd

    from ledger.contract import Ledger
    from simulator import SimulationConfig, simulate

    names = list(Ledger().tables())
    if all((folder / f"{name}.parquet").exists() for name in names):
        return Ledger(**{n: pd.read_parquet(folder / f"{n}.parquet") for n in names})
    clients = max(20, round(20_000 * invoices / 1_000_000))
    ledger = simulate(SimulationConfig(n_clients=clients, n_months=24, seed=seed)).ledger
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in ledger.tables().items():
        frame.to_parquet(folder / f"{name}.parquet")
    return ledger


def measure(url: str, ledger: Ledger) -> tuple[float, float]:
    """Import, import again and load seconds on the database at ``url``."""
    from ledger.storage import load_ledger, make_engine, migrate, save_ledger

    engine = make_engine(url)
    migrate(engine)
    summary, import_s = timed("import", lambda: save_ledger(engine, ledger))
    again, _ = timed("again", lambda: save_ledger(engine, ledger))
    loaded, load_s = timed("load_ledger", lambda: load_ledger(engine))
    engine.dispose()
    assert again.changed == 0, "a second save of the same ledger changed rows"
    assert len(loaded.invoices) == len(ledger.invoices)
    print(f"  rows written {summary.changed:,}, invoices loaded {len(loaded.invoices):,}")
    return import_s, load_s


def postgres_schema(base: str) -> tuple[str, Callable[[], None]]:
    """A URL on a new schema of the server at ``base``, and what drops it."""
    from sqlalchemy import create_engine, text

    schema = f"bench_storage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


INVOICES_SQL = (
    "SELECT invoice_id, client_id, issue_date, due_date, amount, currency, doc_type, "
    "disputed, paid_date, written_off, credited_invoice_id, doubtful_date, reference, "
    "extra FROM invoices ORDER BY invoice_id"
)


def alternatives(sqlite_file: Path, postgres_url: str | None) -> None:
    """The invoices read into Arrow by ADBC and connectorx, where installed."""
    candidates: list[tuple[str, Callable[[], object]]] = []
    try:
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        candidates.append(("adbc sqlite", lambda: _adbc(adbc_sqlite, str(sqlite_file))))
    except ImportError:
        print("  adbc-driver-sqlite not installed")
    try:
        import connectorx as cx

        uri = f"sqlite://{sqlite_file}"
        candidates.append(
            ("cx sqlite", lambda: cx.read_sql(uri, INVOICES_SQL, return_type="arrow"))
        )
        if postgres_url:
            candidates.append(
                (
                    "cx postgres",
                    lambda: cx.read_sql(postgres_url, INVOICES_SQL, return_type="arrow"),
                )
            )
    except ImportError:
        print("  connectorx not installed")
    try:
        import adbc_driver_postgresql.dbapi as adbc_postgres

        if postgres_url:
            candidates.append(("adbc postgres", lambda: _adbc(adbc_postgres, postgres_url)))
    except ImportError:
        print("  adbc-driver-postgresql not installed")
    for label, read in candidates:
        try:
            timed(label, read)
        except Exception as exc:  # a driver that cannot read the table: say why
            print(f"  {label:<12} failed: {str(exc).splitlines()[0]}")


def _adbc(driver: object, uri: str) -> object:
    with driver.connect(uri) as connection, connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(INVOICES_SQL)
        return cursor.fetch_arrow_table()


def main() -> None:
    """Parse the arguments, build the ledger, measure each database, print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--cache", type=Path, help="Parquet folder of the simulated ledger")
    parser.add_argument("--postgres", default=os.environ.get("ENCOURS_TEST_DATABASE_URL"))
    parser.add_argument("--alternatives", action="store_true", help="also ADBC, connectorx")
    args = parser.parse_args()

    cache = (
        args.cache or Path(tempfile.gettempdir()) / f"encours-ledger-{args.invoices}-{args.seed}"
    )
    ledger, _ = timed("ledger", lambda: cached_ledger(args.invoices, args.seed, cache))
    rows = sum(len(frame) for frame in ledger.tables().values())
    print(f"ledger: {len(ledger.invoices):,} invoices, {rows:,} rows in all (from {cache})")
    figures = {"sqlite": (float("nan"), float("nan")), "postgres": (float("nan"), float("nan"))}
    with tempfile.TemporaryDirectory() as folder:
        sqlite_file = Path(folder) / "ledger.db"
        print("SQLite:")
        figures["sqlite"] = measure(f"sqlite:///{sqlite_file}", ledger)
        postgres_url, drop = postgres_schema(args.postgres) if args.postgres else (None, None)
        try:
            if postgres_url:
                print("PostgreSQL:")
                figures["postgres"] = measure(postgres_url, ledger)
            if args.alternatives:
                print("Reading the invoices into Arrow by other means:")
                alternatives(sqlite_file, postgres_url)
        finally:
            if drop is not None:
                drop()
    for name, (import_s, load_s) in figures.items():
        verdict = "ok" if import_s <= 20 and load_s <= 5 else "MISSED"
        print(
            f"{name}: import {import_s:.1f} s, load {load_s:.1f} s [targets 20 s, 5 s: {verdict}]"
        )
    print(
        f"sqlite_import_s={figures['sqlite'][0]:.2f} sqlite_load_s={figures['sqlite'][1]:.2f} "
        f"postgres_import_s={figures['postgres'][0]:.2f} "
        f"postgres_load_s={figures['postgres'][1]:.2f} rows={rows}"
    )


if __name__ == "__main__":
    main()
