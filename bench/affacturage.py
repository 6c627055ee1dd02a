"""Benchmark affacturage: the plan against selling nothing and selling everything, month by month.

Run: ``.venv/bin/python -m bench.affacturage``. Simulates a ledger, trains the
payment-time model on its first months, then on the 1st of every later month asks for a
share of the open receivables by the 15th at 90 %, and replays three choices against what
the simulated clients really paid by the 15th: sell nothing, sell every eligible invoice
(not yet due, not disputed), or sell the plan's (:func:`serving.affacturage.plan_factoring`).
A choice meets the need when the factor's net advances plus the invoices really paid by
the 15th reach it. Prints, per choice, the share of months the need was met (the plan
aims at 90 %), the cost per month and the cost as a share of selling everything. The
last line is machine-readable: ``months=<int> plan_met=<float> nothing_met=<float>
everything_met=<float> plan_cost_share=<float>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from decimal import Decimal

import numpy as np
import pandas as pd

from features.pipeline import FeatureBuilder
from serving.affacturage import CashNeed, FactorOffer, eligible, factoring_costs, plan_factoring
from serving.forecast import CLIENT_RHO
from serving.services.affacturage import collection_ratio, waiting_figures
from simulator import SimulationConfig, simulate
from training.dataset import ledger_end, out_of_time_split
from training.models import training_targets
from training.payment_time import PaymentTimeModel


def month_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[dt.date]:
    """The 1st of each month from ``first`` whose 15th is on or before ``last``."""
    days = pd.date_range(first, last, freq="MS")
    return [d.date() for d in days if d + pd.Timedelta(days=14) <= last]


def replay(
    figures: pd.DataFrame, paid_by: np.ndarray, sold: np.ndarray, costs: pd.DataFrame
) -> tuple[float, float]:
    """Cash really in by the date and the cost, selling the rows ``sold`` (a mask)."""
    cash = costs["net_cents"].to_numpy()[sold].sum()
    cash += figures["open_cents"].to_numpy()[~sold & paid_by].sum()
    return float(cash), float(costs["cost_cents"].to_numpy()[sold].sum())


def main() -> None:
    """Parse the arguments, simulate, train, replay each month, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=300, help="simulated clients")
    parser.add_argument("--months", type=int, default=30, help="length of the ledger")
    parser.add_argument("--train-months", type=int, default=18, help="months trained on")
    parser.add_argument("--share", type=float, default=0.35, help="need, share of the open")
    parser.add_argument("--confidence", type=float, default=0.9, help="confidence asked")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="trust the model's probabilities as they are (no collection ratio)",
    )
    args = parser.parse_args()

    started = time.perf_counter()
    ledger = simulate(
        SimulationConfig(n_clients=args.clients, n_months=args.months, seed=args.seed)
    ).ledger
    end = ledger_end(ledger)
    first = ledger.invoices["issue_date"].min()
    cutoff = (first + pd.DateOffset(months=args.train_months)).normalize()
    split = out_of_time_split(ledger, cutoff, end)
    _, durations = training_targets(split)
    model = PaymentTimeModel().fit(split.x_train, durations, split.train["issue_date"])
    features = FeatureBuilder().fit(ledger)
    print(
        f"ledger: {len(ledger.invoices):,} invoices, {len(ledger.clients):,} clients; "
        f"trained before {cutoff.date()} in {time.perf_counter() - started:.0f} s"
    )
    offer = FactorOffer(Decimal("0.8"), Decimal("5.5"), Decimal("10"))
    paid = ledger.invoices.set_index("invoice_id")["paid_date"]
    rows = []
    for as_of in month_starts(cutoff + pd.DateOffset(months=1), end):
        by = as_of + dt.timedelta(days=14)
        figures = waiting_figures(ledger, features, model, as_of, by)
        ratio = None if args.no_history else collection_ratio(ledger, features, model, as_of, 14)
        expected_raw = float(figures["open_cents"].to_numpy() @ figures["p_paid"].to_numpy())
        if ratio is not None:
            figures["p_paid"] = figures["p_paid"] * ratio
        need = CashNeed(
            Decimal(round(args.share * figures["open_cents"].sum() / 100)), by, args.confidence
        )
        tick = time.perf_counter()
        plan = plan_factoring(figures, offer, need, as_of, rho=CLIENT_RHO)
        seconds = time.perf_counter() - tick
        paid_by = (paid.reindex(figures["invoice_id"]) <= pd.Timestamp(by)).to_numpy()
        costs = factoring_costs(figures["open_cents"].to_numpy(), figures["days_financed"], offer)
        chosen = figures["invoice_id"].isin(
            plan.invoices.loc[plan.invoices["chosen"], "invoice_id"]
        )
        target = float(need.amount) * 100
        choices = {
            "nothing": np.zeros(len(figures), dtype=bool),
            "everything": eligible(figures, offer, as_of),
            "plan": chosen.to_numpy(),
        }
        row = {"as_of": as_of, "need": target / 100, "seconds": seconds}
        for name, sold in choices.items():
            cash, cost = replay(figures, paid_by, sold, costs)
            row |= {f"{name}_met": cash >= target, f"{name}_cost": cost / 100}
        row["plan_covered"] = plan.covered
        amounts = figures["open_cents"].to_numpy()
        row["expected"] = expected_raw / 100
        row["ratio"] = ratio
        row["collected"] = float(amounts[paid_by].sum()) / 100
        rows.append(row)
        print(
            f"{as_of}: need {target / 100:>12,.0f}, plan sells {int(chosen.sum()):>4} of "
            f"{int(choices['everything'].sum()):>4} eligible for {row['plan_cost']:>9,.0f} "
            f"(everything {row['everything_cost']:>9,.0f}); met: plan {row['plan_met']!s:5} "
            f"nothing {row['nothing_met']!s:5} everything {row['everything_met']!s:5} "
            f"({seconds:.2f} s); waiting: model {row['expected']:,.0f}, "
            f"collected {row['collected']:,.0f}, ratio {ratio or float('nan'):.3f}"
        )
    table = pd.DataFrame(rows)
    share = table["plan_cost"].sum() / max(table["everything_cost"].sum(), 1e-9)
    print()
    for name in ("nothing", "everything", "plan"):
        print(
            f"{name:>10}: need met {table[f'{name}_met'].mean():6.1%} of {len(table)} months, "
            f"cost {table[f'{name}_cost'].mean():>10,.0f} a month"
        )
    print(
        f"plan covers the need on paper in {table['plan_covered'].mean():.0%} of months; "
        f"costs {share:.1%} of selling everything; slowest plan {table['seconds'].max():.2f} s"
    )
    print(
        f"months={len(table)} plan_met={table['plan_met'].mean():.3f} "
        f"nothing_met={table['nothing_met'].mean():.3f} "
        f"everything_met={table['everything_met'].mean():.3f} plan_cost_share={share:.3f}"
    )


if __name__ == "__main__":
    main()
