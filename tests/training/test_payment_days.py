"""The days model (a client effect on where the payment date sits) and how the payment-time
model moves its curve toward it, by a weight learned out of time."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.dataset import Split, ledger_end, out_of_time_split
from training.evaluation import figures, from_distribution, outcomes
from training.model_files import EXTRA, MAIN, load, save
from training.models import fit_models
from training.payment_days import ClientDaysModel
from training.payment_time import (
    PaymentDistribution,
    PaymentTimeModel,
    days_weight,
    paid_days_model,
    shifted,
    weight_scores,
)
from training.targets import payment_durations

IBM = Path(__file__).resolve().parents[3] / "shared" / "data" / "ibm_ar"


def _habits(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Invoices of clients A (pays in 40 days), B (25) and C (60, two invoices only), an
    amount that says nothing, a day of noise."""
    rng = np.random.default_rng(seed)
    clients = np.array(["A"] * 60 + ["B"] * 60 + ["C"] * 2)
    days = np.select([clients == "A", clients == "B"], [40.0, 25.0], 60.0)
    x = pd.DataFrame({"inv_log_amount": rng.normal(8, 1, len(clients))})
    return x, days + rng.normal(0, 1, len(clients)), clients


def test_the_days_model_learns_each_clients_habit_and_shrinks_the_thin_ones() -> None:
    x, days, clients = _habits()
    model = ClientDaysModel().fit(x, days, clients)
    one = x.iloc[:1]
    a, b, c, new = (model.predict(one, np.array([who]))[0] for who in ("A", "B", "C", "Z"))
    assert a == pytest.approx(40, abs=0.6) and b == pytest.approx(25, abs=0.6)
    # C's two invoices say 60: it keeps about 2 / (2 + 1) of its distance from the rest.
    assert new < c < 60 - 5
    assert model.predict(one)[0] == new  # no client given: the population's
    assert set(model.client_ids_) == {"A", "B", "C"}


def test_a_curve_moves_by_its_days_and_never_before_the_issue_date() -> None:
    # One invoice issued 30 days before its due date (offset -30), paid at offsets 0-10.
    knots = np.array([[-31.0, 0.0, 10.0]] * 2)
    survival = np.array([[1.0, 1.0, 0.0]] * 2)
    dist = PaymentDistribution(knots, survival, np.array([100, 100]), np.array([-30, -30]))
    moved = shifted(dist, np.array([5.0, -50.0]))
    assert moved.knots[0].tolist() == [-26.0, 5.0, 15.0]
    assert moved.knots[1].tolist() == [-31.0, -30.0, -30.0]  # all paid on the issue day
    mean = dist.expected_offset()[0]
    assert moved.expected_offset()[0] == pytest.approx(mean + 5)
    assert moved.paid_by(np.array([-31.0, -31.0])).tolist() == [0.0, 0.0]
    assert moved.paid_by(np.array([-30.0, -30.0])).tolist() == [0.0, 1.0]


def test_the_weight_is_the_one_whose_moved_curves_score_best_held_back() -> None:
    # Curves paid evenly between days 20 and 40 after issue (due on day 30); the days model
    # says 40 for half the invoices and 20 for the others.
    n = 400
    start = np.full(n, -30)
    knots = np.tile([-31.0, -10.0, 10.0], (n, 1))
    dist = PaymentDistribution(knots, np.tile([1.0, 1.0, 0.0], (n, 1)), np.zeros(n), start)
    toward = np.tile([10.0, -10.0], n // 2)
    noise = np.tile(np.arange(-4.0, 5.0), n // 9 + 1)[:n]  # a spread of ±4 days
    inner = pd.DataFrame({"start": start, "offset": 3 * noise, "paid": np.ones(n, bool)})
    for truth, weight in ((40.0, 1.0), (35.0, 0.5), (30.0, 0.0)):
        actual = np.where(toward > 0, truth, 60 - truth) + noise  # days from issue
        held = inner.assign(offset=start + actual)
        scores = weight_scores(dist, toward, held, inner)
        assert days_weight(scores) == weight, (truth, scores)
        assert min(scores, key=lambda w: scores[w]["rmse_days"]) == weight
    assert weight_scores(dist, toward, inner.assign(paid=False), inner) == {}  # none paid
    assert days_weight({}) == 0.0
    flat = {w: {"integrated_brier": 0.1 - w / 1000, "rmse_days": 1.0} for w in (0.0, 0.5, 1.0)}
    assert days_weight(flat) == 0.0  # under 1 % better: not worth moving


def test_a_moved_model_reads_back_alike(split: Split, tmp_path: Path) -> None:
    durations = payment_durations(split.train, split.cutoff)
    who = split.train["client_id"].astype(str).to_numpy()
    model = PaymentTimeModel().fit(split.x_train, durations)
    model.days_model_ = paid_days_model(split.x_train, durations, who)
    model.days_weight_ = 0.5
    booster, files = save(model, tmp_path)
    root = tmp_path / "logged"
    (root / EXTRA).mkdir(parents=True)
    booster.save_model(str(root / MAIN))
    for file in files:
        shutil.copy(file, root / EXTRA / file.name)
    loaded = load(root)
    assert isinstance(loaded, PaymentTimeModel) and loaded.days_weight_ == 0.5
    test = split.test
    args = (split.x_test, test["issue_date"], test["due_date"])
    clients = test["client_id"].to_numpy()
    before, after = (
        model.distribution(*args, clients=clients),
        loaded.distribution(*args, clients=clients),
    )
    np.testing.assert_array_equal(before.expected_offset(), after.expected_offset())
    alone = PaymentTimeModel().fit(split.x_train, durations).distribution(*args)
    assert not np.allclose(before.expected_offset(), alone.expected_offset(), equal_nan=True)


@pytest.mark.skipif(not IBM.is_dir(), reason=f"IBM's public sample is not at {IBM}")
def test_on_ibms_sample_the_client_days_model_is_chosen_and_places_payments_better() -> None:
    from ledger.ibm import read_ibm_ar

    ledger = read_ibm_ar(IBM)
    split = out_of_time_split(ledger, pd.Timestamp("2013-07-01"), ledger_end(ledger))
    models = fit_models(split)
    assert models.time.days_weight_ > 0
    out = outcomes(split.test, split.end, payment_durations(split.train, split.cutoff))
    test = split.test
    args = (split.x_test, test["issue_date"], test["due_date"])
    moved = models.time.distribution(*args, clients=test["client_id"].to_numpy())
    durations = payment_durations(split.train, split.cutoff)
    alone = PaymentTimeModel().fit(split.x_train, durations, split.train["issue_date"])
    zero = np.zeros(len(test))
    rmse = figures(out, from_distribution(zero, moved))["rmse_days"]
    assert (
        rmse < 0.9 * figures(out, from_distribution(zero, alone.distribution(*args)))["rmse_days"]
    )
