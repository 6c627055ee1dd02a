"""Who the client is: sector, country, public buyer, relationship age, terms, limit."""

from __future__ import annotations

import numpy as np

from features.categories import Categories
from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec, register
from ledger.days import NEVER, day_numbers

FAMILY = "client"

SPECS = register(
    FeatureSpec(
        "cli_sector",
        "business sector of the client",
        FAMILY,
        "category",
        description_fr="secteur d'activité du client",
    ),
    FeatureSpec(
        "cli_country", "country of the client", FAMILY, "category", description_fr="pays du client"
    ),
    FeatureSpec(
        "cli_public_sector",
        "the client is a public-sector buyer",
        FAMILY,
        description_fr="le client est un acheteur public",
    ),
    FeatureSpec(
        "cli_relationship_days",
        "days since the relationship started",
        FAMILY,
        description_fr="jours depuis le début de la relation commerciale",
    ),
    FeatureSpec(
        "cli_terms_days",
        "payment terms agreed with the client, in days",
        FAMILY,
        description_fr="délai de paiement convenu avec le client, en jours",
    ),
    FeatureSpec(
        "cli_log_credit_limit",
        "logarithm of the client's credit limit",
        FAMILY,
        description_fr="logarithme de la limite de crédit du client",
    ),
)
NAMES = [s.name for s in SPECS]


class ClientFeatures:
    """The client family: attributes read from the clients table.

    ``sector`` and ``country``, when given, are the categories of the whole ledger (a part
    of it split by client would see fewer); otherwise the fitted ledger's.
    """

    def __init__(self, sector: Categories | None = None, country: Categories | None = None) -> None:
        self.sector = sector
        self.country = country

    def fit(self, prepared: PreparedLedger) -> ClientFeatures:
        """Keep the client attributes as arrays aligned with the client codes."""
        clients = prepared.clients
        created = day_numbers(clients["created_on"]).astype("float64")
        created[created == NEVER] = np.nan
        limit = clients["credit_limit_cents"].astype("float64").to_numpy() / 100
        self.sector_ = self.sector if self.sector is not None else Categories(clients["sector"])
        self.country_ = self.country if self.country is not None else Categories(clients["country"])
        # One extra row at the end (all missing) answers for clients the ledger lacks.
        self.sector_codes_ = np.append(self.sector_.codes(clients["sector"]), -1)
        self.country_codes_ = np.append(self.country_.codes(clients["country"]), -1)
        numbers = {
            "cli_public_sector": clients["is_public_sector"].astype("float64").fillna(0.0),
            "created_day": created,
            "cli_terms_days": clients["payment_terms_days"].astype("float64"),
            "cli_log_credit_limit": np.log1p(limit),
        }
        self.numbers_ = {
            name: np.append(np.asarray(values, dtype="float64"), np.nan)
            for name, values in numbers.items()
        }
        return self

    def transform(self, pairs: Pairs) -> Columns:
        """Client attributes of each pair; missing for a client the ledger does not hold."""
        row = np.where(pairs.code >= 0, pairs.code, len(self.sector_codes_) - 1)
        return {
            "cli_sector": self.sector_.from_codes(self.sector_codes_[row]),
            "cli_country": self.country_.from_codes(self.country_codes_[row]),
            "cli_public_sector": self.numbers_["cli_public_sector"][row],
            "cli_relationship_days": pairs.t - self.numbers_["created_day"][row],
            "cli_terms_days": self.numbers_["cli_terms_days"][row],
            "cli_log_credit_limit": self.numbers_["cli_log_credit_limit"][row],
        }
