"""The evaluation figures against numbers worked by hand on tiny arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training.metrics import (
    bucket_metrics,
    expected_calibration_error,
    kaplan_meier,
    late_metrics,
    survival_metrics,
    time_metrics,
)
from training.targets import BUCKETS


def test_calibration_error_weighs_the_gap_of_each_bin_by_its_share() -> None:
    y = np.array([0, 0, 1, 0, 1])
    p = np.array([0.1, 0.2, 0.8, 0.85, 1.0])
    # Bins of width 0.1 (1.0 falls in the last): 0.1 -> bin 1, gap 0.1; 0.2 -> bin 2, gap
    # 0.2; 0.8 and 0.85 share bin 8, gaps -0.2 and +0.85 net 0.65; 1.0 -> bin 9, gap 0.
    # (0.1 + 0.2 + 0.65 + 0) / 5 = 0.19: the gaps within a bin offset each other.
    assert expected_calibration_error(y, p) == pytest.approx(0.19)
    # A late invoice at 0.2 and an on-time one at 0.8: each bin misses by 0.8; in one bin
    # of width 1 the two gaps cancel.
    apart = expected_calibration_error(np.array([1, 0]), np.array([0.2, 0.8]))
    assert apart == pytest.approx(0.8)
    assert expected_calibration_error(np.array([1, 0]), np.array([0.2, 0.8]), bins=1) == 0.0
    assert expected_calibration_error(y, np.full(5, 0.4)) == pytest.approx(0.0)  # 2 of 5 late
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))


def test_late_metrics_by_hand() -> None:
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.4, 0.35, 0.8])
    got = late_metrics(y, p)
    # AUC: of the 4 (late, on time) pairs only (0.35, 0.4) is misordered -> 3/4.
    # Average precision: ranked 0.8 (late, precision 1), 0.4, 0.35 (late, precision 2/3):
    # 0.5 × 1 + 0.5 × 2/3. Brier: (0.01 + 0.16 + 0.4225 + 0.04) / 4. One invoice per bin:
    # ECE = (0.1 + 0.4 + 0.65 + 0.2) / 4. Accuracy at 0.5: only the 0.35 is wrong.
    assert got == pytest.approx(
        {
            "roc_auc": 0.75,
            "pr_auc": 0.5 + 1 / 3,
            "brier": 0.158125,
            "ece": 0.3375,
            "accuracy": 0.75,
        }
    )


def test_late_metrics_with_one_class_or_none() -> None:
    got = late_metrics(np.array([0, 0]), np.array([0.2, 0.6]))
    assert math.isnan(got["roc_auc"]) and math.isnan(got["pr_auc"])
    assert got["brier"] == pytest.approx(0.2)  # (0.04 + 0.36) / 2
    assert got["accuracy"] == 0.5
    empty = late_metrics(np.array([]), np.array([]))
    assert set(empty) == {"roc_auc", "pr_auc", "brier", "ece", "accuracy"}
    assert all(math.isnan(v) for v in empty.values())


def _time_case() -> dict[str, np.ndarray]:
    nan = np.nan
    rows = [
        # paid, days, censored_after, expected, p10, p90
        (True, 30, -np.inf, 25, 20, 40),  # inside; error -5
        (True, 50, -np.inf, 40, 20, 45),  # above P90; error -10
        (True, 10, -np.inf, 14, 12, 30),  # below P10; error +4
        (True, 45, -np.inf, 45, 20, 45),  # on P90 itself: inside; error 0
        (True, 35, -np.inf, nan, 20, nan),  # P90 past the horizon: inside; no expected
        (False, 60, 60, 50, 20, 45),  # open, known unpaid past P90: surely outside
        (False, 45, 45, 50, 20, 45),  # open, known unpaid through day 45 = P90: outside
        (False, 30, 30, 50, 20, 45),  # open, could still be paid inside: left out
        (False, 10, 10, 50, 20, 45),  # open before P10, could still land inside: left out
        (False, 400, 400, 50, 20, nan),  # open, P90 past the horizon: left out
    ]
    cols = list(zip(*rows, strict=True))
    return {
        "paid": np.array(cols[0], dtype=bool),
        "actual_days": np.array(cols[1], dtype=float),
        "censored_after": np.array(cols[2], dtype=float),
        "expected_days": np.array(cols[3], dtype=float),
        "p10_days": np.array(cols[4], dtype=float),
        "p90_days": np.array(cols[5], dtype=float),
    }


def test_time_metrics_by_hand_with_censored_invoices() -> None:
    got = time_metrics(**_time_case())
    # Errors on the paid invoices with an expectation: -5, -10, +4, 0.
    assert got["mae_days"] == pytest.approx(19 / 4)
    assert got["rmse_days"] == pytest.approx(math.sqrt((25 + 100 + 16 + 0) / 4))
    # Decided: the 5 paid and the 2 open ones surely past P90; inside: 30, 45 and 35.
    assert got["coverage_p10_p90"] == pytest.approx(3 / 7)


def test_time_metrics_ignore_open_invoices_for_the_errors() -> None:
    case = _time_case()
    case["expected_days"] = np.where(case["paid"], case["expected_days"], 1e6)
    assert time_metrics(**case)["mae_days"] == pytest.approx(19 / 4)


def test_time_metrics_without_intervals_or_paid_invoices() -> None:
    case = _time_case()
    got = time_metrics(
        case["actual_days"], case["paid"], case["censored_after"], case["expected_days"], None, None
    )
    assert got["mae_days"] == pytest.approx(19 / 4)
    assert math.isnan(got["coverage_p10_p90"])
    open_only = {k: v[7:9] for k, v in case.items()}  # none decided
    got = time_metrics(**open_only)
    assert all(math.isnan(v) for v in got.values())


def test_bucket_metrics_by_hand() -> None:
    bucket = np.array([0, 1, 4])
    probs = np.array(
        [
            [0.5, 0.3, 0.1, 0.05, 0.05],
            [0.2, 0.6, 0.1, 0.05, 0.05],
            [0.1, 0.1, 0.1, 0.1, 0.6],
        ]
    )
    got = bucket_metrics(bucket, probs)
    assert list(got) == list(BUCKETS)
    expected = {
        "on_time": (1 / 3, 0.8 / 3, (0.25 + 0.04 + 0.01) / 3),
        "1_30": (1 / 3, 1.0 / 3, (0.09 + 0.16 + 0.01) / 3),
        "31_60": (0.0, 0.1, 0.01),
        "61_90": (0.0, 0.2 / 3, (0.0025 + 0.0025 + 0.01) / 3),
        "over_90": (1 / 3, 0.7 / 3, (0.0025 + 0.0025 + 0.16) / 3),
    }
    for name, (observed, predicted, brier) in expected.items():
        assert got[name] == pytest.approx(
            {"observed": observed, "predicted": predicted, "brier": brier}
        ), name
    empty = bucket_metrics(np.array([]), np.zeros((0, 5)))
    assert all(math.isnan(v) for figs in empty.values() for v in figs.values())


def test_kaplan_meier_by_hand() -> None:
    # Paid on days 1, 2, 3; one open since day 2. Day 1: 1 of 4 at risk paid, S = 3/4;
    # day 2: 1 of 3 (the open one still counts), S = 3/4 * 2/3 = 1/2; day 3: 1 of 1, S = 0.
    days, paid = np.array([1.0, 2.0, 2.0, 3.0]), np.array([True, True, False, True])
    got = kaplan_meier(days, paid, np.array([0.0, 1.0, 1.5, 2.0, 3.0, 9.0]))
    np.testing.assert_allclose(got, [1.0, 0.75, 0.75, 0.5, 0.0, 0.0])


def _durations(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    days = rng.integers(5, 60, n).astype(float)
    open_ = rng.uniform(size=n) < 0.2
    return np.where(open_, np.minimum(days, rng.integers(5, 60, n)), days), ~open_


def test_survival_metrics_reward_the_right_order_and_the_right_curves() -> None:
    train_days, train_paid = _durations(400, 1)
    days, paid = _durations(300, 2)
    times = np.arange(10.0, 50.0, 5.0)
    exact = (times[None, :] < days[:, None]).astype(float)  # certain, and right when paid
    reversed_ = (times[None, :] < (70 - days)[:, None]).astype(float)
    flat = np.tile(kaplan_meier(train_days, train_paid, times), (len(days), 1))
    right = survival_metrics(train_days, train_paid, days, paid, exact, times)
    wrong = survival_metrics(train_days, train_paid, days, paid, reversed_, times)
    none = survival_metrics(train_days, train_paid, days, paid, flat, times)
    # Curves flat past the last time tie some pairs: near 1 and 0, not exactly.
    assert right["c_index_ipcw"] > 0.9 and wrong["c_index_ipcw"] < 0.1
    assert none["c_index_ipcw"] == pytest.approx(0.5)
    assert right["integrated_brier"] < none["integrated_brier"] < wrong["integrated_brier"]
    brier_alone = survival_metrics(
        train_days, train_paid, days, paid, exact, times, concordance=False
    )
    assert math.isnan(brier_alone["c_index_ipcw"])
    assert brier_alone["integrated_brier"] == right["integrated_brier"]


def test_survival_metrics_without_paid_invoices_or_times() -> None:
    days, paid = _durations(50, 3)
    got = survival_metrics(days, paid, days, np.zeros(50, bool), np.ones((50, 3)), np.ones(3))
    assert all(math.isnan(v) for v in got.values())
    got = survival_metrics(days, paid, days, paid, np.ones((50, 1)), np.ones(1))
    assert set(got) == {"c_index_ipcw", "integrated_brier"}
