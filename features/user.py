"""The user's own columns (``x_*``) of invoices and clients, as features without code.

A column whose values all read as numbers is numeric; any other is categorical, with
the categories seen in the ledger when fitted (a value never seen is missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.categories import Categories
from features.prepared import Columns, Pairs, PreparedLedger
from features.registry import FeatureSpec
from ledger.contract import USER_COLUMN_PREFIX, Ledger, user_columns

FAMILY = "user"
CLIENT_PREFIX = "cli_"


def is_user_feature(name: str) -> bool:
    """Whether ``name`` is a user column's feature (``x_*``, ``cli_x_*``): one the data
    makes, not the code."""
    return name.removeprefix(CLIENT_PREFIX).startswith(USER_COLUMN_PREFIX)


def _is_numeric(values: pd.Series) -> bool:
    """Every value present reads as a number (a column with no values at all is numeric)."""
    present = values.dropna()
    if pd.api.types.infer_dtype(present, skipna=True) == "string":
        present = pd.Series(present.unique())  # each distinct text parsed once
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def _spec(name: str, numeric: bool) -> FeatureSpec:
    of_client = name.startswith(CLIENT_PREFIX)
    column = name.removeprefix(CLIENT_PREFIX)
    return FeatureSpec(
        name,
        f"your own column {column} of the {'client' if of_client else 'invoice'}",
        FAMILY,
        "float" if numeric else "category",
        description_fr=f"votre colonne {column} {'du client' if of_client else 'de la facture'}",
    )


def user_sources(ledger: Ledger, clients: pd.DataFrame) -> dict[str, pd.Series]:
    """The values of each user feature, by name: the invoices' ``x_*`` columns, then the
    ``clients``' (one row per client) as ``cli_x_*``."""
    sources = {c: ledger.invoices[c] for c in user_columns(ledger.invoices)}
    return sources | {CLIENT_PREFIX + c: clients[c] for c in user_columns(ledger.clients)}


def user_kinds(sources: dict[str, pd.Series]) -> tuple[dict[str, bool], dict[str, Categories]]:
    """Whether each user feature is numeric, and the categories of the others."""
    numeric = {name: _is_numeric(values) for name, values in sources.items()}
    categories = {name: Categories(v) for name, v in sources.items() if not numeric[name]}
    return numeric, categories


def user_specs(numeric: dict[str, bool]) -> list[FeatureSpec]:
    """Registry entries of user features, numeric or not by name."""
    return [_spec(name, is_numeric) for name, is_numeric in numeric.items()]


class UserFeatures:
    """Invoice and client ``x_*`` columns carried into the model.

    ``kinds``, when given, are :func:`user_kinds` of the whole ledger (a part of it split by
    client may see only numbers in a column that holds text elsewhere); otherwise the
    fitted ledger's.
    """

    def __init__(self, kinds: tuple[dict[str, bool], dict[str, Categories]] | None = None) -> None:
        self.kinds = kinds

    def fit(self, ledger: Ledger, prepared: PreparedLedger) -> UserFeatures:
        """Find the user columns, their kind, and the categories seen."""
        self.invoice_columns_ = user_columns(ledger.invoices)
        self.client_columns_ = user_columns(ledger.clients)
        numeric, categories = self.kinds or user_kinds(user_sources(ledger, prepared.clients))
        self.numeric_: dict[str, bool] = dict(numeric)
        self.categories_: dict[str, Categories] = dict(categories)
        # Client values as arrays by client code, one missing row at the end for the unknown.
        self.client_values_ = {
            CLIENT_PREFIX + c: np.append(prepared.clients[c].to_numpy(dtype=object), [None])
            for c in self.client_columns_
        }
        return self

    @property
    def specs(self) -> list[FeatureSpec]:
        """Registry entries of the user columns found."""
        return user_specs(self.numeric_)

    def _typed(self, name: str, values: np.ndarray) -> np.ndarray | pd.Categorical:
        if self.numeric_[name]:
            return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
        return self.categories_[name].encode(values)

    def transform(self, pairs: Pairs) -> Columns:
        """User columns of each pair's invoice and client."""
        rows = pairs.invoices
        out: Columns = {}
        for column in self.invoice_columns_:
            values = (
                np.asarray(rows[column], dtype=object)
                if column in rows
                else np.full(pairs.size, None, dtype=object)
            )
            out[column] = self._typed(column, values)
        for name, by_code in self.client_values_.items():
            row = np.where(pairs.code >= 0, pairs.code, len(by_code) - 1)
            out[name] = self._typed(name, by_code[row])
        return out
