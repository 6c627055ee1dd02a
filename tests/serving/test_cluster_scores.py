"""Batch scoring on a LocalCluster: every open invoice scored by the workers, part by part,
gives the very scores of the pandas engine (the service the API's scoring runs on)."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine

from config import Settings
from ledger.contract import Ledger
from ledger.storage import save_ledger
from serving.batch_scores import SCORE_COLUMNS, part_scores
from serving.champions import ModelSet
from serving.cluster_scores import cluster_scores
from serving.scoring import LoadedModel
from serving.services import context_of, open_invoice_scores
from serving.services.batch import write_features, write_scores
from simulator import SimulationConfig, simulate
from training.cluster import dask_client
from training.cluster_features import StoredLedger
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL, TIME_MODEL, fit_models


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two single-threaded workers in this process, shared by the module."""
    with dask_client(None, workers=2, processes=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def fitted() -> tuple[Ledger, ModelSet, pd.Timestamp]:
    """A small simulated ledger, its late-payment and payment-time models, and a date a
    month before its end (invoices still open then)."""
    ledger = simulate(SimulationConfig(n_clients=30, n_months=12, seed=7)).ledger
    end = ledger_end(ledger)
    models = fit_models(out_of_time_split(ledger, end - pd.Timedelta(days=183), end))
    served = ModelSet.of(
        [LoadedModel(LATE_MODEL, "1", models.late), LoadedModel(TIME_MODEL, "1", models.time)]
    )
    return ledger, served, end - pd.Timedelta(days=30)


def test_dask_scores_equal_the_pandas_ones(
    client: Any, fitted: tuple[Ledger, ModelSet, pd.Timestamp]
) -> None:
    ledger, models, as_of = fitted
    pandas = open_invoice_scores(context_of(ledger, models, Settings()), as_of.date())

    late, time = models.get(LATE_MODEL), models.get(TIME_MODEL)
    assert late is not None and time is not None

    dask = cluster_scores(client, ledger, late, time, as_of, parts=4)

    assert list(pandas.columns) == list(SCORE_COLUMNS)
    assert len(pandas) >= 20 and pandas["p90_date"].notna().any()
    assert pandas["p_late"].between(0, 1).all()
    # The features are the same to the last bit; a score may differ in its last bit with
    # the batch it is computed in (numpy's vectorised exp rounds a batch's tail apart).
    pd.testing.assert_frame_equal(dask, pandas, rtol=1e-13, atol=0)


def test_models_sent_to_worker_processes_score_the_same(
    fitted: tuple[Ledger, ModelSet, pd.Timestamp],
) -> None:
    """Worker processes get the models pickled (threads here do not): same scores."""
    from features.population import population_of

    ledger, models, as_of = fitted
    late, time = models.get(LATE_MODEL), models.get(TIME_MODEL)
    population = population_of(ledger)

    sent = part_scores(ledger, population, *pickle.loads(pickle.dumps((late, time))), as_of)

    pd.testing.assert_frame_equal(sent, part_scores(ledger, population, late, time, as_of))


def test_both_engines_write_the_same_parquet(
    client: Any, fitted: tuple[Ledger, ModelSet, pd.Timestamp], tmp_path: Path
) -> None:
    ledger, models, as_of = fitted
    settings = Settings()
    day = as_of.date()

    one = write_scores(ledger, models, settings, day, tmp_path / "one.parquet")
    parts = write_scores(ledger, models, settings, day, tmp_path / "parts.parquet", client)
    features_one = write_features(ledger, None, tmp_path / "x.parquet")
    features_parts = write_features(ledger, None, tmp_path / "x-parts.parquet", client)

    assert (one.engine, parts.engine) == ("pandas", "dask")
    assert (tmp_path / "parts.parquet").is_dir()
    assert one.rows == parts.rows > 0 and one.columns == parts.columns == list(SCORE_COLUMNS)
    for a, b, rtol in ((one, parts, 1e-13), (features_one, features_parts, 0.0)):
        expected = pd.read_parquet(a.path).sort_values("invoice_id", ignore_index=True)
        got = pd.read_parquet(b.path).sort_values("invoice_id", ignore_index=True)
        pd.testing.assert_frame_equal(got, expected, check_exact=not rtol, rtol=rtol, atol=0)
    assert features_one.rows == (ledger.invoices["doc_type"] == "invoice").sum()


def test_a_stored_ledger_read_part_by_part_by_the_workers_gives_the_same_parquet(
    client: Any,
    fitted: tuple[Ledger, ModelSet, pd.Timestamp],
    engine: Engine,
    database_url: str,
    tmp_path: Path,
) -> None:
    """No process holds the whole ledger: each worker reads its clients from the database."""
    ledger, models, as_of = fitted
    save_ledger(engine, ledger)
    stored, settings, day = StoredLedger(database_url), Settings(), as_of.date()

    written = {
        "scores": (
            write_scores(stored, models, settings, day, tmp_path / "s.parquet"),
            write_scores(stored, models, settings, day, tmp_path / "s-parts.parquet", client),
        ),
        "features": (
            write_features(stored, day, tmp_path / "x.parquet"),
            write_features(stored, day, tmp_path / "x-parts.parquet", client),
        ),
    }

    for name, (one, parts) in written.items():
        assert (one.engine, parts.engine) == ("pandas", "dask")
        assert one.rows == parts.rows > 20 and one.columns == parts.columns, name
        expected = pd.read_parquet(one.path).sort_values("invoice_id", ignore_index=True)
        got = pd.read_parquet(parts.path).sort_values("invoice_id", ignore_index=True)
        exact = name == "features"
        pd.testing.assert_frame_equal(got, expected, check_exact=exact, rtol=1e-13, atol=0)
