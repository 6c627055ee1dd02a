"""The user's own columns (``x_*``) of invoices and clients, as features without code.

A column whose values all read as numbers is numeric; any other is categorical, with
the categories seen in the ledger when fitted (a value never seen is missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.prepared import Pairs, PreparedLedger
from features.registry import FeatureSpec
from ledger.contract import Ledger, user_columns

FAMILY = "user"
CLIENT_PREFIX = "cli_"


def _is_numeric(values: pd.Series) -> bool:
    present = values.dropna()
    return bool(len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().all())


def _spec(name: str, numeric: bool) -> FeatureSpec:
    table = "client" if name.startswith(CLIENT_PREFIX) else "invoice"
    description = f"your own column {name.removeprefix(CLIENT_PREFIX)} of the {table}"
    return FeatureSpec(name, description, FAMILY, "float" if numeric else "category")


class UserFeatures:
    """Invoice and client ``x_*`` columns carried into the model."""

    def fit(self, ledger: Ledger, prepared: PreparedLedger) -> UserFeatures:
        """Find the user columns, their kind, and the categories seen."""
        self.invoice_columns_ = user_columns(ledger.invoices)
        self.client_columns_ = user_columns(ledger.clients)
        self.numeric_: dict[str, bool] = {}
        self.categories_: dict[str, list[str]] = {}
        sources = [(c, ledger.invoices[c]) for c in self.invoice_columns_] + [
            (CLIENT_PREFIX + c, ledger.clients[c]) for c in self.client_columns_
        ]
        for name, values in sources:
            self.numeric_[name] = _is_numeric(values)
            if not self.numeric_[name]:
                self.categories_[name] = sorted(values.dropna().astype(str).unique().tolist())
        self.client_values_ = prepared.clients[self.client_columns_].reset_index(drop=True)
        return self

    @property
    def specs(self) -> list[FeatureSpec]:
        """Registry entries of the user columns found."""
        return [_spec(name, numeric) for name, numeric in self.numeric_.items()]

    def _typed(self, name: str, values: pd.Series) -> pd.Series:
        if self.numeric_[name]:
            return pd.to_numeric(values, errors="coerce").astype("float64")
        as_text = values.astype(object).where(values.notna(), None)
        return pd.Series(
            pd.Categorical(
                as_text.map(lambda v: None if v is None else str(v)),
                categories=self.categories_[name],
            ),
            index=values.index,
        )

    def transform(self, pairs: Pairs) -> pd.DataFrame:
        """User columns of each pair's invoice and client."""
        rows = pairs.invoices
        out = pd.DataFrame(index=pairs.index)
        for column in self.invoice_columns_:
            values = rows[column] if column in rows else pd.Series(None, index=rows.index)
            out[column] = self._typed(column, values.set_axis(pairs.index))
        known = pairs.code >= 0
        for column in self.client_columns_:
            values = self.client_values_[column].to_numpy()[np.maximum(pairs.code, 0)]
            values = pd.Series(np.where(known, values, None), index=pairs.index)
            out[CLIENT_PREFIX + column] = self._typed(CLIENT_PREFIX + column, values)
        return out
