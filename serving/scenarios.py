"""Relance scenarios: client profiles and their steps, from a YAML file the user can edit.

A scenario says, per client profile (strategic, public sector, risky, standard), which
action to take how many days from the due date. The packaged ``scenarios.yaml`` is the
default; ``ENCOURS_SCENARIOS_FILE`` points at the user's own. The file is validated with
pydantic: a mistake is reported with the path of the field (``profiles.risky.steps.1.action``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.language import Words
from ledger.contract import USER_COLUMN_PREFIX

DEFAULT_SCENARIOS_FILE = Path(__file__).with_name("scenarios.yaml")

ActionName = Literal["preventive_reminder", "email", "call", "letter", "formal_notice", "legal"]
ProfileName = Literal["strategic", "public_sector", "risky", "standard"]
RuleName = Literal["strategic", "public_sector", "risky"]

ACTIONS: tuple[ActionName, ...] = (
    "preventive_reminder",
    "email",
    "call",
    "letter",
    "formal_notice",
    "legal",
)
"""Actions from the gentlest to the strongest: a stronger one done covers a gentler step."""
PROFILES: tuple[ProfileName, ...] = ("strategic", "public_sector", "risky", "standard")

FRENCH_WORDS = Words("fr")
ACTION_LABELS: dict[str, str] = {code: FRENCH_WORDS.action(code) for code in ACTIONS}
"""The relance steps' French names, by code (config.language words them)."""
PROFILE_LABELS: dict[str, str] = {code: FRENCH_WORDS.profile(code) for code in PROFILES}
"""The client profiles' French names, by code."""


class ScenarioError(ValueError):
    """A scenarios file that cannot be read or does not validate; names the bad fields."""


class Step(BaseModel):
    """One step of a scenario: an action, so many days from the due date."""

    model_config = ConfigDict(extra="forbid")

    day: int = Field(
        ge=-365, le=3650, description="days relative to the due date; negative before it"
    )
    action: ActionName = Field(description="what to do: " + ", ".join(ACTIONS))


class Profile(BaseModel):
    """The steps of one client profile, sorted by day."""

    model_config = ConfigDict(extra="forbid")

    steps: list[Step] = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def one_step_a_day(cls, steps: list[Step]) -> list[Step]:
        """Steps sorted by day; two steps on one day would make the choice ambiguous."""
        days = [s.day for s in steps]
        repeated = sorted({d for d in days if days.count(d) > 1})
        if repeated:
            raise ValueError(f"two steps on day {repeated[0]}")
        return sorted(steps, key=lambda s: s.day)


class Profiles(BaseModel):
    """The steps of every profile; each must be given."""

    model_config = ConfigDict(extra="forbid")

    strategic: Profile
    public_sector: Profile
    risky: Profile
    standard: Profile


class StrategicRule(BaseModel):
    """Which clients are strategic: listed by id, or flagged in one of their x_ columns."""

    model_config = ConfigDict(extra="forbid")

    client_ids: list[str] = Field(default_factory=list)
    column: str | None = Field(default=None, pattern=f"^{USER_COLUMN_PREFIX}")
    values: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def column_with_values(self) -> Self:
        """A column needs the values that flag a client, and values need their column."""
        if (self.column is None) != (not self.values):
            raise ValueError("give both column and values, or neither")
        return self


class Scenarios(BaseModel):
    """The whole relance policy: profiles, how clients get them, and their steps."""

    model_config = ConfigDict(extra="forbid")

    risky_threshold: float = Field(
        gt=0, le=1, description="mean late probability from which a client is risky"
    )
    soon_due_days: int = Field(
        default=7, ge=0, le=365, description="not-yet-due invoices enter this many days ahead"
    )
    precedence: list[RuleName] = Field(default=["strategic", "public_sector", "risky"])
    strategic: StrategicRule = Field(default_factory=StrategicRule)
    profiles: Profiles

    @field_validator("precedence")
    @classmethod
    def each_rule_once(cls, order: list[RuleName]) -> list[RuleName]:
        """Each of strategic, public_sector and risky exactly once."""
        if sorted(order) != sorted(("strategic", "public_sector", "risky")):
            raise ValueError("list strategic, public_sector and risky, each once")
        return order

    def steps(self, profile: str) -> list[Step]:
        """The steps of ``profile``."""
        return list(getattr(self.profiles, profile).steps)


