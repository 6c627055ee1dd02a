"""Monitoring: is the late-payment champion still right? Drift of what it reads, and how
its past scores fared once their invoices paid or fell due.

- **psi**: the population stability index of each feature and of the score between the
  champion's training window (the year before its training cut-off) and the invoices
  issued in the last 30 and 90 days, all seen at their issue date as the model sees
  them; and the share of those invoices from clients it never saw.
- **matured**: the score log joined with the outcomes known now (:mod:`training.matured`).
- **alerts**: each figure past its threshold in the settings (``ENCOURS_MONITOR_*``), on
  windows holding at least ``monitor_min_rows`` invoices.

It reads a year of invoices' features: seconds on a large ledger (each window is sampled
down to :data:`MAX_ROWS`), so the API keeps the result per snapshot, champion and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from ledger.contract import Ledger
from ledger.score_log import read_scores
from serving.scoring import LoadedModel
from serving.services.context import Context
from training.drift import alerted_features, frame_psi, numeric_psi
from training.matured import matured_report
from training.models import LATE_MODEL
from training.trained_window import training_cutoff

REFERENCE_DAYS = 365
"""The training window read as reference: this many days before the cut-off."""
FALLBACK_TEST_DAYS = 183
"""Without a logged cut-off, it is taken this many days before the monitoring date, as
``encours train`` leaves its last six months to the out-of-time test."""
WINDOWS = (30, 90)
"""The recent windows, in days up to the monitoring date."""
SCORE_ALERT_WINDOW = "90d"
"""The window whose score PSI raises alerts (both are reported)."""
CALIBRATION_Z = 4.0
"""A calibration gap raises an alert only when it is also this many standard errors from
0 (binomial, at the mean probability): a dozen sectors checked every month for a year
then raise a chance alert well under once in a thousand years, while a sector whose late
share jumps by 0.3 on 50 outcomes stands 4.5 to 6 errors off."""
MAX_ROWS = 20_000
"""Invoices read per window at most (a seeded sample beyond): the PSI of deciles needs no
more, and the features of 20,000 invoices take a few seconds."""


ALERT_WORDS = {
    "psi_score": "PSI of the score over the last {window} days: {value} (above {threshold})",
    "psi": "PSI of feature {subject} over the last {window} days: {value} (above {threshold})",
    "unseen_clients": "{value} of the last {window} days' invoices are from clients the "
    "model never saw (above {threshold})",
    "calibration": "Late share minus mean predicted probability, {subject}, outcomes of the "
    "last {window} days: {value} (beyond ±{threshold})",
    "auc": "ROC AUC of the outcomes of the last {window} days: {value} (below {threshold})",
}
"""Each alert in English words, by :attr:`Alert.words_key` (French in config/french.py)."""


@dataclass(frozen=True)
class Alert:
    """A monitored figure past its threshold."""

    kind: str
    """``psi`` (of the score or a feature), ``unseen_clients``, ``calibration``, ``auc``."""
    subject: str
    """What drifted: ``score``, a feature's name, ``clients``, ``all`` invoices or a sector."""
    days: int
    """The window measured, in days up to the monitoring date."""
    value: float
    threshold: float

    @property
    def words_key(self) -> str:
        """The key of the alert's sentence in :data:`ALERT_WORDS`."""
        return "psi_score" if self.kind == "psi" and self.subject == "score" else self.kind

    @property
    def is_share(self) -> bool:
        """Whether value and threshold are shares (shown as percentages)."""
        return self.kind == "unseen_clients"

    @property
    def message(self) -> str:
        """The alert in one English sentence, for ``--json`` and the API."""
        signed = "{:+.2f}" if self.kind == "calibration" else "{:.2f}"
        shown = "{:.0%}" if self.is_share else signed
        return ALERT_WORDS[self.words_key].format(
            subject=self.subject,
            window=self.days,
            value=shown.format(self.value),
            threshold=("{:.0%}" if self.is_share else "{:g}").format(self.threshold),
        )

    def as_json(self) -> dict[str, Any]:
        """The alert as ``--json`` and the API give it."""
        return {
            "kind": self.kind,
            "subject": self.subject,
            "window": f"{self.days}d",
            "value": round(self.value, 4),
            "threshold": self.threshold,
            "message": self.message,
        }


