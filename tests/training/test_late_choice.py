"""The rolling-origin choice of the late-payment model, and its candidates as served.

The chooser is tested on synthetic frames whose truth is known: where only additive
effects exist it must pick the linear model, where an interaction drives lateness the
booster. Every candidate saves as data and reads back predicting alike.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit
from sklearn.metrics import log_loss

from training.client_effect import ClientEffectModel
from training.late_choice import (
    BASELINE,
    BlendModel,
    CalibratedLateModel,
    Rows,
    Validated,
    choose_late_model,
    late_probability,
    origin_windows,
)
from training.late_payment import CenteredIsotonic, LatePaymentModel, SigmoidCalibrator
from training.linear_late import LinearLateModel
from training.model_files import EXTRA, MAIN, load, save


def _rows(n: int, kind: str, seed: int = 11) -> Rows:
    """``n`` invoices, one a day, of 40 clients; lateness from ``kind``'s truth."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    noise = rng.normal(size=(n, 3))
    if kind == "linear":
        log_odds = 1.2 * a - 0.8 * b
    elif kind == "interaction":  # late when a and b agree in sign: no additive shape sees it
        log_odds = 3.0 * np.sign(a * b) * (np.abs(a * b) > 0.2)
    else:  # "noise": nothing to learn
        log_odds = np.zeros(n)
    y = (rng.uniform(size=n) < expit(log_odds)).astype(int)
    x = pd.DataFrame({"a": a, "b": b, **{f"n{k}": noise[:, k] for k in range(3)}})
    issue = np.datetime64("2020-01-01") + np.arange(n).astype("timedelta64[D]")
    clients = np.array([f"c{k % 40}" for k in range(n)])
    return Rows(x, y, issue, issue + np.timedelta64(30, "D"), clients)


def test_the_origins_cut_the_last_share_of_the_invoices_in_windows() -> None:
    issue = np.datetime64("2020-01-01") + np.arange(100).astype("timedelta64[D]")
    windows = origin_windows(issue, origins=3)
    # 60 %, 73.3 %, 86.7 % of 100 invoices, one a day: days 60, 73 and 86; then the day after
    assert [str(w) for w in windows] == ["2020-03-01", "2020-03-14", "2020-03-27", "2020-04-10"]


def test_the_linear_model_is_chosen_where_only_additive_effects_exist() -> None:
    choice = choose_late_model(_rows(3000, "linear"), names=("booster", "linear"))
    assert choice.name == "linear"
    assert isinstance(choice.model, LinearLateModel)
    assert choice.validation["linear"]["log_loss"] < choice.validation["booster"]["log_loss"]
    assert len(choice.origins) == 3


def test_the_booster_is_chosen_where_an_interaction_drives_lateness() -> None:
    choice = choose_late_model(_rows(3000, "interaction"), names=("booster", "linear"))
    assert choice.name == "booster"
    assert isinstance(choice.model, LatePaymentModel)


def test_the_late_rate_is_served_where_nothing_can_be_learned() -> None:
    choice = choose_late_model(_rows(600, "noise"), names=("linear",))
    assert choice.name == BASELINE
    assert "too small" in choice.reason
    p = late_probability(choice.model, _rows(600, "noise").x)
    np.testing.assert_allclose(p, _rows(600, "noise").y.mean(), atol=1e-6)


def test_the_linear_contributions_are_exact_shap_values() -> None:
    rows = _rows(800, "linear")
    model = LinearLateModel().fit(rows.x, pd.Series(rows.y), pd.Series(rows.issue))
    contributions = model.contributions(rows.x)
    p = late_probability(model, rows.x)
    np.testing.assert_allclose(contributions.sum(axis=1), logit(p), atol=1e-9)
    # Each feature's contribution averages zero over the training rows (SHAP's baseline).
    np.testing.assert_allclose(contributions[:, :-1].mean(axis=0), 0.0, atol=1e-9)


def test_a_registered_direction_keeps_the_linear_model_monotone() -> None:
    rows = _rows(800, "linear")
    # hist_share_late is registered as raising the risk; here the truth says the opposite.
    x = rows.x.rename(columns={"b": "hist_share_late"})
    model = LinearLateModel().fit(x, pd.Series(rows.y), pd.Series(rows.issue))
    grid = x.iloc[[0] * 50].copy()
    grid["hist_share_late"] = np.linspace(-3, 3, 50)
    assert np.all(np.diff(late_probability(model, grid)) >= -1e-12)


