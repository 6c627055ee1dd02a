"""Who the client is: sector, country, public buyer, relationship age, terms, limit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from features.timeline import NEVER, days

FAMILY = "client"

SPECS = register(
    FeatureSpec("cli_sector", "business sector of the client", FAMILY, "category"),
    FeatureSpec("cli_country", "country of the client", FAMILY, "category"),
    FeatureSpec("cli_public_sector", "the client is a public-sector buyer", FAMILY),
    FeatureSpec("cli_relationship_days", "days since the relationship started", FAMILY),
    FeatureSpec("cli_terms_days", "payment terms agreed with the client, in days", FAMILY),
    FeatureSpec("cli_log_credit_limit", "logarithm of the client's credit limit", FAMILY),
)
NAMES = [s.name for s in SPECS]


class ClientFeatures:
    """The client family: attributes read from the clients table."""

    def fit(self, prepared: PreparedLedger) -> ClientFeatures:
        """Keep the client attributes aligned with the client codes."""
        clients = prepared.clients
        created = days(clients["created_on"]).astype("float64")
        created[created == NEVER] = np.nan
        limit = clients["credit_limit_cents"].astype("float64").to_numpy() / 100
        self.table_ = pd.DataFrame(
            {
                "cli_sector": clients["sector"].astype(object).to_numpy(),
                "cli_country": clients["country"].astype(object).to_numpy(),
                "cli_public_sector": clients["is_public_sector"]
                .astype("float64")
                .fillna(0.0)
                .to_numpy(),
                "created_day": created,
                "cli_terms_days": clients["payment_terms_days"].astype("float64").to_numpy(),
                "cli_log_credit_limit": np.log1p(limit),
            }
        )
        return self

    def transform(self, pairs: Pairs) -> pd.DataFrame:
        """Client attributes of each pair; missing for a client the ledger does not hold."""
        known = pairs.code >= 0
        rows = self.table_.iloc[np.maximum(pairs.code, 0)].reset_index(drop=True)
        rows = rows.where(pd.Series(known), None) if len(rows) else rows
        out = pd.DataFrame(
            {
                "cli_sector": rows["cli_sector"].to_numpy(),
                "cli_country": rows["cli_country"].to_numpy(),
                "cli_public_sector": rows["cli_public_sector"].astype("float64").to_numpy(),
                "cli_relationship_days": pairs.t - rows["created_day"].astype("float64").to_numpy(),
                "cli_terms_days": rows["cli_terms_days"].astype("float64").to_numpy(),
                "cli_log_credit_limit": rows["cli_log_credit_limit"].astype("float64").to_numpy(),
            },
            index=pairs.index,
        )
        return out[NAMES]
