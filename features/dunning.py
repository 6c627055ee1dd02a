"""Relances so far: actions on the client's invoices before as_of, broken promises."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import Timeline
from ledger.days import NEVER

FAMILY = "dunning"
FORMAL = ("formal_notice", "legal")

SPECS = register(
    FeatureSpec(
        "dun_n_actions_client",
        "relances on the client's invoices so far",
        FAMILY,
        description_fr="relances sur les factures du client jusqu'ici",
    ),
    FeatureSpec(
        "dun_n_actions_invoice",
        "relances on this invoice so far",
        FAMILY,
        description_fr="relances sur cette facture jusqu'ici",
    ),
    FeatureSpec(
        "dun_n_formal_notices",
        "mises en demeure and legal actions against the client",
        FAMILY,
        description_fr="mises en demeure et actions contentieuses engagées contre le client",
    ),
    FeatureSpec(
        "dun_n_broken_promises",
        "promises to pay the client did not keep",
        FAMILY,
        description_fr="promesses de règlement que le client n'a pas tenues",
    ),
)
NAMES = [s.name for s in SPECS]


def _broken_promise_days(prepared: PreparedLedger) -> tuple[np.ndarray, np.ndarray]:
    """Rows and days when each broken promise becomes known (after the promised date)."""
    act = prepared.actions
    paid_day = prepared.invoices["paid_day"].to_numpy()[act["row"].to_numpy()]
    promised = act["promised_day"].to_numpy()
    broken = (
        (act["outcome"].to_numpy() == "promise_to_pay")
        & (promised != NEVER)
        & (paid_day > promised)
    )
    return act["row"].to_numpy()[broken], np.maximum(act["day"].to_numpy(), promised)[broken]


class DunningFeatures:
    """The dunning family: fit on a prepared ledger, transform pairs."""

    def fit(self, prepared: PreparedLedger) -> DunningFeatures:
        """Count actions per client and per invoice over time."""
        act = prepared.actions
        code = prepared.invoices["code"].to_numpy()
        rows, day = act["row"].to_numpy(), act["day"].to_numpy()
        # Counts as integers: their running sums are exact and quick (see Timeline).
        formal = np.isin(act["channel"].to_numpy(), FORMAL).astype("int64")
        one = np.ones(len(rows), dtype="int64")
        self.client_ = Timeline.from_deltas(
            code[rows], day, pd.DataFrame({"n": one, "formal": formal})
        )
        self.invoice_ = Timeline.from_deltas(rows, day, pd.DataFrame({"n": one}))
        broken_rows, broken_day = _broken_promise_days(prepared)
        self.broken_ = Timeline.from_deltas(
            code[broken_rows],
            broken_day,
            pd.DataFrame({"n": np.ones(len(broken_rows), dtype="int64")}),
        )
        return self

    def transform(self, pairs: Pairs) -> Columns:
        """Dunning features of each pair."""
        pos = self.client_.positions(pairs.code, pairs.t, pairs.order)
        inv_pos = self.invoice_.positions(pairs.invoice_code, pairs.t)
        broken_pos = self.broken_.positions(pairs.code, pairs.t, pairs.order)
        return {
            "dun_n_actions_client": self.client_.take("n", pos, 0.0),
            "dun_n_actions_invoice": self.invoice_.take("n", inv_pos, 0.0),
            "dun_n_formal_notices": self.client_.take("formal", pos, 0.0),
            "dun_n_broken_promises": self.broken_.take("n", broken_pos, 0.0),
        }
