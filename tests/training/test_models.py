"""The three models fitted together: at once, in threads, and the same as one by one."""

from __future__ import annotations

import numpy as np

from training.dataset import Split
from training.late_choice import choose_late_model
from training.models import OnboardingModel, fit_models, late_rows, training_targets
from training.payment_time import PaymentTimeModel


def test_fitted_at_once_the_models_are_the_ones_fitted_one_by_one(split: Split) -> None:
    together = fit_models(split)

    y, durations = training_targets(split)
    order = split.train["issue_date"]
    alone = choose_late_model(late_rows(split, y))
    time = PaymentTimeModel().fit(split.x_train, durations, order, split.train["client_id"])
    onboarding = OnboardingModel(split.onboarding_features).fit(split.x_train, y, order, durations)

    assert together.choice is not None and together.choice.name == alone.name
    x = split.x_test
    np.testing.assert_array_equal(together.late.predict_proba(x), alone.model.predict_proba(x))
    np.testing.assert_array_equal(together.time.predict(x), time.predict(x))
    np.testing.assert_array_equal(together.onboarding.predict_proba(x), onboarding.predict_proba(x))
    assert together.time.band_levels_ == time.band_levels_
