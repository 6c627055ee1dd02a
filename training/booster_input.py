"""Feature frames as the numbers a LightGBM booster reads, without LightGBM's pandas path.

LightGBM converts a pandas frame at every call (a shallow copy, a check of each
categorical column's categories, codes through ``DataFrame.apply``): about 2.5 ms whatever
the number of rows, most of the time it takes to score one invoice online. The same
numbers come from one block conversion of the numeric columns and one code lookup per
categorical column, in a few tens of microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import lightgbm as lgb
import numpy as np
import pandas as pd

ONE_THREAD_ROWS = 256
"""Up to this many rows a prediction runs on one thread: more threads cost more to wake than
they save, and they would take the core of another request's process."""


def threads_for(rows: int) -> int:
    """LightGBM's ``num_threads`` for predicting ``rows`` rows (0: its default, every core)."""
    return 1 if rows <= ONE_THREAD_ROWS else 0


class FittedBooster(Protocol):
    """What the models read of their fitted ``LGBMClassifier``: its booster and its number of
    trees. A model read back from LightGBM's own format holds a
    :class:`training.model_files.SavedBooster` in its place (no scikit-learn wrapper to
    unpickle)."""

    @property
    def booster_(self) -> lgb.Booster:
        """The trained booster."""
        ...

    @property
    def n_estimators(self) -> int:
        """The number of boosting rounds it was given."""
        ...


FEW_ROWS = 64
"""Up to this many rows, a frame is converted through one object array (see ``_few_rows``)."""


@dataclass(frozen=True)
class BoosterInput:
    """How a booster reads a frame: which columns are categorical, with which categories.

    ``categories`` are the categories each categorical column had in training, in the
    order of those columns (LightGBM's ``pandas_categorical``): a value's code is its
    position there, and a value training never saw is missing (NaN), as in LightGBM.
    """

    categories: tuple[pd.Index, ...]

    @classmethod
    def of(cls, booster: lgb.Booster) -> BoosterInput:
        """The input of a booster trained on a pandas frame."""
        return cls(tuple(pd.Index(c) for c in (booster.pandas_categorical or [])))

    def reads_like(self, other: BoosterInput) -> bool:
        """Whether ``other`` turns a frame into the very matrix this one does."""
        return len(self.categories) == len(other.categories) and all(
            mine.equals(theirs)
            for mine, theirs in zip(self.categories, other.categories, strict=True)
        )

    @cached_property
    def codes(self) -> tuple[dict[object, int], ...]:
        """Each categorical column's code by category, for :meth:`_few_rows`'s lookups."""
        return tuple({value: code for code, value in enumerate(c)} for c in self.categories)

    def matrix(self, x: pd.DataFrame) -> np.ndarray:
        """``x`` as a float64 matrix: numeric columns as they are, categorical ones as codes."""
        is_category = np.array([isinstance(t, pd.CategoricalDtype) for t in x.dtypes], bool)
        if int(is_category.sum()) != len(self.categories):
            raise ValueError(
                f"the booster was trained with {len(self.categories)} categorical columns, "
                f"the frame has {int(is_category.sum())}"
            )
        if len(x) <= FEW_ROWS:
            return self._few_rows(x, is_category)
        out = np.empty(x.shape, dtype="float64")
        numeric = np.flatnonzero(~is_category)
        if len(numeric):
            out[:, numeric] = x.take(numeric, axis=1).to_numpy(dtype="float64", na_value=np.nan)
        names = list(x.columns)
        for j, trained in zip(np.flatnonzero(is_category), self.categories, strict=True):
            out[:, j] = _trained_codes(x[names[int(j)]].array, trained)
        return out

    def matrix_of(
        self, columns: Mapping[str, np.ndarray | pd.Categorical], names: Sequence[str]
    ) -> np.ndarray:
        """The frame of ``columns`` (arrays by name, as ``FeatureBuilder.columns`` gives
        them) and ``names`` its columns, as :meth:`matrix` reads it, without the frame:
        online, building the frame and reading it back cost more than the features. A name
        missing from ``columns`` is a column of NaN (as reindexing the frame makes it)."""
        rows = len(next(iter(columns.values()), ()))
        out = np.full((rows, len(names)), np.nan)
        categorical = []
        for j, name in enumerate(names):
            values = columns.get(name)
            if isinstance(values, pd.Categorical):
                categorical.append((j, values))
            elif values is not None:
                out[:, j] = values
        if len(categorical) != len(self.categories):
            raise ValueError(
                f"the booster was trained with {len(self.categories)} categorical columns, "
                f"the columns hold {len(categorical)}"
            )
        for (j, values), trained in zip(categorical, self.categories, strict=True):
            out[:, j] = _trained_codes(values, trained)
        return out

    def _few_rows(self, x: pd.DataFrame, is_category: np.ndarray) -> np.ndarray:
        # Through one object array: a pandas column costs ~50 µs to take out of a frame,
        # more than converting a few rows of every column at once.
        values = x.to_numpy(dtype=object)
        out = np.empty(x.shape, dtype="float64")
        numeric = np.flatnonzero(~is_category)
        out[:, numeric] = values[:, numeric].astype("float64")
        for j, codes in zip(np.flatnonzero(is_category), self.codes, strict=True):
            out[:, j] = [codes.get(value, np.nan) for value in values[:, j]]
        return out


def _trained_codes(values: pd.Categorical, trained: pd.Index) -> np.ndarray:
    """Codes of ``values`` among the ``trained`` categories, as floats: NaN for a missing
    value or one training never saw, as LightGBM reads them."""
    codes = np.asarray(values.codes)
    if not values.categories.equals(trained):  # another order, or values training never saw
        codes = np.where(codes < 0, -1, trained.get_indexer(values.categories)[codes])
    return np.where(codes < 0, np.nan, codes)
