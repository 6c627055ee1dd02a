"""What the features learn from every client at once, computed apart so that a ledger split
by client (the Dask engine) describes each invoice as the whole ledger does.

Four things in the features read beyond one client: the population's settlements that a
short history is shrunk toward (history), the categories of sector and country (client)
and of currency (invoice), and the kind and categories of the user's ``x_*`` columns. Each
part of a split ledger gives its :class:`PopulationPart`; :func:`combined_population`
puts them together, and every part is then fitted with the same :class:`Population`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.categories import Categories
from features.history import population_timeline, settlement_deltas
from features.invoice import currency_categories
from features.timeline import Timeline
from features.user import user_kinds, user_sources
from ledger.contract import Ledger
from ledger.days import NEVER, day_numbers


@dataclass(frozen=True)
class Population:
    """The ledger-wide state of the feature families (see the module)."""

    history: Timeline
    sector: Categories
    country: Categories
    currency: Categories
    user: tuple[dict[str, bool], dict[str, Categories]]


@dataclass(frozen=True)
class PopulationPart:
    """What one part of a ledger split by client adds to the :class:`Population`: its
    settlements and the distinct values of its categorical columns."""

    deltas: pd.DataFrame
    sector: np.ndarray
    country: np.ndarray
    currency: np.ndarray
    user: dict[str, np.ndarray]


def _distinct(values: pd.Series | np.ndarray) -> np.ndarray:
    """The values present, text deduplicated (a category depends only on which values
    occur); other values all kept, since hashing would merge ``1``, ``1.0`` and ``True``."""
    objects = np.asarray(values, dtype=object)
    present = objects[pd.notna(objects)]
    if pd.api.types.infer_dtype(present, skipna=True) == "string":
        return np.asarray(pd.unique(present), dtype=object)
    return present


def population_part(ledger: Ledger) -> PopulationPart:
    """The :class:`PopulationPart` of ``ledger`` (a whole ledger, or a part split by client)."""
    inv = ledger.invoices[ledger.invoices["doc_type"] == "invoice"]
    paid = day_numbers(inv["paid_date"])
    settled = paid != NEVER
    deltas = settlement_deltas(
        paid[settled],
        day_numbers(inv["due_date"])[settled],
        inv["disputed"].fillna(False).to_numpy(dtype=bool)[settled],
    )
    clients = ledger.clients.drop_duplicates("client_id")
    return PopulationPart(
        deltas=deltas,
        sector=_distinct(clients["sector"]),
        country=_distinct(clients["country"]),
        currency=_distinct(inv["currency"]),
        user={name: _distinct(v) for name, v in user_sources(ledger, clients).items()},
    )


def combined_population(parts: Sequence[PopulationPart]) -> Population:
    """The :class:`Population` of a ledger from the parts of its split (at least one)."""

    def joined(values: list[np.ndarray]) -> np.ndarray:
        return np.concatenate([np.asarray(v, dtype=object) for v in values])

    user = {
        name: pd.Series(joined([p.user[name] for p in parts]), dtype=object)
        for name in parts[0].user
    }
    return Population(
        history=population_timeline(pd.concat([p.deltas for p in parts], ignore_index=True)),
        sector=Categories(joined([p.sector for p in parts])),
        country=Categories(joined([p.country for p in parts])),
        currency=currency_categories(joined([p.currency for p in parts])),
        user=user_kinds(user),
    )


def population_of(ledger: Ledger) -> Population:
    """The :class:`Population` of a whole ledger."""
    return combined_population([population_part(ledger)])