@dataclass(frozen=True)
class Monitoring:
    """Drift, matured performance and alerts of the late-payment champion at ``as_of``."""

    as_of: dt.date
    model: LoadedModel
    psi: dict[str, Any]
    matured: dict[str, Any]
    alerts: list[Alert]

    def gauges(self) -> dict[str, float | None]:
        """The figures the Prometheus gauges show (None: not known)."""
        windows = self.psi.get("windows", {})
        return {
            "score_psi_30d": windows.get("30d", {}).get("score"),
            "score_psi_90d": windows.get("90d", {}).get("score"),
            "unseen_clients_30d": windows.get("30d", {}).get("unseen_clients"),
            "matured_auc": self.matured["auc"],
            "matured_brier": self.matured["brier"],
            "matured_calibration_gap": self.matured["calibration_gap"],
            "p10_p90_coverage": self.matured["coverage"]["p10_p90"],
            "cash_wape": self.matured["cash_forecast"]["wape"],
            "alerts": float(len(self.alerts)),
        }

    @property
    def feature_psi(self) -> dict[str, float]:
        """Each feature's PSI over the last 30 days (none when that window is empty)."""
        return dict(self.psi.get("windows", {}).get("30d", {}).get("features", {}))

    def as_json(self) -> dict[str, Any]:
        """``psi``, ``matured`` and ``alerts`` (a list, empty when nothing crossed a threshold)."""
        return {
            "psi": self.psi,
            "matured": self.matured,
            "alerts": [alert.as_json() for alert in self.alerts],
        }


def _sample(frame: pd.DataFrame) -> pd.DataFrame:
    """At most :data:`MAX_ROWS` rows of ``frame``, a seeded sample beyond (same rows each time)."""
    return frame if len(frame) <= MAX_ROWS else frame.sample(MAX_ROWS, random_state=0)


