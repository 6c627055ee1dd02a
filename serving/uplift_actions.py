"""The action worth most per minute of a collector's time, from the estimated uplift.

Beside the rule scenario's step, the worklist names for each invoice the action with the
highest expected cash gained within 30 days per minute of collector time: the open
amount times the action's effect on P(paid within 30 days) for the client's profile
(:class:`training.uplift.UpliftTable`), divided by the minutes the action takes. No
action is named when none is expected to gain anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from serving.scenarios import ScenarioError
from training.uplift import UpliftTable

ACTION_MINUTES: dict[str, float] = {
    "email": 3.0,
    "call": 10.0,
    "letter": 8.0,
    "formal_notice": 20.0,
    "legal": 60.0,
}
"""Collector minutes per action: writing or sending, the call itself, a registered letter,
a formal notice checked before it goes, a file handed to the lawyer."""


def load_uplift(path: Path) -> UpliftTable:
    """The effect table of ``ENCOURS_UPLIFT_FILE``; a scenario error (503 in the API, a
    clear message in the CLI) when it cannot be read, rather than a crash."""
    try:
        return UpliftTable.load(path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ScenarioError(f"the uplift file {path} cannot be read: {exc}") from exc


@dataclass(frozen=True)
class UpliftActions:
    """Per invoice: the best action per minute, its expected gain and gain per minute.

    Attributes:
        action: the action (None where no action gains anything).
        gain_cents: expected extra cash within 30 days, in cents (0 where no action).
        gain_per_minute_cents: ``gain_cents`` per minute of the action (0 where none).
    """

    action: npt.NDArray[np.object_]
    gain_cents: npt.NDArray[np.int64]
    gain_per_minute_cents: npt.NDArray[np.float64]


def best_actions(
    table: UpliftTable,
    profiles: npt.ArrayLike,
    open_cents: npt.ArrayLike,
    minutes: dict[str, float] | None = None,
) -> UpliftActions:
    """The action of highest expected gain per minute for each (profile, open amount)."""
    minutes = minutes or ACTION_MINUTES
    names = list(minutes)
    prof = np.asarray(profiles, dtype=object)
    cents = np.asarray(open_cents, dtype=np.float64)
    effect = np.zeros((len(prof), len(names)))
    for p in set(prof.tolist()):
        at = prof == p
        effect[at] = [table.effect(str(p), a) for a in names]
    gain = cents[:, None] * effect
    per_minute = gain / np.array([minutes[a] for a in names])
    best = np.argmax(per_minute, axis=1) if names else np.zeros(len(prof), dtype=np.int64)
    rows = np.arange(len(prof))
    top = per_minute[rows, best] if names else np.zeros(len(prof))
    some = top > 0
    action = np.asarray(names, dtype=object)[best] if names else np.empty(len(prof), object)
    action[~some] = None
    return UpliftActions(
        action=action,
        gain_cents=np.where(some, np.rint(gain[rows, best]), 0).astype(np.int64),
        gain_per_minute_cents=np.where(some, top, 0.0),
    )