def test_the_client_effect_ranks_a_client_late_more_often_higher() -> None:
    rows = _rows(2000, "noise")
    y = np.where(rows.clients == "c3", 1, rows.y)  # client c3 is always late
    model = ClientEffectModel().fit(
        rows.x, pd.Series(y), pd.Series(rows.issue), pd.Series(rows.clients)
    )
    x = rows.x.iloc[:2]
    p = late_probability(model, x, np.array(["c3", "c4"]))
    assert p[0] > 0.9 > 0.7 > p[1]
    unseen = late_probability(model, x, np.array(["new", "new"]))
    np.testing.assert_allclose(unseen, late_probability(model, x))


def _candidates() -> list[object]:
    rows = _rows(1500, "linear")
    y, order = pd.Series(rows.y), pd.Series(rows.issue)
    x = rows.x.assign(sector=pd.Categorical(np.where(rows.y[::-1] > 0, "retail", "public")))
    linear = LinearLateModel().fit(x, y, order)
    effect = ClientEffectModel().fit(x, y, order, pd.Series(rows.clients))
    blend = BlendModel(LatePaymentModel().fit(x, y, order), linear)
    raw = late_probability(blend, x)
    return [
        linear,
        effect,
        blend,
        CalibratedLateModel(effect, SigmoidCalibrator().fit(raw, rows.y)),
        CalibratedLateModel(blend, CenteredIsotonic().fit(raw, rows.y)),
    ]


def _name(model: object) -> str:
    inner = getattr(model, "model", None)
    return type(model).__name__ + (f"_{type(inner).__name__}" if inner is not None else "")


@pytest.mark.parametrize("model", _candidates(), ids=_name)
def test_a_candidate_saved_as_data_reads_back_predicting_alike(
    model: object, tmp_path: Path
) -> None:
    rows = _rows(300, "linear", seed=5)
    x = rows.x.assign(sector=pd.Categorical(np.where(rows.y > 0, "public", "unknown")))
    main, files = save(model, tmp_path)  # type: ignore[arg-type]
    (tmp_path / EXTRA).mkdir()
    for f in files:
        f.rename(tmp_path / EXTRA / f.name)
    main.save_model(str(tmp_path / MAIN))
    assert "pickle" not in json.loads((tmp_path / EXTRA / "model.json").read_text())
    again = load(tmp_path)
    assert type(again) is type(model)
    clients = np.where(np.arange(len(x)) % 2, rows.clients, "unseen")
    np.testing.assert_allclose(
        late_probability(again, x, clients), late_probability(model, x, clients), atol=1e-12
    )
    matrix = again.booster_input.matrix(x)  # type: ignore[attr-defined]
    np.testing.assert_allclose(
        again.contributions_of(matrix),  # type: ignore[attr-defined]
        model.contributions_of(matrix),  # type: ignore[attr-defined]
        atol=1e-12,
    )


def test_a_window_is_recalibrated_by_the_other_windows_only() -> None:
    rng = np.random.default_rng(3)
    n = 6000
    true = expit(rng.normal(size=n))
    y = (rng.uniform(size=n) < true).astype(int)
    window = np.repeat([0, 1, 2], n // 3)
    biased = expit(logit(true) + 1.0)  # a candidate one log-odd too pessimistic
    found = Validated({"linear": biased}, y, window, {}, [])
    fixed = found.calibrated("linear")
    assert log_loss(y, fixed) < log_loss(y, biased) - 0.02
    assert abs(fixed.mean() - y.mean()) < 0.02 < abs(biased.mean() - y.mean())
    # Window 0's outcomes do not reach its own calibrated predictions.
    flipped = Validated({"linear": biased}, np.where(window == 0, 1 - y, y), window, {}, [])
    np.testing.assert_array_equal(flipped.calibrated("linear")[window == 0], fixed[window == 0])
    assert not np.allclose(flipped.calibrated("linear")[window == 1], fixed[window == 1])


def test_the_choice_weighs_each_candidate_recalibrated_and_serves_the_winner_so() -> None:
    choice = choose_late_model(_rows(3000, "linear"), names=("linear",), recalibrate=("linear",))
    assert {"linear", "linear_calibrated", BASELINE} == set(choice.validation)
    assert isinstance(choice.model, CalibratedLateModel) == (choice.name == "linear_calibrated")
