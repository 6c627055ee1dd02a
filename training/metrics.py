"""The figures every evaluation reports, for models and baselines alike.

Each function takes outcomes and predictions and returns plain floats (NaN when the
figure cannot be computed, e.g. an AUC with one class), so that a model, a baseline and
the simulator's truth are measured by the very same code.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from training.targets import BUCKETS

NAN = float("nan")


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Share-weighted mean gap between predicted and observed late rates, in 10 bins of p."""
    if len(y) == 0:
        return NAN
    which = np.minimum((p * bins).astype(int), bins - 1)
    count = np.bincount(which, minlength=bins)
    gap = np.bincount(which, weights=p - y, minlength=bins)
    return float(np.abs(gap).sum() / len(y)) if count.sum() else NAN


def late_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC, PR AUC, Brier, calibration error and accuracy of P(late) against outcomes."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    if len(y) == 0:
        return dict.fromkeys(("roc_auc", "pr_auc", "brier", "ece", "accuracy"), NAN)
    two = len(np.unique(y)) == 2
    return {
        "roc_auc": float(roc_auc_score(y, p)) if two else NAN,
        "pr_auc": float(average_precision_score(y, p)) if two else NAN,
        "brier": float(brier_score_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "accuracy": float(np.mean((p >= 0.5) == y)),
    }


def time_metrics(
    actual_days: np.ndarray,
    paid: np.ndarray,
    censored_after: np.ndarray,
    expected_days: np.ndarray,
    p10_days: np.ndarray | None,
    p90_days: np.ndarray | None,
) -> dict[str, float]:
    """MAE and RMSE of days-to-pay on paid invoices; P10-P90 coverage, censoring-aware.

    An open invoice (``paid`` false, known unpaid through day ``censored_after``) counts in
    the coverage only when its place is certain: already past P90 (outside), never when
    it could still land inside.
    """
    err = (expected_days - actual_days)[paid & ~np.isnan(expected_days)]
    out = {
        "mae_days": float(np.mean(np.abs(err))) if len(err) else NAN,
        "rmse_days": float(np.sqrt(np.mean(err**2))) if len(err) else NAN,
        "coverage_p10_p90": NAN,
    }
    if p10_days is None or p90_days is None:
        return out
    upper = np.where(np.isnan(p90_days), np.inf, p90_days)
    inside_paid = paid & (actual_days >= p10_days) & (actual_days <= upper)
    decided = paid | (censored_after >= upper)  # paid on a later day: past P90
    if decided.any():
        out["coverage_p10_p90"] = float(inside_paid[decided].sum() / decided.sum())
    return out


def bucket_metrics(bucket: np.ndarray, probs: np.ndarray) -> dict[str, dict[str, float]]:
    """Per bucket: observed share, mean predicted probability and Brier score (one vs rest)."""
    out: dict[str, dict[str, float]] = {}
    for k, name in enumerate(BUCKETS):
        hit = (bucket == k).astype(float)
        out[name] = {
            "observed": float(hit.mean()) if len(hit) else NAN,
            "predicted": float(probs[:, k].mean()) if len(hit) else NAN,
            "brier": float(np.mean((probs[:, k] - hit) ** 2)) if len(hit) else NAN,
        }
    return out
