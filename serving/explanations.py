"""Why a score is what it is: signed TreeSHAP contributions named from the feature registry.

LightGBM computes the contributions natively (``pred_contrib``): the same values as the
``shap`` package's TreeExplainer, faster, in log-odds of the booster (before calibration).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from config.language import Language
from features.registry import FeatureSpec

TOP_REASONS = 5


@dataclass(frozen=True)
class Reason:
    """One feature's push on the late-payment score."""

    feature: str
    description: str
    family: str
    value: float | str | None
    contribution: float


def _plain(value: Any) -> float | str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def top_reasons(
    contributions: np.ndarray,
    columns: Mapping[str, Any] | pd.DataFrame,
    names: Sequence[str],
    specs: dict[str, FeatureSpec],
    top: int = TOP_REASONS,
    lang: Language = "en",
) -> list[list[Reason]]:
    """The ``top`` largest contributions of each row (last column of ``contributions``: bias).

    ``names`` are the features of the contributions' columns, ``columns`` their values by
    name (a feature frame, or ``FeatureBuilder.columns``); a feature it lacks has no value.
    Each reason's description is in ``lang``: English, as the API returns it, unless asked.
    """
    values: dict[str, np.ndarray] = {}  # a column read once, when a reason names it
    out = []
    for i, row in enumerate(contributions[:, : len(names)]):
        reasons = []
        for j in np.argsort(-np.abs(row), kind="stable")[:top]:
            name = names[j]
            if name not in values:
                found = columns[name] if name in columns else np.full(len(contributions), None)
                values[name] = np.asarray(found, dtype=object)
            spec = specs.get(name)
            reasons.append(
                Reason(
                    feature=name,
                    description=spec.describe(lang) if spec else name,
                    family=spec.family if spec else "",
                    value=_plain(values[name][i]),
                    contribution=float(row[j]),
                )
            )
        out.append(reasons)
    return out
