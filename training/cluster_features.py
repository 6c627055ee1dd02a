"""The features of a ledger built on a Dask cluster, part by part, with the pandas code.

The ledger is cut by client and its parts put on the workers with what the features learn
from every client at once (the population: categories, the prior of settlements;
:mod:`features.population`); then each part runs
:func:`features.partitions.ledger_features`, the very function of the pandas engine,
with that population. The result equals the pandas engine's to the last bit.

The parts come from one of two places:

- a ledger in this process (:class:`~ledger.contract.Ledger`) is split here
  (:func:`features.partitions.split_by_client`) and scattered;
- a ledger left in its database (:class:`StoredLedger`) is read by the workers, a range of
  clients at a time (:mod:`ledger.client_ranges`), the population put together from what
  each range adds to it, each part written once computed (:func:`write_stored`): no
  process ever holds the whole ledger (10 million invoices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd

from features.partitions import ID_COLUMNS, ledger_features, split_by_client
from features.pipeline import SPECS
from features.population import (
    Population,
    PopulationPart,
    combined_population,
    population_of,
    population_part,
)
from features.registry import FeatureSpec
from features.user import user_specs
from ledger.client_ranges import ClientRange, client_ranges
from ledger.contract import Ledger
from ledger.storage import load_ledger_part, make_engine, table_counts
from training.cluster import worker_threads
from training.dataset import FeatureEngine

INVOICES_PER_PART = 250_000
"""Parts hold about this many invoices, and there are at least two per worker thread: a
part's fit holds a few copies of its rows in memory."""


READ_TRIES = 3
"""How many times the parts of a stored ledger are read before giving up when the ledger
changes while they are read."""


@dataclass(frozen=True)
class StoredLedger:
    """A ledger left in the database at ``url`` (SQLAlchemy's form): every worker reads
    its own parts there (a SQLite file must be at the same path for every worker)."""

    url: str


class LedgerChanged(Exception):
    """The ledger kept changing while its parts were read (imports under way)."""

    def __init__(self, tries: int) -> None:
        super().__init__(
            f"the ledger changed while its parts were read ({tries} tries): run the command "
            "again once the imports are done"
        )


