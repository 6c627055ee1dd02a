"""The Dask engine on a LocalCluster: the same features and training matrix as pandas, to
the last bit, and a scheduler that does not answer told in one line."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine

import training.cluster_features as cluster_features_module
from features.partitions import ID_COLUMNS, ledger_features
from ledger.client_ranges import ClientRange
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from simulator import SimulationConfig, simulate
from training.cluster import SchedulerUnreachable, dask_client
from training.cluster_features import (
    READ_TRIES,
    LedgerChanged,
    StoredLedger,
    cluster_engine,
    cluster_features,
    emptied,
    write_stored,
)
from training.dataset import ledger_end, out_of_time_split


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two single-threaded workers in this process, shared by the module."""
    with dask_client(None, workers=2, processes=False) as opened:
        yield opened


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return simulate(SimulationConfig(n_clients=30, n_months=12, seed=4)).ledger


@pytest.mark.parametrize("as_of", [None, pd.Timestamp("2024-10-15")], ids=["issue", "open"])
def test_dask_features_equal_the_pandas_ones(
    client: Any, ledger: Ledger, as_of: pd.Timestamp | None
) -> None:
    pandas = ledger_features(ledger, as_of)

    dask = cluster_features(client, ledger, as_of, parts=5)

    assert len(pandas) >= 50
    pd.testing.assert_frame_equal(dask, pandas, check_exact=True)  # categories included
    for name in ("cli_sector", "cli_country", "inv_currency", "cli_x_segment"):
        assert list(dask[name].cat.categories) == list(pandas[name].cat.categories), name


def test_the_training_matrix_built_on_the_cluster_is_the_pandas_one(
    client: Any, ledger: Ledger
) -> None:
    end = ledger_end(ledger)
    cutoff = end - pd.Timedelta(days=120)

    pandas = out_of_time_split(ledger, cutoff, end)
    dask = out_of_time_split(ledger, cutoff, end, cluster_engine(client, parts=3))

    pd.testing.assert_frame_equal(dask.x_train, pandas.x_train, check_exact=True)
    pd.testing.assert_frame_equal(dask.x_test, pandas.x_test, check_exact=True)
    pd.testing.assert_frame_equal(dask.train, pandas.train)
    assert dask.onboarding_features == pandas.onboarding_features
    assert not set(ID_COLUMNS) & set(dask.x_train.columns)


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1:1"])
def test_a_scheduler_that_does_not_answer_is_told(address: str) -> None:
    started = time.monotonic()

    with (
        pytest.raises(SchedulerUnreachable, match=f"no Dask scheduler answers at {address}"),
        dask_client(address, connect_seconds=1),
    ):
        pass

    assert time.monotonic() - started < 10


def reading_during_imports(
    monkeypatch: pytest.MonkeyPatch, bumped: Callable[[int], bool]
) -> list[int]:
    """Part reads of which the ``n``-th (from 1) sees a later ledger version when
    ``bumped(n)``, as after an import committed meanwhile; the reads made, listed. (A real
    import between concurrent reads could land before or after either's snapshot.)"""
    reads: list[int] = []
    numbers = itertools.count(1)  # next() is atomic: the reads run in two threads
    read = cluster_features_module.load_ledger_part

    def read_during_imports(
        engine: Engine, clients: ClientRange, *tables: Any
    ) -> tuple[Ledger, int]:
        n = next(numbers)
        reads.append(n)
        later = bumped(n)
        ledger, version = read(engine, clients, *tables)
        return ledger, version + later

    monkeypatch.setattr(cluster_features_module, "load_ledger_part", read_during_imports)
    return reads


def test_parts_written_by_the_workers_are_of_one_ledger_version(
    client: Any, ledger: Ledger, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Written part by part, nothing kept: a range read at another version than the
    population's makes the whole write start again."""
    engine = make_engine(sqlite_url)
    migrate(engine)
    save_ledger(engine, ledger)
    expected = ledger_features(load_ledger(engine), None)
    engine.dispose()
    stored, out = StoredLedger(sqlite_url), tmp_path / "x.parquet"
    # Three ranges: the population's reads, then the writes' reads, in each round.
    reads = reading_during_imports(monkeypatch, lambda n: n in (2, 8))

    write_stored(client, stored, out, ledger_features, parts=3, as_of=None)

    assert len(reads) == 15  # population missed, then writes missed, then both
    assert len(list(out.glob("*.parquet"))) == 3
    got = pd.read_parquet(out).sort_values("invoice_id", ignore_index=True)
    want = expected.sort_values("invoice_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for name in ("cli_sector", "inv_currency"):
        assert list(got[name].cat.categories) == list(want[name].cat.categories)

    monkeypatch.undo()
    reads = reading_during_imports(monkeypatch, lambda n: n % 3 == 2)
    with pytest.raises(LedgerChanged, match="changed while its parts were read"):
        write_stored(client, stored, out, ledger_features, parts=3, as_of=None)
    assert len(reads) == 3 * READ_TRIES  # each try stopped at its population's reads


def test_an_out_folder_loses_only_the_parts_of_an_earlier_write(tmp_path: Path) -> None:
    folder, file = tmp_path / "scores", tmp_path / "scores.parquet"
    folder.mkdir()
    (folder / "part.9.0.parquet").write_bytes(b"an earlier write's part")
    (folder / "notes.txt").write_text("the user's own")
    file.write_bytes(b"an earlier pandas write")

    emptied(folder)
    emptied(file)

    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    assert file.is_dir() and not any(file.iterdir())
