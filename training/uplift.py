"""Which relance works: each action's effect on payment within 30 days, learnt from the
action history, by client profile.

Actions in a history are not random: collectors chase the worst payers first, so the
invoices that got a formal notice would have paid late anyway and the naive difference
of payment rates between actions understates (even reverses) their effect. The estimate
here is doubly robust (AIPW): an outcome model per action and a propensity model (which
action a collector takes, given what the ledger shows), both LightGBM and cross-fitted,
combined so that the estimate stays right when either model is, with propensities
clipped away from 0 (``min_propensity``) so that a rarely taken action cannot blow up
the weights.

Library: EconML's ``DRLearner`` (PyWhy, maintained, scikit-learn estimators as nuisance
models, multi-valued treatments, cross-fitting and propensity clipping built in). Chosen
over CausalML, whose install would pull xgboost with a 350 MB CUDA library and
seaborn for nothing here; EconML 0.17 installs beside our numpy, pandas, scikit-learn,
LightGBM and shap without moving any of them.

What serving needs is small and saved as JSON: the mean effect of each action per
profile (:class:`UpliftTable`), not the fitted learners.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ledger.contract import Ledger

NO_ACTION = "none"
COVARIATES = (
    *("age", "log_amount", "disputed", "terms_days", "slow_due", "paper"),
    *("is_public", "key_account", "late_share", "days_late", "paid_before"),
)
"""What the ledger shows of an invoice when the collector acts: the age of the debt, its
amount, dispute, terms, a due date in August or December, a paper invoice, the client's
kind, and the client's record on the invoices settled before then."""
MIN_DECISIONS = 20
"""Fewest decisions without action to learn the effects from."""
PROFILES = ("strategic", "public_sector", "risky", "standard")
RISKY_LATE_SHARE = 0.5
"""A client whose settled invoices were late this often is ``risky`` (the worklist's
threshold on the mean late probability, here on the record)."""


def _client_record(ledger: Ledger, rows: pd.DataFrame) -> pd.DataFrame:
    """Per row, the client's invoices paid before the action day: count and late share."""
    inv = ledger.invoices
    paid = inv[(inv["doc_type"] == "invoice") & inv["paid_date"].notna()]
    paid = paid.sort_values("paid_date")
    days = (paid["paid_date"] - paid["due_date"]).dt.days.clip(lower=0).astype(np.float64)
    late = (days > 0).astype(np.float64)
    grouped = late.groupby(paid["client_id"])
    record = pd.DataFrame(
        {
            "client_id": paid["client_id"].to_numpy(),
            "on": paid["paid_date"].to_numpy(),
            "paid_before": grouped.cumcount().to_numpy() + 1.0,
            "late_before": grouped.cumsum().to_numpy(),
            "days_before": days.groupby(paid["client_id"]).cumsum().to_numpy(),
        }
    )
    order = rows.assign(on=rows["action_date"], _pos=np.arange(len(rows))).sort_values("on")
    merged = pd.merge_asof(
        order, record, on="on", by="client_id", allow_exact_matches=False
    ).sort_values("_pos")
    count = merged["paid_before"].fillna(0.0).to_numpy()
    share = np.where(count > 0, merged["late_before"].fillna(0.0) / np.maximum(count, 1), 0.5)
    days = merged["days_before"].fillna(0.0).to_numpy() / np.maximum(count, 1)
    return pd.DataFrame({"paid_before": count, "late_share": share, "days_late": days})


