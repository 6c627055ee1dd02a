"""Reasons: LightGBM's native TreeSHAP equals the shap package's, named from the registry."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap

from serving.explanations import top_reasons
from simulator import SimulationConfig, simulate
from training.dataset import ledger_end, out_of_time_split
from training.late_payment import LatePaymentModel
from training.targets import late_outcome


@pytest.fixture(scope="module")
def fitted() -> tuple[LatePaymentModel, pd.DataFrame, dict]:
    sim = simulate(SimulationConfig(n_clients=40, n_months=14, seed=21))
    end = ledger_end(sim.ledger)
    split = out_of_time_split(sim.ledger, end - pd.Timedelta(days=120), end)
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    model = LatePaymentModel().fit(split.x_train[known], y[known], split.train["issue_date"][known])
    from features.pipeline import FeatureBuilder

    specs = {s.name: s for s in FeatureBuilder().fit(sim.ledger).specs}
    return model, split.x_test.head(200), specs


def test_native_contributions_equal_the_shap_package(fitted: tuple) -> None:
    model, x, _ = fitted
    native = model.contributions(x)
    package = shap.TreeExplainer(model.booster_.booster_).shap_values(x)
    package = package[-1] if isinstance(package, list) else package
    np.testing.assert_allclose(native[:, :-1], package, rtol=1e-6, atol=1e-6)
    # And they add up to the booster's log-odds, the bias in the last column.
    raw = model.raw_proba(x)
    np.testing.assert_allclose(native.sum(axis=1), np.log(raw / (1 - raw)), atol=1e-6)


def test_reasons_are_the_largest_contributions_named_from_the_registry(fitted: tuple) -> None:
    model, x, specs = fitted
    contributions = model.contributions(x)
    reasons = top_reasons(contributions, x, list(x.columns), specs, top=3)
    assert len(reasons) == len(x)
    for i, row in enumerate(reasons):
        expected = np.sort(np.abs(contributions[i, :-1]))[::-1][:3]
        assert [abs(r.contribution) for r in row] == pytest.approx(list(expected))
        for r in row:
            assert r.description == specs[r.feature].description
            assert r.contribution == pytest.approx(
                contributions[i, list(x.columns).index(r.feature)]
            )


def test_reasons_speak_english_unless_french_is_asked() -> None:
    from features.pipeline import SPECS

    specs = {s.name: s for s in SPECS}
    names = ["hist_share_late", "inv_disputed", "x_own"]  # x_own: no spec, named as is
    contributions = np.array([[0.2, -0.5, 0.1, -1.0]])  # last column: the bias
    columns = {"hist_share_late": [0.4], "inv_disputed": [1.0], "x_own": ["a"]}
    english = top_reasons(contributions, columns, names, specs)[0]
    french = top_reasons(contributions, columns, names, specs, lang="fr")[0]
    assert [r.feature for r in french] == ["inv_disputed", "hist_share_late", "x_own"]
    assert [r.description for r in english] == [
        specs["inv_disputed"].description,
        specs["hist_share_late"].description,
        "x_own",
    ]
    assert [r.description for r in french] == [
        "la facture est en litige",
        "part des factures réglées payées après leur échéance",
        "x_own",
    ]
    assert [r.contribution for r in french] == [r.contribution for r in english]
