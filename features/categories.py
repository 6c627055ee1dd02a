"""Categorical features with their categories fixed when fitted.

Training and serving then encode a value the same way; a value never seen while
fitting is missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# From this many values, text is encoded through its distinct values (hashing in C);
# below it (one invoice online) the plain loop is faster.
_MANY = 1_000


def _many_texts(values: np.ndarray) -> bool:
    """A large array holding only text and missing values.

    Only text may go through hashing: it would merge values that compare equal but read
    differently (``1``, ``1.0``, ``True``).
    """
    return len(values) >= _MANY and pd.api.types.infer_dtype(values, skipna=True) == "string"


class Categories:
    """The categories of one feature, learned from the ledger."""

    def __init__(self, values: pd.Series | np.ndarray) -> None:
        objects = np.asarray(values, dtype=object)
        distinct = pd.unique(objects) if _many_texts(objects) else objects
        present = pd.Series(distinct).dropna().astype(str)
        self.dtype = pd.CategoricalDtype(sorted(present.unique().tolist()))
        self._codes = {value: code for code, value in enumerate(self.dtype.categories)}

    def _codes_one_by_one(self, values: np.ndarray) -> np.ndarray:
        """Codes of ``values`` looked up one at a time."""
        lookup = self._codes.get
        return np.fromiter(
            (
                lookup(v if isinstance(v, str) else str(v), -1) if v is not None and v == v else -1
                for v in values
            ),
            dtype=np.int64,
            count=len(values),
        )

    def codes(self, values: pd.Series | np.ndarray) -> np.ndarray:
        """Integer codes of ``values``; -1 for missing or unseen ones."""
        objects = np.asarray(values, dtype=object)
        if not _many_texts(objects):
            return self._codes_one_by_one(objects)
        # Each distinct text looked up once; missing values factorize to -1.
        positions, distinct = pd.factorize(objects)
        lookup = np.append(self._codes_one_by_one(np.asarray(distinct, dtype=object)), -1)
        return lookup[positions]

    def encode(self, values: pd.Series | np.ndarray) -> pd.Categorical:
        """``values`` as a categorical with the fitted categories."""
        return self.from_codes(self.codes(values))

    def from_codes(self, codes: np.ndarray) -> pd.Categorical:
        """A categorical from codes computed earlier (-1 = missing)."""
        return pd.Categorical.from_codes(codes, dtype=self.dtype)
