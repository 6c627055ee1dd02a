"""Benchmark training: the three models on a simulated ledger of about a million invoices.

Run: ``.venv/bin/python bench/train.py [--invoices N]``. Simulates the ledger (20,000
clients over 24 months for 1M; clients scale with N), builds the out-of-time split (the
features of every invoice at its issue date), then fits each model in a forked child
process and prints its wall time and the child's peak resident memory (which includes
the split it inherits from the parent), then the three at once as ``encours train`` fits
them (``training.models.fit_models``: a thread each). ``total_s`` is the split and the
three at once. The last line is machine-readable: ``split_s=<float> late_s=<float>
time_s=<float> onboarding_s=<float> together_s=<float> total_s=<float> peak_mb=<float>``,
then ``cpu_s=<float> load=<float>``: the children's CPU seconds (what
the wall time would be on one idle core) and the load average over the run (the machine
is shared: the wall time depends on it). With ``--lightgbm-dask`` the boosters whose
number of trees is chosen are fitted by lightgbm.dask on a LocalCluster started in each
child: its workers' CPU and memory are not in those figures.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the encours command sets it
# Run as a script, this folder would shadow the project's `features` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]


def _timed_child(work: Callable[[], object], queue: mp.Queue) -> None:  # type: ignore[type-arg]
    started, cpu = time.perf_counter(), time.process_time()
    work()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    queue.put((time.perf_counter() - started, usage.ru_maxrss / 1024, time.process_time() - cpu))


def run_in_child(work: Callable[[], object]) -> tuple[float, float, float]:
    """Seconds, peak MB and CPU seconds of ``work`` run in a forked child."""
    context = mp.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_timed_child, args=(work, queue))
    child.start()
    seconds, peak, cpu = queue.get()
    child.join()
    return float(seconds), float(peak), float(cpu)


def on_cluster(work: Callable[[], object]) -> Callable[[], object]:
    """``work`` with its boosters fitted by lightgbm.dask on a LocalCluster of its own."""

    def clustered() -> object:
        from training.booster_fit import boosters_on
        from training.cluster import dask_client

        with dask_client(None) as client, boosters_on(client):
            return work()

    return clustered


def main() -> None:
    """Parse the arguments, simulate, split, fit each model, print the figures."""
    import numpy as np
    import pandas as pd

    from simulator import SimulationConfig, simulate
    from training.dataset import ledger_end, out_of_time_split
    from training.late_choice import choose_late_model
    from training.models import OnboardingModel, late_rows, training_targets
    from training.payment_time import PaymentTimeModel

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000, help="about this many")
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument(
        "--lightgbm-dask",
        action="store_true",
        help="fit the boosters of a chosen size with lightgbm.dask on a 2-worker LocalCluster "
        "started in each child (as `encours train --engine dask --lightgbm-dask`; the "
        "cluster's start is counted)",
    )
    args = parser.parse_args()

    clients = max(20, round(20_000 * args.invoices / 1_000_000))
    started = time.perf_counter()
    sim = simulate(SimulationConfig(n_clients=clients, n_months=24, seed=args.seed))
    print(
        f"simulated {len(sim.ledger.invoices):,} invoices, {clients:,} clients in "
        f"{time.perf_counter() - started:.1f} s (not counted)"
    )
    end = ledger_end(sim.ledger)
    started = time.perf_counter()
    split_cpu = time.process_time()
    split = out_of_time_split(sim.ledger, end - pd.Timedelta(days=183), end)
    split_s, split_cpu = time.perf_counter() - started, time.process_time() - split_cpu
    print(
        f"split:      {len(split.train):,} train / {len(split.test):,} test invoices, "
        f"features at issue dates in {split_s:.1f} s"
    )
    y, durations = training_targets(split)
    order = split.train["issue_date"]

    def late() -> object:
        # The rolling-origin choice among the candidates, then the winner refitted: what
        # `encours train` runs. Each candidate's seconds are printed.
        choice = choose_late_model(late_rows(split, y))
        times = ", ".join(f"{k} {v:.1f} s" for k, v in choice.seconds.items())
        print(f"late model: {choice.name} chosen; {times}", flush=True)
        return choice.model

    def payment_time() -> object:  # as fit_models: the band and the client days model too
        model = PaymentTimeModel().fit(split.x_train, durations, order, split.train["client_id"])
        print(f"payment-time model: days weight {model.days_weight_}", flush=True)
        return model

    def onboarding() -> object:
        return OnboardingModel(split.onboarding_features).fit(split.x_train, y, order, durations)

    figures = {}
    cpu_s = split_cpu
    for name, work in (("late", late), ("time", payment_time), ("onboarding", onboarding)):
        seconds, peak, cpu = run_in_child(on_cluster(work) if args.lightgbm_dask else work)
        figures[name] = (seconds, peak)
        cpu_s += cpu
        print(
            f"{name:<11} fit in {seconds:6.1f} s ({cpu:.1f} CPU s), peak {peak:,.0f} MB resident",
            flush=True,
        )
    from training.models import fit_models

    together, together_peak, together_cpu = run_in_child(
        on_cluster(lambda: fit_models(split)) if args.lightgbm_dask else lambda: fit_models(split)
    )
    cpu_s += together_cpu
    print(
        f"all three    at once (fit_models, as `encours train`) in {together:6.1f} s "
        f"({together_cpu:.1f} CPU s), peak {together_peak:,.0f} MB resident "
        f"(one by one: {sum(s for s, _ in figures.values()):.1f} s)",
        flush=True,
    )
    total = split_s + together
    peak_mb = float(np.max([p for _, p in figures.values()] + [together_peak]))
    print(
        f"total:      {total:.1f} s for the split and the three models [targets: < 180 s "
        f"{'ok' if total < 180 else 'MISSED'}, <= 90 s {'ok' if total <= 90 else 'MISSED'}]"
    )
    print(
        f"split_s={split_s:.2f} late_s={figures['late'][0]:.2f} time_s={figures['time'][0]:.2f} "
        f"onboarding_s={figures['onboarding'][0]:.2f} together_s={together:.2f} "
        f"total_s={total:.2f} peak_mb={peak_mb:.1f}"
    )
    print(f"cpu_s={cpu_s:.2f} load={os.getloadavg()[1]:.2f}")


if __name__ == "__main__":
    main()
