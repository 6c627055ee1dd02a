"""Benchmark the uplift of relances: estimated against the simulator's truth, and the cash
that no action, the rule scenarios and the recommended actions bring per collector hour.

Run: ``.venv/bin/python -m bench.uplift``. Simulates a ledger, lets a collector act on it
the confounded way (:func:`simulator.collector_history.collector_history`: the worst
payers chased hardest), and estimates each action's effect on P(paid within 30 days)
from the action history (doubly robust, :class:`training.uplift.UpliftEstimator`) on the
actions of the first 70 % of the window. Prints per profile and action the naive
difference, the estimate and the truth, and the estimate's mean absolute error.

Then replays, on the actions of the last 30 % of the window (same invoices, same ages of
the debt), four policies and scores each with the truth (expected cash, not one draw):
no action, the rule scenario's step at that age (``serving/scenarios.yaml``), the action
of highest estimated gain per collector minute (:func:`serving.uplift_actions.best_actions`),
the same within the rule's hours, and both with the true effects (the ceiling). The last
line is machine-readable:
``rows=<int> mae_dr=<float> mae_naive=<float> none_cash=<float> rule_per_hour=<float>
recommended_per_hour=<float> recommended_rule_hours_per_hour=<float> oracle_per_hour=<float>``
(extra cash over no action per collector hour, in euros). "Rule's hours": the
recommended actions taken in order of gain per minute until the rule scenarios' hours
are spent, as a collector working down the worklist would.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from serving.scenarios import load_scenarios
from serving.uplift_actions import ACTION_MINUTES, best_actions
from simulator import SimulationConfig, simulate
from simulator.collector_history import ACTIONS, NO_ACTION, collector_history
from training.uplift import (
    COVARIATES,
    UpliftEstimator,
    UpliftTable,
    effects_by_profile,
    naive_differences,
    uplift_covariates,
)


def rule_actions(profiles: np.ndarray, ages: np.ndarray) -> np.ndarray:
    """The rule scenario's step in force at each age of the debt, for each profile."""
    scenarios = load_scenarios()
    out = np.full(len(profiles), NO_ACTION, dtype=object)
    for i, (profile, age) in enumerate(zip(profiles, ages, strict=True)):
        due = [s for s in scenarios.steps(str(profile)) if s.day <= age]
        if due:
            out[i] = str(due[-1].action)
    return out


def true_table(history: pd.DataFrame, profiles: pd.Series) -> UpliftTable:
    """The simulator's true effects, averaged per profile over the same rows."""
    none = history[f"true_p30_{NO_ACTION}"]
    effects = pd.DataFrame(
        {a: history[f"true_p30_{a}"] - none for a in ACTIONS if a != NO_ACTION},
        index=history.index,
    )
    return effects_by_profile(effects, profiles)


def naive_table(history: pd.DataFrame, profiles: pd.Series) -> UpliftTable:
    """The naive differences of outcome rates, per profile."""
    effects = {
        str(p): naive_differences(part["action"], part["paid_within_30"])
        for p, part in history.groupby(profiles.to_numpy())
    }
    return UpliftTable(effects=effects)


def print_errors(truth: UpliftTable, dr: UpliftTable, naive: UpliftTable) -> tuple[float, float]:
    """Prints the effects per profile and action; returns the mean absolute errors."""
    errors: dict[str, list[float]] = {"dr": [], "naive": []}
    print(f"{'profile':<14}{'action':<15}{'truth':>8}{'DR':>8}{'naive':>8}")
    for profile in sorted(truth.effects):
        for action in truth.effects[profile]:
            t, d = truth.effect(profile, action), dr.effect(profile, action)
            n = naive.effect(profile, action)
            errors["dr"].append(abs(d - t))
            errors["naive"].append(abs(n - t))
            print(f"{profile:<14}{action:<15}{t:>+8.3f}{d:>+8.3f}{n:>+8.3f}")
    mae_dr, mae_naive = float(np.mean(errors["dr"])), float(np.mean(errors["naive"]))
    print(f"mean absolute error on P(paid within 30 days): DR {mae_dr:.3f}, naive {mae_naive:.3f}")
    return mae_dr, mae_naive


def replay(test: pd.DataFrame, amounts: np.ndarray, actions: np.ndarray) -> tuple[float, float]:
    """Expected cash paid within 30 days (euros) and collector hours of a policy."""
    p = np.choose(
        pd.Index(ACTIONS).get_indexer(pd.Index(actions)),
        [test[f"true_p30_{a}"].to_numpy() for a in ACTIONS],
    )
    minutes = np.array([ACTION_MINUTES.get(str(a), 0.0) for a in actions])
    return float((amounts * p).sum() / 100), float(minutes.sum() / 60)