def uplift_covariates(ledger: Ledger, rows: pd.DataFrame) -> pd.DataFrame:
    """:data:`COVARIATES` and ``profile`` for rows of ``invoice_id``, ``client_id``,
    ``age`` and ``action_date``: only what was known on the action day."""
    inv = ledger.invoices.drop_duplicates("invoice_id").set_index("invoice_id")
    inv = inv.reindex(rows["invoice_id"])
    channel = inv.get("x_channel", pd.Series(index=inv.index, dtype=object))
    clients = ledger.clients.drop_duplicates("client_id").set_index("client_id")
    ids = rows["client_id"]
    public = clients["is_public_sector"].reindex(ids).fillna(False).to_numpy(dtype=bool)
    segment = clients.get("x_segment", pd.Series(dtype=object)).reindex(ids)
    key = (segment.astype(str) == "key_account").to_numpy()
    record = _client_record(ledger, rows)
    out = pd.DataFrame(
        {
            "age": rows["age"].to_numpy(np.float64),
            "log_amount": np.log1p(inv["amount_cents"].to_numpy(np.float64) / 100),
            "disputed": inv["disputed"].fillna(False).to_numpy(dtype=np.float64),
            "terms_days": (inv["due_date"] - inv["issue_date"]).dt.days.to_numpy(np.float64),
            "slow_due": inv["due_date"].dt.month.isin([8, 12]).to_numpy(np.float64),
            "paper": (channel.astype(str) == "paper").to_numpy(np.float64),
            "is_public": public.astype(np.float64),
            "key_account": key.astype(np.float64),
            "late_share": record["late_share"].to_numpy(),
            "days_late": record["days_late"].to_numpy(),
            "paid_before": record["paid_before"].to_numpy(),
        }
    )
    risky = out["late_share"].to_numpy() >= RISKY_LATE_SHARE
    out["profile"] = np.select(
        [key, public, risky], ["strategic", "public_sector", "risky"], "standard"
    )
    return out


def naive_differences(actions: pd.Series, outcome: pd.Series) -> dict[str, float]:
    """Each action's outcome rate minus that of no action: the confounded comparison."""
    rates = outcome.astype(np.float64).groupby(actions.to_numpy()).mean()
    return {str(a): float(rates[a] - rates[NO_ACTION]) for a in rates.index if a != NO_ACTION}


@dataclass
class UpliftEstimator:
    """Doubly robust effects of each action against none, per row (EconML ``DRLearner``).

    Attributes:
        n_estimators: trees of each LightGBM nuisance and final model.
        cv: folds of the cross-fitting.
        min_propensity: propensities are clipped to at least this.
        seed: random seed.
    """

    n_estimators: int = 100
    cv: int = 3
    min_propensity: float = 0.02
    seed: int = 0
    actions_: tuple[str, ...] = field(default=(), init=False)
    learner_: object = field(default=None, init=False, repr=False)

    def fit(self, x: pd.DataFrame, action: pd.Series, outcome: pd.Series) -> UpliftEstimator:
        """Fits on the covariates, the action taken (with ``"none"``) and a 0/1 outcome."""
        from econml.dr import DRLearner
        from lightgbm import LGBMClassifier, LGBMRegressor
        from sklearn.exceptions import DataConversionWarning

        counts = action.astype(str).value_counts()
        if counts.get(NO_ACTION, 0) < MIN_DECISIONS:
            raise ValueError(
                f"the history holds {counts.get(NO_ACTION, 0)} decisions without action, fewer "
                f"than {MIN_DECISIONS}: nothing to compare the actions with (an effect needs "
                "invoices left alone at the same age, as when every invoice gets the same plan)"
            )
        others = sorted(set(action.astype(str)) - {NO_ACTION})
        self.actions_ = (NO_ACTION, *others)
        codes = pd.Categorical(action.astype(str), categories=self.actions_).codes
        trees, seed = self.n_estimators, self.seed
        learner = DRLearner(
            model_propensity=LGBMClassifier(
                n_estimators=trees, min_child_samples=40, random_state=seed, verbosity=-1, n_jobs=1
            ),
            model_regression=LGBMClassifier(
                n_estimators=trees, min_child_samples=40, random_state=seed, verbosity=-1, n_jobs=1
            ),
            model_final=LGBMRegressor(
                n_estimators=trees, min_child_samples=100, random_state=seed, verbosity=-1, n_jobs=1
            ),
            cv=self.cv,
            min_propensity=self.min_propensity,
            discrete_outcome=True,
            categories=list(range(len(self.actions_))),
            random_state=self.seed,
        )
        with warnings.catch_warnings():
            # EconML hands its nuisance models a column vector; scikit-learn says so per fold.
            warnings.filterwarnings("ignore", category=DataConversionWarning)
            learner.fit(outcome.to_numpy(np.int64), codes, X=x.to_numpy(np.float64))
        self.learner_ = learner
        return self

    def effects(self, x: pd.DataFrame) -> pd.DataFrame:
        """Per row, each action's effect on the outcome probability against no action."""
        if self.learner_ is None:
            raise RuntimeError("UpliftEstimator is not fitted: call fit first")
        values = self.learner_.const_marginal_effect(x.to_numpy(np.float64))  # type: ignore[attr-defined]
        values = np.asarray(values).reshape(len(x), len(self.actions_) - 1)
        return pd.DataFrame(values, columns=list(self.actions_[1:]), index=x.index)


