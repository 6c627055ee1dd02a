"""The pictures of an evaluation: calibration, ROC, SHAP summary, payment dates, lift.

Each function writes one PNG and returns its path; MLflow logs them with the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no screen on a server

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_curve

from training.evaluation import Evaluation, Outcomes, Predictions


def _save(fig: plt.Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def calibration_plot(out: Outcomes, preds: dict[str, Predictions], path: Path) -> Path:
    """Observed late rate against predicted probability, per model and baseline."""
    known = ~np.isnan(out.late)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k:", label="perfectly calibrated")
    for name, p in preds.items():
        observed, predicted = calibration_curve(
            out.late[known], p.p_late[known], n_bins=10, strategy="quantile"
        )
        ax.plot(predicted, observed, marker="o", label=name)
    ax.set(xlabel="predicted probability of late payment", ylabel="observed share late")
    ax.set_title("Calibration (out-of-time test)")
    ax.legend(fontsize=8)
    return _save(fig, path)


def roc_plot(out: Outcomes, preds: dict[str, Predictions], path: Path) -> Path:
    """ROC curves of the model, the baselines and (on simulated data) the truth."""
    known = ~np.isnan(out.late)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], "k:")
    for name, p in preds.items():
        fpr, tpr, _ = roc_curve(out.late[known], p.p_late[known])
        ax.plot(fpr, tpr, label=name)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC, late payment")
    ax.legend(fontsize=8)
    return _save(fig, path)


def payment_days_plot(out: Outcomes, pred: Predictions, path: Path) -> Path:
    """Predicted (expected) vs actual days to pay of the invoices paid in the test."""
    fig, ax = plt.subplots(figsize=(6, 4))
    bins = list(range(0, 181, 5))
    ax.hist(np.clip(out.days[out.paid], 0, 180), bins=bins, alpha=0.6, label="actual")
    expected = pred.expected_days[out.paid]
    ax.hist(np.clip(expected[~np.isnan(expected)], 0, 180), bins=bins, alpha=0.6, label="expected")
    ax.set(xlabel="days from issue to payment", ylabel="invoices", title="Payment dates")
    ax.legend()
    return _save(fig, path)


def lift_plot(out: Outcomes, pred: Predictions, path: Path) -> Path:
    """Share of the late amount caught by chasing invoices in order of amount at risk."""
    known = ~np.isnan(out.late)
    at_risk = (pred.p_late * out.amount)[known]
    late_amount = (out.late * out.amount)[known]
    order = np.argsort(-at_risk)
    caught = np.cumsum(late_amount[order]) / max(late_amount.sum(), 1e-9)
    share = np.arange(1, len(order) + 1) / len(order)
    top10 = float(caught[max(int(0.1 * len(order)) - 1, 0)]) if len(order) else float("nan")
    fig, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot(share, caught, label=f"by amount at risk (top 10 %: {top10:.0%})")
    ax.plot([0, 1], [0, 1], "k:", label="random order")
    ax.set(xlabel="share of invoices chased", ylabel="share of late amount caught")
    ax.set_title("Worklist lift")
    ax.legend(fontsize=8)
    return _save(fig, path)


def shap_summary_plot(model: Any, x: pd.DataFrame, path: Path) -> Path:
    """SHAP summary of the late-payment model on (a sample of) the test invoices: its own
    contributions (TreeSHAP for a booster, exact ones for an additive model)."""
    import shap

    sample = x.sample(min(len(x), 2000), random_state=42) if len(x) else x
    values = np.asarray(model.contributions(sample))[:, :-1]
    plt.figure()
    shap.summary_plot(values, sample, show=False, max_display=15)
    fig = plt.gcf()
    return _save(fig, path)


def evaluation_plots(
    evaluation: Evaluation, model: Any, x_test: pd.DataFrame, folder: Path
) -> list[Path]:
    """Every plot of an evaluation, written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    out, preds = evaluation.outcomes, evaluation.compared
    late_curves = {k: v for k, v in preds.items() if k != "due_date"}  # a constant: no curve
    return [
        calibration_plot(out, late_curves, folder / "calibration.png"),
        roc_plot(out, late_curves, folder / "roc.png"),
        payment_days_plot(out, preds["model"], folder / "payment_dates.png"),
        lift_plot(out, preds["model"], folder / "lift.png"),
        shap_summary_plot(model, x_test, folder / "shap_summary.png"),
    ]
