"""The uplift estimator: a known effect recovered where the naive difference is wrong, the
effect table by profile, and the simulator's collector history it is benchmarked on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import Simulation
from simulator.collector_history import ACTIONS, CHANNEL_FACTORS, collector_history
from training.uplift import (
    COVARIATES,
    UpliftEstimator,
    UpliftTable,
    decision_rows,
    effects_by_profile,
    naive_differences,
    uplift_covariates,
)

N = 6_000


def confounded(seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Risk x ~ U(0, 1); the collector calls with probability 0.2 + 0.6 x (worst first);
    P(paid within 30 days) = 0.8 - 0.6 x + 0.10 if called: the call's effect is +0.10.

    By hand, E[x | called] = (0.1 + 0.2) / 0.5 = 0.6 and E[x | not] = (0.4 - 0.2) / 0.5
    = 0.4, so the naive difference is 0.10 - 0.6 × (0.6 - 0.4) = -0.02: the call looks
    useless (harmful) because it goes to the invoices that pay worst.
    """
    rng = np.random.default_rng(seed)
    x = rng.random(N)
    called = rng.random(N) < 0.2 + 0.6 * x
    paid = rng.random(N) < 0.8 - 0.6 * x + 0.10 * called
    action = pd.Series(np.where(called, "call", "none"))
    return pd.DataFrame({"risk": x}), action, pd.Series(paid)


def test_the_estimate_recovers_the_effect_the_naive_difference_misses() -> None:
    x, action, paid = confounded()
    naive = naive_differences(action, paid)["call"]
    assert naive == pytest.approx(-0.02, abs=0.03)  # hand-worked above
    model = UpliftEstimator(n_estimators=40, cv=2).fit(x, action, paid)
    effect = model.effects(x)["call"].mean()
    assert effect == pytest.approx(0.10, abs=0.035)
    assert abs(effect - 0.10) < abs(naive - 0.10) / 2


def test_a_history_where_every_invoice_is_chased_teaches_nothing() -> None:
    x, action, paid = confounded()
    with pytest.raises(ValueError, match="0 decisions without action"):
        UpliftEstimator().fit(x, action.replace("none", "email"), paid)


def test_effects_unknown_before_fit() -> None:
    with pytest.raises(RuntimeError, match="not fitted"):
        UpliftEstimator().effects(pd.DataFrame({"risk": [0.5]}))


def test_the_table_averages_row_effects_by_profile_and_reads_back(tmp_path: Path) -> None:
    effects = pd.DataFrame({"call": [0.1, 0.3, 0.05], "email": [0.0, 0.02, 0.01]})
    table = effects_by_profile(effects, pd.Series(["risky", "risky", "standard"]))
    assert table.effects == {
        "risky": {"call": pytest.approx(0.2), "email": pytest.approx(0.01)},
        "standard": {"call": 0.05, "email": 0.01},
    }
    table.save(tmp_path / "uplift.json")
    back = UpliftTable.load(tmp_path / "uplift.json")
    assert back == table
    assert back.effect("strategic", "call") == 0.05  # an unknown profile reads standard's
    assert back.effect("risky", "legal") == 0.0


@pytest.fixture(scope="module")
def history(simulation: Simulation) -> pd.DataFrame:
    return collector_history(simulation, seed=1)


def test_the_collector_chases_the_worst_first(
    history: pd.DataFrame, simulation: Simulation
) -> None:
    p_late = simulation.truth.set_index("invoice_id")["p_late"].reindex(history["invoice_id"])
    mean = p_late.groupby(history["action"].to_numpy()).mean()
    assert mean["legal"] > mean["formal_notice"] > mean["email"] > mean["none"]
    assert set(history["action"]) == set(ACTIONS)


def test_the_truth_of_an_action_matches_its_draws(history: pd.DataFrame) -> None:
    # Every action shortens the wait, so it raises P(paid within 30 days), strongest
    # (smallest factor) most; the drawn outcomes agree with the closed form on average.
    means = {a: history[f"true_p30_{a}"].mean() for a in ACTIONS}
    strongest = min(CHANNEL_FACTORS, key=CHANNEL_FACTORS.__getitem__)
    assert max(means, key=means.__getitem__) == strongest
    assert all(means[a] > means["none"] for a in CHANNEL_FACTORS)
    for action, part in history.groupby("action"):
        drawn, truth = part["paid_within_30"].mean(), part[f"true_p30_{action}"].mean()
        assert drawn == pytest.approx(
            truth, abs=4 * np.sqrt(truth * (1 - truth) / len(part)) + 0.01
        )


def test_covariates_only_know_the_past(history: pd.DataFrame, simulation: Simulation) -> None:
    cov = uplift_covariates(simulation.ledger, history)
    assert list(cov.columns[: len(COVARIATES)]) == list(COVARIATES)
    assert len(cov) == len(history)
    # The record counts only invoices paid before the action day.
    row = history.iloc[len(history) // 2]
    inv = simulation.ledger.invoices
    before = inv[
        (inv["client_id"] == row["client_id"])
        & (inv["doc_type"] == "invoice")
        & (inv["paid_date"] < row["action_date"])
    ]
    assert cov["paid_before"].iloc[len(history) // 2] == len(before)


def test_decisions_read_from_the_ledger_history() -> None:
    from ledger.contract import Ledger
    from tests.ledger.factories import dates

    inv = pd.DataFrame(
        {
            "invoice_id": ["A", "B", "C"],
            "client_id": ["K", "K", "K"],
            "issue_date": dates("2025-01-01", "2025-01-01", "2025-01-01"),
            "due_date": dates("2025-01-31", "2025-01-31", "2025-01-31"),
            "amount_cents": [100_000, 50_000, 20_000],
            "doc_type": "invoice",
            "paid_date": dates("2025-02-10", None, "2025-02-01"),
        }
    )
    actions = pd.DataFrame(
        {
            "invoice_id": ["A", "B"],
            "action_date": dates("2025-02-03", "2025-02-20"),
            "channel": ["call", "formal_notice"],
        }
    )
    ledger = Ledger(invoices=inv, actions=actions)
    rows = decision_rows(ledger, pd.Timestamp("2025-04-30")).set_index(["invoice_id", "age"])
    # Due 31 January: day 1 is 1 February, C was paid that day (not open after it).
    # A: called on the 3rd (within the week), paid on the 10th, within 30 days.
    assert rows.loc[("A", 1), "action"] == "call" and rows.loc[("A", 1), "paid_within_30"]
    # B: nothing in the week from 1 February; at 15 days (15 Feb) the formal notice of
    # the 20th; never paid. At 30 days (2 March) nothing in the week.
    assert rows.loc[("B", 1), "action"] == "none"
    assert rows.loc[("B", 15), "action"] == "formal_notice"
    assert not rows.loc[("B", 15), "paid_within_30"]
    assert rows.loc[("B", 30), "action"] == "none"
    assert ("C", 1) not in rows.index and ("A", 15) not in rows.index
