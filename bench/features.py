"""Benchmark the feature pipeline: every invoice of a 1,000,000-invoice ledger, and online.

Run: ``.venv/bin/python bench/features.py --invoices 1000000``. Simulates a ledger of
about N invoices (20,000 clients over 24 months per million invoices; the simulation is
not timed against the targets), then, in a fresh child process that loads the ledger:

- the full pipeline, ``FeatureBuilder().fit(ledger)`` then ``transform`` of every invoice
  at its issue date (all families), timed and its peak resident memory measured;
- online features: one open invoice at a time at the ledger's end date, with the builder
  fitted once, many repetitions (median and p95).

Then the brute-force oracle of the tests (``tests/features/oracle.py``) and the pipeline
on the same small ledger, in rows per second. Targets on a 2-core machine: the full
pipeline in under 15 s and 4 GB for a million invoices, online under 5 ms. The last line
is machine-readable: ``rows_per_s=<float> peak_mb=<float>`` (the full pipeline).
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import pickle
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ledger.contract import Ledger
    from simulator import Simulation

# Run as a script, this file's folder heads sys.path and its name shadows the ``features``
# package: drop the folder (the project is installed), and import the project's modules
# inside the functions, once it is gone.
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]

CLIENTS_PER_MILLION = 20_000
MONTHS = 24
TARGET_SECONDS = 15.0
TARGET_PEAK_MB = 4096.0
TARGET_ONLINE_MS = 5.0
ONLINE_INVOICES = 200  # distinct open invoices the online repetitions cycle through
WARMUP = 20


def clients_for(invoices: int) -> int:
    """Clients that give about ``invoices`` invoices over :data:`MONTHS` months."""
    return max(1, round(CLIENTS_PER_MILLION * invoices / 1_000_000))


def simulate_ledger(invoices: int, seed: int) -> Simulation:
    """A simulated ledger of about ``invoices`` invoices."""
    from simulator import SimulationConfig, simulate

    return simulate(SimulationConfig(n_clients=clients_for(invoices), n_months=MONTHS, seed=seed))


def invoice_rows(ledger: Ledger) -> pd.DataFrame:
    """The invoices proper (no credit notes): the rows that get features."""
    return ledger.invoices[ledger.invoices["doc_type"] == "invoice"]


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux; NaN elsewhere)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return float("nan")
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) / 1024


def percentile_ms(seconds: list[float], q: float) -> float:
    """The ``q``-th percentile of durations in seconds, in milliseconds."""
    return float(np.percentile(np.asarray(seconds) * 1000, q))


@dataclass
class PipelineRun:
    """What the child process measured."""

    rows: int
    columns: int
    load_s: float
    loaded_mb: float
    fit_s: float
    transform_s: float
    cpu_s: float
    online_s: list[float]

    @property
    def seconds(self) -> float:
        """The full pipeline: fit and transform."""
        return self.fit_s + self.transform_s


def run_pipeline(path: str, end: pd.Timestamp, online_reps: int, seed: int) -> PipelineRun:
    """In a fresh process: load the ledger, build every invoice's features, then online.

    Runs in a child process so that its peak resident memory is the pipeline's (plus the
    loaded ledger and the libraries), not the simulator's.
    """
    from features.pipeline import FeatureBuilder

    started = time.perf_counter()
    with open(path, "rb") as file:
        ledger: Ledger = pickle.load(file)
    load_s = time.perf_counter() - started
    loaded_mb = rss_mb()
    invoices = invoice_rows(ledger)

    cpu, started = time.process_time(), time.perf_counter()
    builder = FeatureBuilder().fit(ledger)
    fitted = time.perf_counter()
    features = builder.transform(invoices, invoices["issue_date"])
    done = time.perf_counter()
    cpu_s = time.process_time() - cpu
    rows, columns = features.shape
    del features

    # Online: invoices open at the end of the window, one per call, as serving asks.
    open_at_end = invoices[(invoices["issue_date"] < end) & ~(invoices["paid_date"] < end)]
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(open_at_end), min(ONLINE_INVOICES, len(open_at_end)), replace=False)
    singles = [open_at_end.iloc[[i]] for i in picks]
    online_s: list[float] = []
    for k in range(WARMUP + online_reps if singles else 0):
        one = singles[k % len(singles)]
        call = time.perf_counter()
        builder.transform(one, end)
        if k >= WARMUP:
            online_s.append(time.perf_counter() - call)
    return PipelineRun(
        rows=rows,
        columns=columns,
        load_s=load_s,
        loaded_mb=loaded_mb,
        fit_s=fitted - started,
        transform_s=done - fitted,
        cpu_s=cpu_s,
        online_s=online_s,
    )


def in_child(ledger: Ledger, end: pd.Timestamp, online_reps: int, seed: int) -> PipelineRun:
    """:func:`run_pipeline` in a spawned process, the ledger handed over as a pickle."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ledger.pickle"
        with path.open("wb") as file:
            pickle.dump(ledger, file, protocol=pickle.HIGHEST_PROTOCOL)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(run_pipeline, str(path), end, online_reps, seed).result()