@dataclass(frozen=True)
class UpliftTable:
    """Mean effect of each action on P(paid within 30 days), per profile: what serving reads.

    Attributes:
        effects: ``{profile: {action: effect}}``, effects against no action.
        outcome: what the effect is on.
    """

    effects: dict[str, dict[str, float]]
    outcome: str = "paid_within_30_days"

    def effect(self, profile: str, action: str) -> float:
        """The effect of ``action`` for ``profile`` (the ``standard`` one if unknown; 0 if none)."""
        row = self.effects.get(profile, self.effects.get("standard", {}))
        return float(row.get(action, 0.0))

    def save(self, path: Path) -> None:
        """Writes the table as JSON."""
        path.write_text(json.dumps({"outcome": self.outcome, "effects": self.effects}, indent=2))

    @classmethod
    def load(cls, path: Path) -> UpliftTable:
        """Reads a table :meth:`save` wrote."""
        data = json.loads(path.read_text())
        effects = {
            str(p): {str(a): float(v) for a, v in e.items()} for p, e in data["effects"].items()
        }
        return cls(effects=effects, outcome=str(data.get("outcome", "paid_within_30_days")))


def effects_by_profile(effects: pd.DataFrame, profiles: pd.Series) -> UpliftTable:
    """The mean of the row effects per profile (every row's own, not the profile's mix)."""
    means = effects.groupby(profiles.to_numpy()).mean()
    table = {str(p): {str(a): float(v) for a, v in row.items()} for p, row in means.iterrows()}
    return UpliftTable(effects=table)


DECISION_AGES = (1, 15, 30)
"""Days past due at which an invoice still open counts as a collector's decision."""
ACTION_WINDOW_DAYS = 7
"""An action recorded within this many days of a decision day is that decision's action."""
HORIZON_DAYS = 30


def decision_rows(
    ledger: Ledger, as_of: pd.Timestamp, ages: tuple[int, ...] = DECISION_AGES
) -> pd.DataFrame:
    """The ledger's action history as decisions: one row per invoice still unpaid
    ``age`` days past due (its 30 days after ended by ``as_of``), with the channel of the
    first action recorded in the week from that day (``"none"`` without one) and whether
    it was paid within 30 days: ``invoice_id``, ``client_id``, ``age``, ``action_date``,
    ``action``, ``paid_within_30``."""
    inv = ledger.invoices[ledger.invoices["doc_type"] == "invoice"]
    acts = ledger.actions.sort_values("action_date").drop_duplicates(["invoice_id", "action_date"])
    parts = []
    for age in ages:
        day = inv["due_date"] + pd.Timedelta(days=age)
        paid = inv["paid_date"]
        open_then = paid.isna() | (paid > day)
        keep = open_then & (day + pd.Timedelta(days=HORIZON_DAYS) <= as_of)
        rows = pd.DataFrame(
            {
                "invoice_id": inv["invoice_id"][keep].to_numpy(),
                "client_id": inv["client_id"][keep].to_numpy(),
                "age": age,
                "action_date": day[keep].to_numpy(),
                "paid_within_30": (paid[keep] <= day[keep] + pd.Timedelta(days=HORIZON_DAYS))
                .fillna(False)
                .to_numpy(dtype=bool),
            }
        )
        found = rows.merge(acts[["invoice_id", "action_date", "channel"]], on="invoice_id")
        lag = found["action_date_y"] - found["action_date_x"]
        found = found[(lag >= pd.Timedelta(0)) & (lag < pd.Timedelta(days=ACTION_WINDOW_DAYS))]
        first = found.drop_duplicates("invoice_id").set_index("invoice_id")["channel"]
        rows["action"] = first.reindex(rows["invoice_id"]).fillna(NO_ACTION).astype(str).to_numpy()
        parts.append(rows)
    return pd.concat(parts, ignore_index=True)


def fit_uplift_table(
    ledger: Ledger, as_of: pd.Timestamp, estimator: UpliftEstimator | None = None
) -> UpliftTable:
    """The effect of each action by profile, learnt from ``ledger``'s action history."""
    rows = decision_rows(ledger, as_of)
    cov = uplift_covariates(ledger, rows)
    x = cov[list(COVARIATES)]
    model = (estimator or UpliftEstimator()).fit(x, rows["action"], rows["paid_within_30"])
    return effects_by_profile(model.effects(x), cov["profile"])