def _scored(
    ctx: Context, model: LoadedModel, invoices: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """The model's features of ``invoices`` seen at their issue date, and its scores."""
    x = ctx.features.transform(invoices, invoices["issue_date"])
    x = x[[name for name in model.feature_names if name in x.columns]]
    return x, model.predict_late(x, invoices["client_id"].to_numpy())


def drift(ctx: Context, model: LoadedModel, as_of: dt.date, cutoff: dt.date) -> dict[str, Any]:
    """PSI of each feature and of the score, and the share of unseen clients, in each
    window of :data:`WINDOWS` against the training window before ``cutoff``."""
    invoices = ctx.ledger.invoices
    invoices = invoices[invoices["doc_type"] == "invoice"]
    issue = invoices["issue_date"]
    start = pd.Timestamp(cutoff) - pd.Timedelta(days=REFERENCE_DAYS)
    reference = _sample(invoices[(issue >= start) & (issue < pd.Timestamp(cutoff))])
    seen = set(invoices.loc[issue < pd.Timestamp(cutoff), "client_id"])
    report: dict[str, Any] = {
        "reference": {
            "from": start.date().isoformat(),
            "to": cutoff.isoformat(),
            "n": len(reference),
        },
        "windows": {},
    }
    if reference.empty:
        return report
    x_ref, score_ref = _scored(ctx, model, reference)
    day = pd.Timestamp(as_of)
    for days in WINDOWS:
        recent = _sample(invoices[(issue > day - pd.Timedelta(days=days)) & (issue <= day)])
        figures: dict[str, Any] = {"n": len(recent)}
        if not recent.empty:
            x, score = _scored(ctx, model, recent)
            figures["score"] = numeric_psi(score_ref, score)
            figures["unseen_clients"] = float((~recent["client_id"].isin(seen)).mean())
            figures["features"] = frame_psi(x_ref, x)
        report["windows"][f"{days}d"] = figures
    return report


def drift_alerts(report: dict[str, Any], ctx: Context) -> list[Alert]:
    """The drift figures past their thresholds, on windows of enough invoices."""
    settings = ctx.settings
    found: list[Alert] = []
    for window, figures in report.get("windows", {}).items():
        days = int(window.rstrip("d"))
        if figures["n"] < settings.monitor_min_rows:
            continue
        limit = settings.monitor_psi_alert
        # The score reads the calendar: a month against a training year moves its PSI by
        # season alone (up to 0.38 on a ledger without drift); three months stayed under 0.23.
        if window == SCORE_ALERT_WINDOW and figures["score"] > limit:
            found.append(Alert("psi", "score", days, figures["score"], limit))
        psi = figures["features"]
        drifted = [f for f in alerted_features(psi) if psi[f] > limit]
        found += [Alert("psi", f, days, psi[f], limit) for f in drifted]
        unseen = settings.monitor_unseen_share_alert
        if figures["unseen_clients"] > unseen:
            share = figures["unseen_clients"]
            found.append(Alert("unseen_clients", "clients", days, share, unseen))
    return found


def matured_alerts(report: dict[str, Any], ctx: Context) -> list[Alert]:
    """The matured figures of the last outcomes past their thresholds: the calibration
    gap (overall and by sector) and the AUC, on enough invoices."""
    settings = ctx.settings
    least, gap_limit = settings.monitor_min_rows, settings.monitor_calibration_alert
    recent = report["recent"]
    window = int(recent["days"])
    found: list[Alert] = []
    groups = [("all", recent)] + [(g["sector"], g) for g in report.get("recent_by_sector", [])]
    for subject, figures in groups:
        gap, n = figures["calibration_gap"], figures["n"]
        if n < least or gap is None or abs(gap) <= gap_limit:
            continue
        p = min(max(figures["mean_p_late"], 0.01), 0.99)
        if abs(gap) / np.sqrt(p * (1 - p) / n) > CALIBRATION_Z:
            found.append(Alert("calibration", subject, window, gap, gap_limit))
    auc = recent["auc"]
    if recent["n"] >= least and auc is not None and auc < settings.monitor_auc_alert:
        found.append(Alert("auc", "all", window, auc, settings.monitor_auc_alert))
    return found


def ledger_outcomes(ctx: Context) -> pd.DataFrame:
    """What the ledger says of its invoices for the matured figures, with their sector."""
    invoices = ctx.ledger.invoices
    invoices = invoices[invoices["doc_type"] == "invoice"]
    columns = ["invoice_id", "client_id", "due_date", "paid_date", "amount_cents"]
    sectors = ctx.ledger.clients[["client_id", "sector"]]
    return invoices[columns].merge(sectors, on="client_id", how="left")


def monitoring(
    ctx: Context, engine: Engine, as_of: dt.date | None = None, cutoff: dt.date | None = None
) -> Monitoring:
    """Drift, matured performance and alerts of the late-payment champion at ``as_of``
    (default today), against its training window before ``cutoff`` (default: the cut-off
    its training run logged).

    Raises:
        ModelUnavailable: no late-payment champion is served.
    """
    model = ctx.champion(LATE_MODEL)
    day = as_of or dt.date.today()
    if cutoff is None:
        cutoff = training_cutoff(LATE_MODEL, model.version, ctx.settings.tracking_uri)
    if cutoff is None:
        cutoff = day - dt.timedelta(days=FALLBACK_TEST_DAYS)
    psi = drift(ctx, model, day, cutoff)
    psi["model_version"] = model.version
    scores = read_scores(engine, until=day)
    matured = matured_report(scores, ledger_outcomes(ctx), pd.Timestamp(day))
    alerts = drift_alerts(psi, ctx) + matured_alerts(matured, ctx)
    return Monitoring(day, model, psi, matured, alerts)


def watched_day(ledger: Ledger) -> dt.date:
    """The day the models page watches: the ledger's last issue date (today on a ledger kept
    up to date; a past ledger's own today), today at the latest."""
    issued = ledger.invoices["issue_date"]
    return min(issued.max().date(), dt.date.today()) if len(issued) else dt.date.today()


def kept_monitoring(ctx: Context, engine: Engine, as_of: dt.date | None = None) -> Monitoring:
    """:func:`monitoring`, kept with the snapshot served (a new ledger version is a new
    snapshot) for the champion and the day: the API's route, its gauges and the models
    page read it often."""
    model = ctx.champion(LATE_MODEL)
    day = as_of or dt.date.today()
    return ctx.remembered(("monitoring", model.version, day), lambda: monitoring(ctx, engine, day))
