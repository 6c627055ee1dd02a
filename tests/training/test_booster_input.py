"""Feature frames converted for LightGBM without its pandas path give the same predictions."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from training.booster_input import FEW_ROWS, BoosterInput


@pytest.fixture(scope="module")
def fitted() -> tuple[lgb.LGBMClassifier, pd.DataFrame]:
    """A booster trained on two numeric columns (with gaps) and two categorical ones."""
    rng = np.random.default_rng(3)
    n = 2_000
    sector = rng.choice(["retail", "industry", "public", "services"], n)
    country = rng.choice(["FR", "DE", "ES"], n)
    amount = rng.lognormal(8, 1, n)
    delay = np.where(rng.random(n) < 0.2, np.nan, rng.normal(10, 8, n))
    logit = (sector == "public") * 1.5 - (country == "DE") + np.nan_to_num(delay) / 10 - 1
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    x = pd.DataFrame(
        {
            "amount": amount,
            "sector": pd.Categorical(sector, ["industry", "public", "retail", "services"]),
            "delay": delay,
            "country": pd.Categorical(country, categories=["DE", "ES", "FR"]),
        }
    )
    model = lgb.LGBMClassifier(n_estimators=40, num_leaves=7, verbosity=-1, random_state=0)
    return model.fit(x, y), x


def native(model: lgb.LGBMClassifier, x: pd.DataFrame) -> np.ndarray:
    return np.asarray(model.predict_proba(x)[:, 1])


def converted(model: lgb.LGBMClassifier, x: pd.DataFrame) -> np.ndarray:
    matrix = BoosterInput.of(model.booster_).matrix(x)
    return np.asarray(model.booster_.predict(matrix))


@pytest.mark.parametrize("rows", [1, 3, FEW_ROWS, FEW_ROWS + 1, 2_000])
def test_a_frame_as_trained_predicts_the_same(fitted: tuple, rows: int) -> None:
    model, x = fitted
    part = x.iloc[np.random.default_rng(rows).permutation(len(x))[:rows]]
    np.testing.assert_array_equal(converted(model, part), native(model, part))


@pytest.mark.parametrize("rows", [2, 500])
def test_reordered_unknown_and_missing_categories_read_as_lightgbm_reads_them(
    fitted: tuple, rows: int
) -> None:
    model, x = fitted
    part = x.head(rows).copy()
    sector = part["sector"].astype(object).to_numpy().copy()
    sector[0], sector[1] = "agriculture", None  # never seen in training, and missing
    # Other categories, in another order than in training: codes must follow the values.
    part["sector"] = pd.Categorical(
        sector, categories=["services", "agriculture", "retail", "public", "industry"]
    )
    matrix = BoosterInput.of(model.booster_).matrix(part)
    assert np.isnan(matrix[:2, 1]).all()
    np.testing.assert_array_equal(converted(model, part), native(model, part))


def test_a_frame_with_other_categorical_columns_is_refused(fitted: tuple) -> None:
    model, x = fitted
    with pytest.raises(ValueError, match="2 categorical columns"):
        BoosterInput.of(model.booster_).matrix(x.drop(columns="country"))


def test_boosters_read_alike_only_with_the_same_categories_in_the_same_order(
    fitted: tuple,
) -> None:
    model, x = fitted
    mine = BoosterInput.of(model.booster_)
    other = lgb.LGBMClassifier(n_estimators=5, num_leaves=3, verbosity=-1, random_state=1)
    other.fit(x, np.arange(len(x)) % 2)  # another booster on the same frame: same categories
    assert mine.reads_like(BoosterInput.of(other.booster_))
    np.testing.assert_array_equal(mine.matrix(x), BoosterInput.of(other.booster_).matrix(x))
    reordered = x.assign(
        sector=x["sector"].cat.reorder_categories(["public", "industry", "retail", "services"])
    )
    shuffled = lgb.LGBMClassifier(n_estimators=5, num_leaves=3, verbosity=-1, random_state=1)
    shuffled.fit(reordered, np.arange(len(x)) % 2)
    assert not mine.reads_like(BoosterInput.of(shuffled.booster_))
    fewer = lgb.LGBMClassifier(n_estimators=5, num_leaves=3, verbosity=-1, random_state=1)
    fewer.fit(x.drop(columns="country"), np.arange(len(x)) % 2)
    assert not mine.reads_like(BoosterInput.of(fewer.booster_))


@pytest.mark.parametrize("rows", [1, FEW_ROWS + 1])
def test_columns_without_their_frame_read_as_the_frame(fitted: tuple, rows: int) -> None:
    model, x = fitted
    part = x.head(rows).copy()
    sector = part["sector"].astype(object).to_numpy().copy()
    sector[0] = "agriculture"  # never seen in training
    part["sector"] = pd.Categorical(sector, categories=["services", "agriculture", "retail"])
    reader = BoosterInput.of(model.booster_)
    columns = {
        name: values.array if isinstance(values.dtype, pd.CategoricalDtype) else values.to_numpy()
        for name, values in part.items()
    }
    names = list(part.columns)
    np.testing.assert_array_equal(reader.matrix_of(columns, names), reader.matrix(part))
    # A column the booster knows but the features lack is missing, as reindexing makes it.
    wider = [*names[:2], "gone", *names[2:]]
    np.testing.assert_array_equal(
        reader.matrix_of(columns, wider), reader.matrix(part.reindex(columns=wider))
    )
    with pytest.raises(ValueError, match="2 categorical columns"):
        reader.matrix_of({k: v for k, v in columns.items() if k != "country"}, names)
