"""Client risk: a 0–100 score (100 = safest) and a grade A–E from four risk inputs.

The formula (each component loses points, never gains them; score = 100 − points lost)::

    late share   40 × p_late                                  p_late in [0, 1]
    days late    30 × clip(days_late, 0, 90) / 90
    exposure     20 × clip(open / credit limit, 0, 2) / 2      missing (no limit): 0
    trend        10 × max(clip(trend, −30, 30), 0) / 30        missing (no history): 0

- ``p_late``: mean late probability of the client's open invoices at ``as_of`` (or of a
  typical prospective invoice when none is open), from the late-payment champion;
- ``days_late``: ``hist_shrunk_mean_days_late`` (mean days late pulled toward all clients');
- ``trend``: ``hist_trend_days_late`` (recent mean days late minus long-run; > 0 slowing
  down); an improving trend earns nothing beyond a stable one.

Each component is a non-increasing function of its input, so a client who pays later (or
owes more against its limit, or is more likely late) never gets a better score, all else
equal. Grades: A ≥ 80, B ≥ 65, C ≥ 50, D ≥ 35, E below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

WEIGHTS = {"late_share": 40.0, "days_late": 30.0, "exposure": 20.0, "trend": 10.0}
"""Points each component can lose; they sum to 100."""
MAX_DAYS_LATE = 90.0
MAX_EXPOSURE = 2.0
MAX_TREND = 30.0
GRADES = (("A", 80.0), ("B", 65.0), ("C", 50.0), ("D", 35.0))
"""Least score of each grade; below the last one: E."""

DESCRIPTIONS = {
    "late_share": "expected share of invoices paid late (late-payment model)",
    "days_late": "mean days late so far, pulled toward all clients' mean (clipped to 0–90)",
    "exposure": "amount owed as a share of the credit limit (clipped to 0–2)",
    "trend": "recent days late minus the long-run mean; > 0 is slowing down (clipped to 30)",
}


@dataclass(frozen=True)
class RiskInputs:
    """What the score is built from; None where unknown (that component loses nothing)."""

    p_late: float
    days_late: float | None = None
    exposure: float | None = None
    trend: float | None = None


@dataclass(frozen=True)
class RiskReason:
    """One component's points lost."""

    component: str
    description: str
    value: float | None
    points_lost: float


@dataclass(frozen=True)
class RiskScore:
    """A score, its grade, and the components' points lost, largest first."""

    score: float
    grade: str
    reasons: list[RiskReason]


def _known(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def points_lost(inputs: RiskInputs) -> dict[str, float]:
    """Points each component loses, by component name (see the module's formula)."""
    p_late = _known(inputs.p_late)
    days = _known(inputs.days_late)
    exposure = _known(inputs.exposure)
    trend = _known(inputs.trend)
    shares = {
        "late_share": 0.0 if p_late is None else _clip(p_late, 0.0, 1.0),
        "days_late": 0.0 if days is None else _clip(days, 0.0, MAX_DAYS_LATE) / MAX_DAYS_LATE,
        "exposure": 0.0 if exposure is None else _clip(exposure, 0.0, MAX_EXPOSURE) / MAX_EXPOSURE,
        "trend": 0.0 if trend is None else _clip(trend, 0.0, MAX_TREND) / MAX_TREND,
    }
    return {name: WEIGHTS[name] * share for name, share in shares.items()}


def grade(score: float) -> str:
    """Grade of a score: A (≥ 80), B (≥ 65), C (≥ 50), D (≥ 35), else E."""
    for letter, least in GRADES:
        if score >= least:
            return letter
    return "E"


def risk_score(inputs: RiskInputs) -> RiskScore:
    """Score (0–100, rounded to 0.1), grade and reasons of ``inputs``."""
    lost = points_lost(inputs)
    score = round(max(0.0, 100.0 - sum(lost.values())), 1)
    values = {
        "late_share": inputs.p_late,
        "days_late": inputs.days_late,
        "exposure": inputs.exposure,
        "trend": inputs.trend,
    }
    reasons = [
        RiskReason(name, DESCRIPTIONS[name], _known(values[name]), round(points, 2))
        for name, points in sorted(lost.items(), key=lambda item: -item[1])
    ]
    return RiskScore(score, grade(score), reasons)


# --- onboarding: terms and credit limit by grade ------------------------------------------


@dataclass(frozen=True)
class Terms:
    """Terms suggested to a prospective client of one grade."""

    payment_terms_days: int
    deposit_share: float
    """Share of each order to ask up front (1 = prepayment)."""
    limit_multiple: Decimal
    """Suggested credit limit as a multiple of the first order."""
    note: str


TERMS = {
    "A": Terms(60, 0.0, Decimal(3), "60 days, credit limit 3 × the first order"),
    "B": Terms(45, 0.0, Decimal(2), "45 days, credit limit 2 × the first order"),
    "C": Terms(30, 0.0, Decimal(1), "30 days, credit limit 1 × the first order"),
    "D": Terms(30, 0.3, Decimal("0.5"), "30 days with a 30 % deposit, limit ½ × the first order"),
    "E": Terms(0, 1.0, Decimal(0), "prepayment: no credit until a payment history exists"),
}
"""Shorter terms and smaller limits for worse grades."""


def suggested_terms(letter: str) -> Terms:
    """The terms suggested for grade ``letter``."""
    return TERMS[letter]


def suggested_limit(letter: str, first_order: Decimal) -> Decimal:
    """Suggested credit limit: the grade's multiple of the first order, to the cent."""
    return (TERMS[letter].limit_multiple * first_order).quantize(Decimal("0.01"))