def compare_with_oracle(invoices: int, seed: int) -> tuple[int, float, float]:
    """Rows, then the oracle's and the pipeline's rows per second, on a small ledger."""
    from features.pipeline import FeatureBuilder

    # The oracle lives with the tests, which are not installed: load it from the repository.
    sys.path.insert(0, str(HERE.parent))
    oracle_features = importlib.import_module("tests.features.oracle").oracle_features

    ledger = simulate_ledger(invoices, seed).ledger
    rows = invoice_rows(ledger)
    started = time.perf_counter()
    oracle_features(ledger, rows, rows["issue_date"])
    oracle_s = time.perf_counter() - started
    started = time.perf_counter()
    FeatureBuilder().fit(ledger).transform(rows, rows["issue_date"])
    pipeline_s = time.perf_counter() - started
    return len(rows), len(rows) / oracle_s, len(rows) / pipeline_s


def verdict(ok: bool) -> str:
    """A mark for a target met or missed."""
    return "ok" if ok else "MISSED"


def main() -> None:
    """Parse the arguments, simulate, measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="target invoice count")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument("--online-reps", type=int, default=1_000, help="online calls timed")
    parser.add_argument(
        "--oracle-invoices", type=int, default=300, help="invoices of the oracle's small ledger"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    sim = simulate_ledger(args.invoices, args.seed)
    simulate_s = time.perf_counter() - started
    ledger = sim.ledger
    n_invoices = len(invoice_rows(ledger))
    print(
        f"ledger:       {n_invoices:,} invoices (+ {len(ledger.invoices) - n_invoices:,} "
        f"credit notes), {len(ledger.clients):,} clients over {MONTHS} months, "
        f"{len(ledger.payments):,} payments, {len(ledger.actions):,} actions (seed {args.seed})"
    )
    print(f"simulated in  {simulate_s:.1f} s (not counted)")

    end = sim.end
    run = in_child(ledger, end, args.online_reps, args.seed)
    # The child has exited and been waited for: its peak resident set size (KiB on Linux).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    del sim, ledger

    print(f"child process: ledger loaded in {run.load_s:.1f} s, {run.loaded_mb:,.0f} MB resident")
    print(
        f"full pipeline: {run.rows:,} rows x {run.columns} features in {run.seconds:.2f} s "
        f"(fit {run.fit_s:.2f} s + transform {run.transform_s:.2f} s; {run.cpu_s:.2f} s CPU) "
        f"= {run.rows / run.seconds:,.0f} rows/s   "
        f"[target < {TARGET_SECONDS:.0f} s: {verdict(run.seconds < TARGET_SECONDS)}]"
    )
    print(
        f"peak memory:   {peak_mb:,.0f} MB resident in the child (Python and libraries, the "
        f"ledger, fit, transform and the feature frame)   "
        f"[target < {TARGET_PEAK_MB:.0f} MB: {verdict(peak_mb < TARGET_PEAK_MB)}]"
    )
    if run.online_s:
        median = percentile_ms(run.online_s, 50)
        print(
            f"online:        one open invoice per call at {end.date()}, fitted once, "
            f"{len(run.online_s):,} calls: median {median:.2f} ms, "
            f"p95 {percentile_ms(run.online_s, 95):.2f} ms   "
            f"[target median < {TARGET_ONLINE_MS:.0f} ms: {verdict(median < TARGET_ONLINE_MS)}]"
        )

    rows, oracle_rate, pipeline_rate = compare_with_oracle(args.oracle_invoices, args.seed)
    print(
        f"small ledger:  {rows:,} invoices at their issue dates: oracle {oracle_rate:,.1f} "
        f"rows/s, pipeline (fit + transform) {pipeline_rate:,.0f} rows/s "
        f"({pipeline_rate / oracle_rate:,.0f}x)"
    )
    print(f"rows_per_s={run.rows / run.seconds:.1f} peak_mb={peak_mb:.1f}")


if __name__ == "__main__":
    main()
