"""Benchmark the pandas and the Dask engines side by side on large simulated ledgers.

Run: ``.venv/bin/python bench/scale.py --invoices 1000000`` (and ``--invoices 10000000``).
For each size (``--invoices`` and a tenth of it, or the ``--sizes`` given), a simulated
ledger (20,000 clients over 24 months per million invoices) is saved into a SQLite file
(neither timed), then in fresh processes, each starting from that database as
``encours features --out`` does:

- pandas: ``load_ledger``, then every invoice's features at its issue date
  (``serving.services.batch.write_features``) written to one Parquet file, in one
  process (time, the read's share, CPU time, peak resident memory);
- Dask: the same with ``--engine dask`` on a ``LocalCluster`` of ``--workers``
  single-threaded worker processes: the workers read the ledger part by part, each part
  the rows of a range of clients (``ledger.client_ranges``), then build the population,
  the features and write one file per part, all timed (CPU time of the client and the
  workers; peak resident memory of each). No process holds the whole ledger.

Both files are read back and compared (every column, to the last bit); ``--engines dask``
runs the Dask path alone (at 10M the pandas path's one process is killed for memory). How
time grows with the ledger is the exponent of time ~ invoices^k between the two largest
sizes. Target at 1M on 2 cores: Dask at most 1.5x the pandas path; 10M through Dask within
the machine's memory. The last line is machine-readable:
``pandas_s=<float> dask_s=<float> ratio=<float> peak_mb=<float>`` (the largest size;
peak_mb the largest process measured).
"""

from __future__ import annotations

import argparse
import importlib
import math
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this file's folder heads sys.path and its name shadows nothing here,
# but keep the project's packages first, as the other benchmarks do.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

CLIENTS_PER_MILLION = 20_000
MONTHS = 24
TARGET_RATIO = 1.5


