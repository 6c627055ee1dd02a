"""Benchmark the score log: what keeping every score costs a request and a batch.

Run: ``.venv/bin/python bench/score_log.py [--rows N] [--postgres URL]``. Measures, on a
fresh SQLite file in a temporary folder (and on PostgreSQL when ``--postgres`` names a
server: a schema of its own, dropped after):

- what :meth:`serving.score_log.ScoreLog.record` adds to one scored request (one invoice
  with its payment dates), in microseconds, the database write left to the background;
- writing ``N`` rows (default a million, a batch that scores a million invoices) in one
  :func:`ledger.score_log.append_scores`, in seconds and microseconds a row, and reading
  them back (:func:`ledger.score_log.read_scores`, what ``encours monitor`` reads).

Scores are synthetic: the log does not care what gave them. The last line is
machine-readable: ``record_us=<float> sqlite_write_s=<float> sqlite_read_s=<float>
[postgres_write_s=<float> postgres_read_s=<float>]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
import uuid
from pathlib import Path

# Run as a script, this file's folder heads sys.path and its files shadow the project's
# packages (``features``): drop it before importing them (as bench/serve.py does).
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from ledger.score_log import append_scores, read_scores  # noqa: E402
from ledger.storage import make_engine, migrate  # noqa: E402
from serving.score_log import ScoreLog, score_rows  # noqa: E402
from serving.scoring import InvoiceScores, LoadedModel  # noqa: E402


def synthetic_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` score rows as a batch gives them: one scoring day, one version, dates spread."""
    rng = np.random.default_rng(seed)
    day = np.datetime64("2026-12-07")
    expected = day + rng.integers(0, 120, n)
    return score_rows(
        "batch",
        LoadedModel("late-payment", "7", None),
        dt.date(2026, 12, 7),
        np.char.add("F", np.arange(n).astype(str)),
        np.char.add("C", (np.arange(n) % 20_000).astype(str)),
        rng.random(n),
        [expected, expected - 10, expected + 25],
    )


def record_microseconds(engine_url: str, calls: int = 20_000) -> float:
    """Mean time of one request's :meth:`ScoreLog.record` (writes left to the end)."""
    log = ScoreLog(make_engine(engine_url), "api", flush_rows=2**62, flush_seconds=float("inf"))
    model = LoadedModel("late-payment", "7", None)
    invoices = {"invoice_id": np.array(["F1"], dtype=object), "client_id": np.array(["C1"])}
    dates = np.array([["2027-01-15", "2027-01-05", "2027-01-14", "2027-02-10"]], "datetime64[D]")
    scores = InvoiceScores(np.array([0.3]), None, dates, None)
    started = time.perf_counter()
    for _ in range(calls):
        log.record(model, dt.date(2026, 12, 7), invoices, scores)
    return (time.perf_counter() - started) / calls * 1e6


def write_and_read(url: str, rows: pd.DataFrame) -> tuple[float, float]:
    """Seconds to write ``rows`` in one transaction, then to read them all back."""
    engine = make_engine(url)
    migrate(engine)
    started = time.perf_counter()
    append_scores(engine, rows)
    written = time.perf_counter() - started
    started = time.perf_counter()
    back = read_scores(engine)
    read = time.perf_counter() - started
    assert len(back) == len(rows)
    engine.dispose()
    return written, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the batch")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to measure too")
    args = parser.parse_args()
    rows = synthetic_rows(args.rows)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        figures["record_us"] = record_microseconds(url)
        print(f"record: {figures['record_us']:.1f} µs a request of one invoice")
        written, read = write_and_read(url, rows)
    figures |= {"sqlite_write_s": written, "sqlite_read_s": read}
    print(f"SQLite: {args.rows:,} rows written in {written:.1f} s "
          f"({written / args.rows * 1e6:.1f} µs a row), read in {read:.1f} s")  # fmt: skip
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            sep = "&" if "?" in args.postgres else "?"
            written, read = write_and_read(
                f"{args.postgres}{sep}options=-csearch_path%3D{schema}", rows
            )
        finally:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
        figures |= {"postgres_write_s": written, "postgres_read_s": read}
        print(f"PostgreSQL: {args.rows:,} rows written in {written:.1f} s "
              f"({written / args.rows * 1e6:.1f} µs a row), read in {read:.1f} s")  # fmt: skip
    print(" ".join(f"{name}={value:.3f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
