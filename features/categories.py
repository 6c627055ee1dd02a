"""Categorical features with their categories fixed when fitted.

Training and serving then encode a value the same way; a value never seen while
fitting is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


class Categories:
    """The categories of one feature, learned from the ledger."""

    def __init__(self, values: pd.Series | np.ndarray) -> None:
        present = pd.Series(np.asarray(values, dtype=object)).dropna().astype(str)
        self.dtype = pd.CategoricalDtype(sorted(present.unique().tolist()))
        self._codes = {value: code for code, value in enumerate(self.dtype.categories)}

    def codes(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Integer codes of ``values``; -1 for missing or unseen ones."""
        lookup = self._codes.get
        return np.fromiter(
            (
                lookup(v if isinstance(v, str) else str(v), -1) if v is not None and v == v else -1
                for v in np.asarray(values, dtype=object)
            ),
            dtype=np.int64,
            count=len(values),
        )

    def encode(self, values: pd.Series | np.ndarray) -> pd.Categorical:
        """``values`` as a categorical with the fitted categories."""
        return self.from_codes(self.codes(values))

    def from_codes(self, codes: np.ndarray) -> pd.Categorical:
        """A categorical from codes computed earlier (-1 = missing)."""
        return pd.Categorical.from_codes(codes, dtype=self.dtype)