def _problems(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        got = "" if e["type"] == "missing" else f" (got {e['input']!r})"
        parts.append(f"{where}: {e['msg']}{got}")
    return "; ".join(parts)


def parse_scenarios(text: str, source: str = "scenarios") -> Scenarios:
    """Scenarios from YAML text; ``ScenarioError`` naming every bad field otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping with risky_threshold and profiles")
    try:
        return Scenarios.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_problems(exc)}") from None


def load_scenarios(path: Path | None = None) -> Scenarios:
    """The scenarios of ``path``, or the packaged default ones."""
    path = path or DEFAULT_SCENARIOS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read the scenarios file {path}: {exc.strerror}") from None
    return parse_scenarios(text, str(path))


@lru_cache(maxsize=8)
def _cached(path: Path, _mtime_ns: int) -> Scenarios:
    return load_scenarios(path)


def current_scenarios(path: Path | None = None) -> Scenarios:
    """``load_scenarios``, read again only when the file changes (for the API)."""
    path = path or DEFAULT_SCENARIOS_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return load_scenarios(path)  # raises the clear error
    return _cached(path, mtime)


# --- profiles and steps, vectorised -------------------------------------------------------


def client_profiles(scenarios: Scenarios, clients: pd.DataFrame, p_late: pd.Series) -> pd.Series:
    """The profile of each client of ``p_late`` (mean late probability, by client id).

    The first rule of ``scenarios.precedence`` that fits the client wins; else standard.
    Clients missing from ``clients`` can only be risky or standard.
    """
    ids = p_late.index
    known = clients.drop_duplicates("client_id").set_index("client_id").reindex(ids)
    rule = scenarios.strategic
    strategic = np.asarray(ids.isin(rule.client_ids))
    if rule.column is not None and rule.column in known.columns:
        flag = known[rule.column]
        strategic |= (flag.notna() & flag.astype(str).isin(rule.values)).to_numpy()
    public = known["is_public_sector"].fillna(False).astype(bool).to_numpy()
    fits = {
        "strategic": strategic,
        "public_sector": public,
        "risky": p_late.to_numpy(dtype="float64") >= scenarios.risky_threshold,
    }
    profile = np.full(len(ids), "standard", dtype=object)
    for name in reversed(scenarios.precedence):  # the first rule is applied last: it wins
        profile[fits[name]] = name
    return pd.Series(profile, index=ids, name="profile")


_NO_DAY = 1_000_000  # a step slot that no profile fills: never reached


def channel_strength(channels: pd.Series | np.ndarray) -> np.ndarray:
    """Strength of each action channel (its rank in :data:`ACTIONS`); -1 when unknown."""
    codes = pd.Categorical(np.asarray(channels, dtype=object), categories=list(ACTIONS)).codes
    return np.asarray(codes, dtype=np.int64)


def recommend_steps(
    scenarios: Scenarios,
    profile: np.ndarray,
    days_past_due: np.ndarray,
    due_day: np.ndarray,
    done_row: np.ndarray,
    done_day: np.ndarray,
    done_strength: np.ndarray,
) -> pd.DataFrame:
    """The step to take now and the next one, for each invoice.

    Args:
        profile: profile name of each invoice's client.
        days_past_due: as_of − due date, in days (negative before the due date).
        due_day: due dates as days since 1970-01-01.
        done_row, done_day, done_strength: actions already recorded (by as_of), as the
            invoice's position in the other arrays, their day and channel strength.

    Returns:
        A frame with ``recommended_step`` (the latest step whose day has come and that
        no action of the same or a stronger channel on or after its date covers; None
        when there is none), ``next_step`` and ``next_step_day`` (the first step still
        ahead and its date in days since 1970-01-01; None / -1 when there is none).
    """
    n_steps = max(1, *(len(scenarios.steps(p)) for p in PROFILES))
    step_day = np.full((len(PROFILES), n_steps), _NO_DAY, dtype=np.int64)
    step_strength = np.full((len(PROFILES), n_steps), len(ACTIONS), dtype=np.int64)
    step_action = np.full((len(PROFILES), n_steps), None, dtype=object)
    for p, name in enumerate(PROFILES):
        for k, step in enumerate(scenarios.steps(name)):
            step_day[p, k] = step.day
            step_strength[p, k] = ACTIONS.index(step.action)
            step_action[p, k] = step.action
    code = pd.Index(PROFILES).get_indexer(pd.Index(np.asarray(profile, dtype=object)))
    if (code < 0).any():
        raise ValueError(f"unknown profile in {sorted(set(profile) - set(PROFILES))}")
    dpd = np.asarray(days_past_due, dtype=np.int64)
    days, strength = step_day[code], step_strength[code]
    dates = np.asarray(due_day, dtype=np.int64)[:, None] + days
    done = np.zeros(days.shape, dtype=bool)
    for k in range(n_steps):
        covered = (done_day >= dates[done_row, k]) & (done_strength >= strength[done_row, k])
        done[done_row[covered], k] = True
    pending = (days <= dpd[:, None]) & ~done
    rows = np.arange(len(dpd))
    latest = n_steps - 1 - pending[:, ::-1].argmax(axis=1)
    recommended = np.where(pending.any(axis=1), step_action[code, latest], None)
    ahead = (days > dpd[:, None]) & (days < _NO_DAY)
    first = ahead.argmax(axis=1)
    has_next = ahead.any(axis=1)
    return pd.DataFrame(
        {
            "recommended_step": recommended,
            "next_step": np.where(has_next, step_action[code, first], None),
            "next_step_day": np.where(has_next, dates[rows, first], -1),
        }
    )
