"""Drift scenarios: a change in how clients pay, starting on a known date.

A model learned before the start should notice it (``encours monitor``); a ledger without
scenario should raise nothing. Before the start, a scenario's ledger follows the laws of
the ledger without it (its own draws come from a generator of their own).

- ``sector-downturn``: the clients of :data:`DOWNTURN_SECTORS` pay late far more often,
  and later, every invoice due from the start (the payment is decided when it falls due).
- ``terms-change``: every invoice issued from the start is due :data:`NEW_TERMS_DAYS`
  days net (the longest the LME allows from the invoice date).
- ``new-client-wave``: :data:`WAVE_SHARE` of the clients start their relationship in the
  :data:`WAVE_DAYS` days after the start (and have no invoice before).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import numpy as np

from simulator.parameters import BoolArray, FloatArray, IntArray

ScenarioName = Literal["sector-downturn", "terms-change", "new-client-wave"]
SCENARIOS: tuple[ScenarioName, ...] = ("sector-downturn", "terms-change", "new-client-wave")
MONTHS_BEFORE_END = 4
"""By default a scenario starts on the first day of the fourth month before the end."""

DOWNTURN_SECTORS = ("btp",)
"""Construction: the sector French credit insurers watch first in a downturn."""
DOWNTURN_LOGIT = 3.0
"""Fall in the on-time log-odds: a client on time 60 % of the time drops to about 7 %."""
DOWNTURN_DELAY = 2.0
"""Late payments take this many times longer."""
NEW_TERMS_DAYS = 60
WAVE_SHARE = 0.4
WAVE_DAYS = 14
SCENARIO_SEED_OFFSET = 7_919
"""Added to the simulation's seed for the scenario's own draws."""


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01, the simulator's day numbers."""
    return int(np.datetime64(day, "D").astype(np.int64))


def default_start(start: dt.date, n_months: int) -> dt.date:
    """First day of the fourth month before the end of a window of ``n_months`` from ``start``."""
    month = start.year * 12 + start.month - 1 + max(n_months - MONTHS_BEFORE_END, 0)
    return dt.date(month // 12, month % 12 + 1, 1)


def check_scenario(name: str | None) -> None:
    """Raise ``ValueError`` naming the scenarios when ``name`` is none of them."""
    if name is not None and name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}: choose one of {', '.join(SCENARIOS)}")


def wave_created(name: str | None, start_day: int | None, created: IntArray, seed: int) -> IntArray:
    """Relationship starts, those of the wave's clients moved into the wave."""
    if name != "new-client-wave" or start_day is None:
        return created
    rng = np.random.default_rng(seed + SCENARIO_SEED_OFFSET)
    n = len(created)
    wave = rng.random(n) < WAVE_SHARE
    return np.where(wave, start_day + rng.integers(0, WAVE_DAYS, n), created).astype(np.int64)


def scenario_terms(
    name: str | None, start_day: int | None, issue: IntArray, terms: IntArray
) -> IntArray:
    """Each invoice's terms in days: :data:`NEW_TERMS_DAYS` from the start of a terms change."""
    if name != "terms-change" or start_day is None:
        return terms
    return np.where(issue >= start_day, NEW_TERMS_DAYS, terms).astype(np.int64)


def downturn_hit(
    name: str | None, start_day: int | None, sector: np.ndarray, due: IntArray
) -> BoolArray:
    """The invoices a sector downturn hits: its sectors' invoices due from the start."""
    if name != "sector-downturn" or start_day is None:
        return np.zeros(len(due), dtype=bool)
    return np.isin(sector, DOWNTURN_SECTORS) & (due >= start_day)


def downturn_shift(hit: BoolArray) -> tuple[FloatArray, FloatArray]:
    """What a downturn takes from the on-time log-odds and adds to the log delay scale."""
    shift = hit.astype(np.float64)
    return DOWNTURN_LOGIT * shift, float(np.log(DOWNTURN_DELAY)) * shift
