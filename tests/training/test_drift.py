"""PSI by hand, and which features' drift raises an alert."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import features.pipeline  # noqa: F401  (registers every feature)
from training.drift import SHARE_FLOOR, alerted_features, category_psi, frame_psi, numeric_psi


def test_a_flag_moving_from_half_to_three_quarters() -> None:
    # Bins 0 and 1; shares 1/2, 1/2 -> 1/4, 3/4:
    # (1/4 - 1/2) ln(1/2) + (3/4 - 1/2) ln(3/2) = 0.17329 + 0.10137 = 0.27465
    assert numeric_psi([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.27465, abs=1e-5)
    assert category_psi(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx(
        0.27465, abs=1e-5
    )


def test_the_same_distribution_is_stable() -> None:
    values = np.arange(1000.0)
    assert numeric_psi(values, values) == pytest.approx(0.0, abs=1e-12)


def test_a_shift_of_half_a_deviation_is_noticed_and_noise_is_not() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(size=5000)
    assert numeric_psi(reference, rng.normal(size=1000)) < 0.05
    assert numeric_psi(reference, rng.normal(1.0, size=1000)) > 0.25


def test_missing_values_are_a_bin_of_their_own() -> None:
    # Reference: 4 values in the 2 bins, none missing; recent: half missing.
    # Bins (0, 1, empty top bin, missing): shares (1/2, 1/2, 0, 0) -> (1/4, 1/4, 0, 1/2);
    # the empty shares are floored: 2 x (1/4 - 1/2) ln(1/2) + (1/2 - f) ln(1/2 / f).
    floor = SHARE_FLOOR
    expected = 2 * (0.25 - 0.5) * math.log(0.5) + (0.5 - floor) * math.log(0.5 / floor)
    psi = numeric_psi([0.0, 0.0, 1.0, 1.0], [0.0, 1.0, np.nan, np.nan])
    assert psi == pytest.approx(expected, rel=1e-9)


def test_frame_psi_reads_categories_as_categories() -> None:
    reference = pd.DataFrame({"sector": pd.Categorical(["btp", "btp", "it", "it"]), "x": [1.0] * 4})
    recent = pd.DataFrame({"sector": pd.Categorical(["btp", "it", "it", "it"]), "x": [1.0] * 4})
    psi = frame_psi(reference, recent)
    assert psi["sector"] == pytest.approx(0.27465, abs=1e-5)
    assert psi["x"] == pytest.approx(0.0)


def test_only_what_an_invoice_and_its_client_are_raises_alerts() -> None:
    names = [
        *("inv_terms_days", "cli_sector", "hist_max_days_late", "exp_open_amount"),
        *("inv_issue_month", "cli_relationship_days", "dun_n_actions_invoice", "unknown"),
    ]
    # History, exposure and dunning accumulate as the ledger ages; the calendar and the
    # relationship's age move by themselves.
    assert alerted_features(names) == ["inv_terms_days", "cli_sector"]
