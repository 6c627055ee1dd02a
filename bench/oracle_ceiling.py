"""How far the late-payment model is from the truth, and how much of that gap any model must keep.

Run: ``.venv/bin/python bench/oracle_ceiling.py [--clients N] [--seed S]``. Simulates a
ledger (24 months), trains the models with the last six months out of time, and prints
the ROC AUC of three things on the test invoices whose outcome is known:

- the model;
- the truth (the simulator's own probabilities), which knows each client's latent base
  tendency to pay on time: the issue's reference, "the best achievable";
- the truth *without* that base tendency: it knows every other parameter (invoice
  effects, drift, calendar, dunning) but infers the client's tendency by Bayes' rule from
  the outcomes known at the invoice's issue date (invoices settled before it, on time or
  late, and unpaid ones already past due, late), starting from the spread of tendencies
  among clients of its kind. No model fed the ledger can do better on that tendency.

Each is given as a share of the truth's AUC, overall and by the number of settled
invoices the client had at issue. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

# Run as a script, this folder would shadow the project's `features` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

if TYPE_CHECKING:
    from simulator import Simulation

GRID = np.linspace(-4.5, 4.5, 91)
"""Base tendencies tried, in standard deviations of the clients' spread around their kind."""


def known_outcomes(
    issue: np.ndarray, due: np.ndarray, paid: np.ndarray, at: np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """Which of a client's invoices have a known outcome at ``at``, and whether it is late."""
    settled = ~np.isnat(paid) & (paid < at)
    overdue_open = ~settled & (due < at)
    late = np.where(settled, paid > due, True)
    return settled | overdue_open, late


def history_aware_p_late(sim: Simulation, test_ids: pd.Series) -> np.ndarray:
    """P(late) of the test invoices by the truth, the client's base tendency inferred."""
    from simulator import TENDENCY_SD, tendency_mean, true_p_late_shifted

    truth = sim.truth.reset_index(drop=True)
    clients = sim.ledger.clients.set_index("client_id")
    latent = sim.clients_truth.set_index("client_id")["on_time_logit"]
    mean = pd.Series(
        tendency_mean(clients["is_public_sector"], clients["x_segment"] == "key_account"),
        index=clients.index,
    )
    # Every invoice's P(late) at every candidate tendency of its client.
    candidate = mean.reindex(truth["client_id"]).to_numpy()[:, None] + TENDENCY_SD * GRID
    shift = candidate - latent.reindex(truth["client_id"]).to_numpy()[:, None]
    p_late = np.clip(true_p_late_shifted(truth, shift), 1e-9, 1 - 1e-9)
    paid = sim.ledger.invoices.set_index("invoice_id")["paid_date"]
    truth["paid"] = paid.reindex(truth["invoice_id"]).to_numpy()
    wanted = set(test_ids)
    found: dict[str, float] = {}
    prior = -0.5 * GRID**2
    for _, rows in truth.groupby("client_id", sort=False):
        at = rows.index.to_numpy()
        issue, due = rows["issue_date"].to_numpy(), rows["due_date"].to_numpy()
        paid_dates = rows["paid"].to_numpy(dtype="datetime64[ns]")
        for k in np.flatnonzero(rows["invoice_id"].isin(wanted).to_numpy()):
            known, late = known_outcomes(issue, due, paid_dates, issue[k])
            p = p_late[at[known]]
            log_posterior = prior + np.log(np.where(late[known, None], p, 1 - p)).sum(axis=0)
            weight = np.exp(log_posterior - log_posterior.max())
            found[rows["invoice_id"].iloc[k]] = float(weight @ p_late[at[k]] / weight.sum())
    return pd.Series(found).reindex(test_ids).to_numpy()


def main() -> None:
    """Parse the arguments, simulate, train, print the three AUCs and their ratios."""
    from sklearn.metrics import roc_auc_score

    from simulator import SimulationConfig, simulate
    from training.dataset import ledger_end, out_of_time_split
    from training.evaluation import HISTORY_BANDS, outcomes
    from training.models import fit_models
    from training.train import default_cutoff

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="clients simulated")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args()

    sim = simulate(SimulationConfig(n_clients=args.clients, n_months=24, seed=args.seed))
    end = ledger_end(sim.ledger)
    split = out_of_time_split(sim.ledger, default_cutoff(end), end)
    model = fit_models(split).late.predict_proba(split.x_test)[:, 1]
    truth = sim.truth.set_index("invoice_id")["p_late"].reindex(split.test["invoice_id"]).to_numpy()
    ceiling = history_aware_p_late(sim, split.test["invoice_id"])
    late = outcomes(split.test, split.end).late
    settled = split.x_test["hist_n_paid"].to_numpy()
    print(
        f"{args.clients:,} clients, seed {args.seed}: {len(split.test):,} test invoices from "
        f"{split.cutoff.date()}, {int((~np.isnan(late)).sum()):,} with a known outcome"
    )
    bands = [
        (f"{low}+" if high is None else f"{low}-{high - 1}", low, high)
        for low, high in HISTORY_BANDS
    ]
    summary = {}
    for name, low, high in [("all", 0, None), *bands]:
        rows = ~np.isnan(late) & (settled >= low) & (settled < (high or np.inf))
        best = roc_auc_score(late[rows], truth[rows])
        got = roc_auc_score(late[rows], model[rows]) / best
        reachable = roc_auc_score(late[rows], ceiling[rows]) / best
        summary[name] = (got, reachable)
        print(
            f"{name:>5} settled before issue ({int(rows.sum()):6,} invoices): truth AUC "
            f"{best:.4f}; model {got:.1%} of it; truth without the client's tendency "
            f"{reachable:.1%}"
        )
    got, reachable = summary["all"]
    print(f"model_ratio={got:.4f} tendency_unknown_ratio={reachable:.4f}")


if __name__ == "__main__":
    main()