BUDGETED = "recommended, rule's hours"


def within_hours(actions: np.ndarray, per_minute: np.ndarray, hours: float) -> np.ndarray:
    """``actions`` taken in order of gain per minute until ``hours`` are spent; none after:
    the collector working down the worklist sorted by ``uplift_gain_per_minute``."""
    order = np.argsort(-per_minute, kind="stable")
    minutes = np.array([ACTION_MINUTES.get(str(a), 0.0) for a in actions])
    spent = np.cumsum(minutes[order])
    out = np.full(len(actions), NO_ACTION, dtype=object)
    keep = order[spent <= hours * 60]
    out[keep] = actions[keep]
    return out


def main() -> None:
    """Parse the arguments, simulate, estimate, replay, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="simulated clients")
    parser.add_argument("--months", type=int, default=24, help="length of the ledger")
    parser.add_argument("--seed", type=int, default=11, help="random seed")
    parser.add_argument("--table", type=Path, help="write the estimated table (JSON) here")
    args = parser.parse_args()
    start = time.perf_counter()
    sim = simulate(SimulationConfig(n_clients=args.clients, n_months=args.months, seed=args.seed))
    history = collector_history(sim, seed=args.seed)
    cov = uplift_covariates(sim.ledger, history)
    cut = history["action_date"].quantile(0.7)
    fit_rows = (history["action_date"] <= cut).to_numpy()
    print(
        f"{len(sim.truth):,} invoices, {len(history):,} collector decisions "
        f"({int(fit_rows.sum()):,} to learn from, {int((~fit_rows).sum()):,} replayed)"
    )
    shares = history["action"].value_counts(normalize=True).round(3).to_dict()
    print(f"actions taken: {shares}")
    x = cov[list(COVARIATES)]
    model = UpliftEstimator().fit(
        x[fit_rows], history["action"][fit_rows], history["paid_within_30"][fit_rows]
    )
    profiles = cov["profile"]
    learn, prof_learn = history[fit_rows], profiles[fit_rows]
    dr = effects_by_profile(model.effects(x[fit_rows]), prof_learn)
    if args.table:
        dr.save(args.table)  # for ENCOURS_UPLIFT_FILE
    mae_dr, mae_naive = print_errors(
        true_table(learn, prof_learn), dr, naive_table(learn, prof_learn)
    )
    test, prof_test = history[~fit_rows], profiles[~fit_rows].to_numpy()
    amounts = sim.ledger.invoices.set_index("invoice_id")["amount_cents"]
    cents = amounts.reindex(test["invoice_id"]).to_numpy(np.float64)
    truth_test = true_table(test, pd.Series(prof_test))
    rule = rule_actions(prof_test, test["age"].to_numpy())
    best, ceiling = best_actions(dr, prof_test, cents), best_actions(truth_test, prof_test, cents)
    rule_hours = replay(test, cents, rule)[1]
    policies = {
        "no action": np.full(len(test), NO_ACTION, dtype=object),
        "rule scenarios": rule,
        "recommended": best.action,
        BUDGETED: within_hours(best.action, best.gain_per_minute_cents, rule_hours),
        "true effects": ceiling.action,
        "true, rule's hours": within_hours(
            ceiling.action, ceiling.gain_per_minute_cents, rule_hours
        ),
    }
    base, _ = replay(test, cents, policies["no action"])
    per_hour: dict[str, float] = {}
    for name, chosen in policies.items():
        chosen = np.where(pd.isna(chosen), NO_ACTION, chosen)
        cash, hours = replay(test, cents, chosen)
        per_hour[name] = (cash - base) / hours if hours else 0.0
        print(
            f"{name:>26}: cash within 30 days {cash:>14,.0f} €, collector hours {hours:>8,.1f}, "
            f"cash per hour {cash / hours if hours else float('nan'):>10,.0f} €, "
            f"extra over no action per hour {per_hour[name]:>8,.0f} €"
        )
    print(f"{time.perf_counter() - start:.1f} s")
    print(
        f"rows={len(history)} mae_dr={mae_dr:.4f} mae_naive={mae_naive:.4f} none_cash={base:.0f} "
        f"rule_per_hour={per_hour['rule scenarios']:.1f} "
        f"recommended_per_hour={per_hour['recommended']:.1f} "
        f"recommended_rule_hours_per_hour={per_hour[BUDGETED]:.1f} "
        f"oracle_per_hour={per_hour['true effects']:.1f}"
    )


if __name__ == "__main__":
    main()