@dataclass
class Run:
    """What one engine measured (``read_seconds``: the whole ledger's read, pandas only)."""

    seconds: float
    cpu_seconds: float
    peak_mb: dict[str, float]
    read_seconds: float | None = None


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def digest(path: Path) -> str:
    """A fingerprint of every value, dtype and category written at ``path``, by invoice."""
    import hashlib

    import pandas as pd

    frame = pd.read_parquet(path).sort_values(["invoice_id", "as_of"], ignore_index=True)
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    h.update(str([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            h.update(str(list(frame[name].cat.categories)).encode())
    return h.hexdigest()[:16]


def run_pandas(url: str, out: str) -> Run:
    """In a fresh process: ``encours features --out`` by the pandas engine (the ledger
    read whole, every invoice at its issue date, written to one Parquet file)."""
    from ledger.storage import load_ledger, make_engine
    from serving.services.batch import write_features

    importlib.import_module("pyarrow.parquet")  # the engine's imports before the clock
    engine = make_engine(url)
    cpu, started = time.process_time(), time.perf_counter()
    ledger = load_ledger(engine)
    read = time.perf_counter() - started
    write_features(ledger, None, Path(out))
    seconds = time.perf_counter() - started
    return Run(seconds, time.process_time() - cpu, {"process": peak_mb()}, read)


def run_dask(url: str, workers: int, out: str) -> Run:
    """In a fresh process: the same on a LocalCluster of ``workers`` processes, the workers
    reading the parts and writing them (reads, population, features, writing all timed)."""
    from serving.services.batch import write_features
    from training.cluster import dask_client
    from training.cluster_features import StoredLedger

    with dask_client(None, workers=workers) as client:
        # The workers' imports done before the clock starts, as the pandas child's are.
        for module in ("serving.services.batch", "dask.dataframe", "pyarrow.parquet"):
            importlib.import_module(module)
            client.run(importlib.import_module, module)
        workers_cpu = client.run(time.process_time)
        cpu, started = time.process_time(), time.perf_counter()
        write_features(StoredLedger(url), None, Path(out), client)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        cpu += sum(t - workers_cpu[w] for w, t in client.run(time.process_time).items())
        workers_mb = client.run(peak_mb)
    peaks = {"client": peak_mb()} | {
        f"worker {i}": mb for i, mb in enumerate(workers_mb.values(), start=1)
    }
    return Run(seconds, cpu, peaks)


def in_child(function: Any, *args: object) -> Any:
    """``function(*args)`` in a spawned process (its own peak memory)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def simulated(invoices: int, seed: int, folder: str) -> tuple[str, int]:
    """In a fresh process: a simulated ledger of about ``invoices`` invoices saved into a
    SQLite file in ``folder`` (kept there from an earlier run: reused); its URL and invoice
    count. Saved a tenth of the clients at a time (the clients first), so that the save
    holds no more than the simulation (11 M invoices: 20 minutes)."""
    from features.partitions import split_by_client
    from ledger.contract import Ledger
    from ledger.storage import make_engine, migrate, save_ledger, table_counts
    from simulator import SimulationConfig, simulate

    url = f"sqlite:///{folder}/ledger-{invoices}-{seed}.db"
    if Path(f"{folder}/ledger-{invoices}-{seed}.db").exists():
        return url, table_counts(make_engine(url))["invoices"]
    clients = max(1, round(CLIENTS_PER_MILLION * invoices / 1_000_000))
    ledger = simulate(SimulationConfig(n_clients=clients, n_months=MONTHS, seed=seed)).ledger
    count = len(ledger.invoices)
    engine = make_engine(url)
    migrate(engine)
    save_ledger(engine, Ledger(clients=ledger.clients))
    for part in split_by_client(ledger, 10):
        save_ledger(engine, Ledger(**(part.tables() | {"clients": ledger.clients.iloc[:0]})))
    engine.dispose()
    return url, count


def exponent(small: tuple[int, float], large: tuple[int, float]) -> float:
    """k of time ~ invoices^k through two (invoices, seconds) points."""
    return math.log(large[1] / small[1]) / math.log(large[0] / small[0])


def main() -> None:
    """Parse the arguments, simulate, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="largest invoice count")
    parser.add_argument(
        "--sizes", type=int, nargs="*", help="invoice counts to run (default: a tenth, then all)"
    )
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument(
        "--store",
        type=Path,
        help="keep the simulated ledgers' databases in this folder, and reuse them "
        "(default: a temporary folder)",
    )
    parser.add_argument(
        "--engines",
        nargs="+",
        choices=ENGINES,
        default=list(ENGINES),
        help="the engines run (both: compared); dask alone where the pandas path's one "
        "process cannot hold the ledger",
    )
    args = parser.parse_args()
    sizes = sorted(args.sizes or [max(1, args.invoices // 10), args.invoices])

    points: dict[str, list[tuple[int, float]]] = {engine: [] for engine in args.engines}
    last: dict[str, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = str(args.store or tmp)
        Path(store).mkdir(parents=True, exist_ok=True)
        for size in sizes:
            started = time.perf_counter()
            url, n = in_child(simulated, size, args.seed, store)
            print(
                f"{n:,} invoices simulated and saved in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
            last = measured(args.engines, url, args.workers, Path(tmp) / f"x-{size}")
            for engine, run in last.items():
                points[engine].append((n, run.seconds))
    if len(sizes) > 1:
        for engine, figures in points.items():
            k = exponent(figures[-2], figures[-1])
            print(
                f"{engine}: time grows as invoices^{k:.2f} from {figures[-2][0]:,} to "
                f"{figures[-1][0]:,} invoices"
            )
    print(last_line(last))


ENGINES = ("pandas", "dask")


def measured(engines: list[str], url: str, workers: int, stem: Path) -> dict[str, Run]:
    """Each of ``engines`` run in a fresh process on the ledger in the database at ``url``,
    its figures printed; both outputs compared when both ran."""
    runs, outputs = {}, {}
    for engine in engines:
        outputs[engine] = stem.with_name(f"{stem.name}-{engine}.parquet")
        if engine == "pandas":
            runs[engine] = in_child(run_pandas, url, str(outputs[engine]))
        else:
            runs[engine] = in_child(run_dask, url, workers, str(outputs[engine]))
        run = runs[engine]
        peaks = ", ".join(f"{k} {v:,.0f} MB" for k, v in run.peak_mb.items())
        read = "" if run.read_seconds is None else f" (read {run.read_seconds:.2f} s)"
        print(
            f"  {engine:<6} {run.seconds:7.2f} s{read}  cpu {run.cpu_seconds:6.2f} s  peak {peaks}",
            flush=True,
        )
    if len(runs) == len(ENGINES):
        same = digest(outputs["pandas"]) == digest(outputs["dask"])
        print(
            f"  ratio  {runs['dask'].seconds / runs['pandas'].seconds:.2f} "
            f"(target <= {TARGET_RATIO}); same output: {'yes' if same else 'NO'}",
            flush=True,
        )
    return runs


def last_line(runs: dict[str, Run]) -> str:
    """The machine-readable line of the largest size (``nan`` for an engine not run)."""
    pandas_s = runs["pandas"].seconds if "pandas" in runs else math.nan
    dask_s = runs["dask"].seconds if "dask" in runs else math.nan
    peak = max(max(run.peak_mb.values()) for run in runs.values())
    ratio = dask_s / pandas_s
    return f"pandas_s={pandas_s:.2f} dask_s={dask_s:.2f} ratio={ratio:.2f} peak_mb={peak:.0f}"


if __name__ == "__main__":
    main()