def part_count(client: Any, invoices: int) -> int:
    """How many parts to cut a ledger of ``invoices`` invoices into for the cluster of
    ``client``."""
    threads = worker_threads(client)
    by_size = -(-invoices // INVOICES_PER_PART)
    return threads * max(2, -(-by_size // threads))  # as many parts for every thread


READS_PER_THREAD = 2
"""A stored ledger is read in at most this many ranges of clients per worker thread, each
then split into parts where it is read: a range read apart from the others costs a pass
over each large table (SQLite), so their count must not grow with the ledger."""


def write_stored(
    client: Any,
    stored: StoredLedger,
    path: Path,
    function: Callable[..., pd.DataFrame],
    parts: int | None = None,
    **options: Any,
) -> None:
    """``function(part, population=..., **options)`` of every part of ``stored``, written
    by the worker that computed it into the Parquet dataset ``path`` (one file per part).

    Nothing is kept once written, so a worker holds one range of clients at a time (10
    million invoices through two workers): the population is put together first from a
    read of each range's clients and invoices alone, then each range is read whole, split
    into parts, and each part computed and written. When a range saw another ledger version
    than the population's (an import committed meanwhile), all is done again.

    Raises:
        LedgerChanged: the versions still differed after :data:`READ_TRIES` tries.
    """
    ranges, pieces = _read_plan(client, stored, parts)
    emptied(path)
    for _ in range(READ_TRIES):
        found = _stored_population(client, stored, ranges)
        if found is None:
            continue
        population, version = found
        done = [
            client.submit(
                _write_range,
                stored.url,
                clients,
                pieces,
                path / f"part.{i}",
                function,
                population=population,
                version=version,
                pure=False,
                **options,
            )
            for i, clients in enumerate(ranges)
        ]
        if all(client.gather(done)):
            return
    raise LedgerChanged(READ_TRIES)


def emptied(path: Path) -> None:
    """``path`` made an empty folder for a dataset's parts: a file there removed, and in a
    folder the parts of an earlier write (``part.*.parquet``) alone, never anything else
    (an ``--out`` naming a folder of the user's must not lose it)."""
    if path.is_file():
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("part.*.parquet"):
        old.unlink()


def _read_plan(
    client: Any, stored: StoredLedger, parts: int | None
) -> tuple[list[ClientRange], int]:
    """The ranges of clients the workers read ``stored`` in, and the parts each is split
    into: ``parts`` in all (default :func:`part_count`), at most :data:`READS_PER_THREAD`
    reads per worker thread."""
    engine = make_engine(stored.url)
    try:
        wanted = parts or part_count(client, table_counts(engine)["invoices"])
        ranges = client_ranges(engine, min(wanted, READS_PER_THREAD * worker_threads(client)))
    finally:
        engine.dispose()
    return ranges, -(-wanted // len(ranges))


def _stored_population(
    client: Any, stored: StoredLedger, ranges: list[ClientRange]
) -> tuple[Any, int] | None:
    """The population of ``stored`` (a future) from each range's clients and invoices, and
    the ledger version they saw; None when they saw different ones."""
    reads = [client.submit(_population_read, stored.url, r, pure=False) for r in ranges]
    versions = set(client.gather(client.map(itemgetter(1), reads)))
    if len(versions) > 1:
        client.cancel(reads)
        return None
    population = client.submit(combined_population, client.map(itemgetter(0), reads))
    return population, versions.pop()


def _population_read(url: str, clients: ClientRange) -> tuple[PopulationPart, int]:
    """What the clients of ``clients`` add to the population, read from the ledger at
    ``url`` (its clients and invoices: all the population reads), and the version seen."""
    ledger, version = _range_read(url, clients, ("clients", "invoices"))
    return population_part(ledger), version


def _range_read(
    url: str, clients: ClientRange, tables: tuple[str, ...] | None = None
) -> tuple[Ledger, int]:
    """The rows of ``clients`` (of ``tables`` only, when given) in the ledger at ``url``,
    and the ledger version they saw, on an engine of the worker's own."""
    engine = make_engine(url)
    try:
        return load_ledger_part(engine, clients, tables)
    finally:
        engine.dispose()


def _write_range(
    url: str,
    clients: ClientRange,
    pieces: int,
    stem: Path,
    function: Callable[..., pd.DataFrame],
    population: Population,
    version: int,
    **options: Any,
) -> bool:
    """The clients of ``clients`` read from ``url``, split into ``pieces`` parts, and
    ``function`` of each written to ``<stem>.<n>.parquet`` (run by a worker); False, with
    nothing written, when the read saw another version than ``version``."""
    ledger, seen = _range_read(url, clients)
    if seen != version:
        return False
    for n, part in enumerate(split_by_client(ledger, pieces) if pieces > 1 else [ledger]):
        frame = function(part, population=population, **options)
        frame.to_parquet(stem.with_name(f"{stem.name}.{n}.parquet"), index=False)
    return True


def scattered_parts(client: Any, ledger: Ledger, parts: int | None = None) -> tuple[list[Any], Any]:
    """The parts of ``ledger`` on the workers, and its population, sent to every worker
    (futures).

    The population is computed here, where the whole ledger is: one vectorised pass (0.8 s
    for 566,000 invoices on a busy machine) costs less than a round of tasks on the parts
    and their gathering (1.4 s there).
    """
    pieces = split_by_client(ledger, parts or part_count(client, len(ledger.invoices)))
    ledgers = client.scatter(pieces)
    population = client.scatter(population_of(ledger), broadcast=True, hash=False)
    return ledgers, population


def features_futures(
    client: Any, ledger: Ledger, as_of: pd.Timestamp | None, parts: int | None = None
) -> tuple[list[Any], Any]:
    """Futures of the features of each part (:func:`ledger_features`), and of the
    population."""
    ledgers, population = scattered_parts(client, ledger, parts)
    futures = client.map(ledger_features, ledgers, as_of=as_of, population=population)
    return futures, population


def cluster_features(
    client: Any, ledger: Ledger, as_of: pd.Timestamp | None, parts: int | None = None
) -> pd.DataFrame:
    """The pandas engine's :func:`ledger_features` of ``ledger``, built on the cluster, in
    the order of ``ledger.invoices``."""
    futures, _ = features_futures(client, ledger, as_of, parts)
    frame = pd.concat(client.gather(futures))
    return frame.loc[ledger.invoices.index.intersection(frame.index, sort=False)]


def specs_of(population: Population) -> list[FeatureSpec]:
    """Every feature the builders fitted with ``population`` produce, in order."""
    return [*SPECS, *user_specs(population.user[0])]


def cluster_engine(client: Any, parts: int | None = None) -> FeatureEngine:
    """A :data:`~training.dataset.FeatureEngine` that builds the training matrix on the
    cluster of ``client``."""

    def engine(ledger: Ledger) -> tuple[pd.DataFrame, list[FeatureSpec]]:
        futures, population = features_futures(client, ledger, None, parts)
        frame = pd.concat(client.gather(futures)).drop(columns=list(ID_COLUMNS))
        return frame, specs_of(population.result())

    return engine


def write_parquet(client: Any, futures: list[Any], path: Path) -> None:
    """The frames of ``futures`` written by the workers as one Parquet dataset: a folder
    ``path`` of one file per part (pandas and pyarrow read it as one table)."""
    import dask.dataframe as dd

    meta = client.submit(_empty, futures[0]).result()
    dd.from_delayed(futures, meta=meta, verify_meta=False).to_parquet(
        path, write_index=False, overwrite=True
    )


def _empty(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s columns and types, no row."""
    return frame.iloc[:0]
