"""The service's ledger snapshot: reused while fresh, checked in the background when stale,
reread (only the clients that changed) when the ledger's version moved."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from collections.abc import Collection
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from ledger.versions import bump_version
from serving import ledger_source
from serving.ledger_source import LedgerSource, Snapshot
from tests.ledger.factories import small_ledger


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """The small ledger in a fresh SQLite file."""
    engine = make_engine(f"sqlite:///{tmp_path}/ledger.db")
    migrate(engine)
    save_ledger(engine, small_ledger())
    return engine


def rename_c1(engine: Engine, name: str) -> None:
    """Change client C1's name in the database and raise the ledger's version, as an
    import would."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE clients SET name = :n WHERE client_id = 'C1'"), {"n": name})
        bump_version(connection, ["C1"])


def name_of_c1(source: LedgerSource) -> str:
    clients = source.current().ledger.clients
    return str(clients.loc[clients["client_id"] == "C1", "name"].iat[0])


def test_a_fresh_snapshot_is_reused(engine: Engine) -> None:
    source = LedgerSource(engine, max_age_seconds=3600)
    first = source.current()
    rename_c1(engine, "Renamed")
    assert source.current() is first
    assert name_of_c1(source) == "Boulangerie Martin"


def test_a_stale_snapshot_is_served_while_its_replacement_loads(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = LedgerSource(engine, max_age_seconds=0.05)
    first = source.current()
    rename_c1(engine, "Renamed")
    time.sleep(0.1)
    slow_reread = source._reread

    def slow(held: object) -> object:
        time.sleep(0.3)
        return slow_reread(held)  # type: ignore[arg-type]

    monkeypatch.setattr(source, "_reread", slow)
    started = time.monotonic()
    assert source.current() is first  # stale: answered at once, from the old snapshot
    assert time.monotonic() - started < 0.2
    source.wait_for_refresh(timeout=10)
    assert source.current() is not first
    assert name_of_c1(source) == "Renamed"
    source.wait_for_refresh(timeout=10)  # leave no reader behind the test


def test_a_failed_refresh_keeps_the_snapshot(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    source = LedgerSource(engine, max_age_seconds=0.05)
    first = source.current()
    time.sleep(0.1)

    def broken(held: object) -> object:
        raise OSError("database unreachable")

    monkeypatch.setattr(source, "_reread", broken)
    assert source.current() is first
    source.wait_for_refresh(timeout=10)
    assert source.current() is first
    assert "could not reread the ledger" in caplog.text


def test_no_reuse_at_zero_seconds(engine: Engine) -> None:
    source = LedgerSource(engine, max_age_seconds=0)
    assert name_of_c1(source) == "Boulangerie Martin"
    rename_c1(engine, "Renamed")
    assert name_of_c1(source) == "Renamed"  # read anew, in the caller's thread


def test_a_held_snapshot_is_left_out_of_garbage_collections_and_an_old_one_freed(
    engine: Engine,
) -> None:
    gc.unfreeze()
    source = LedgerSource(engine, max_age_seconds=0.05)
    first = source.current()
    assert gc.get_freeze_count() > 0  # the snapshot (and all else alive) frozen
    assert source.ready() is first
    old = weakref.ref(first.ledger)
    del first
    rename_c1(engine, "Renamed")
    time.sleep(0.1)
    source.current()  # stale: starts the refresh
    source.wait_for_refresh(timeout=10)
    assert source.ready() is not None and old() is None  # the old snapshot was freed
    assert gc.get_freeze_count() > 0
    gc.unfreeze()


def test_nothing_is_ready_before_the_first_load_nor_at_zero_seconds(engine: Engine) -> None:
    assert LedgerSource(engine, max_age_seconds=3600).ready() is None
    every_time = LedgerSource(engine, max_age_seconds=0)
    every_time.current()
    assert every_time.ready() is None  # must be read anew, in a thread that may wait


class Reads:
    """Counts the whole reads and the client-by-client reads of a :class:`LedgerSource`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.whole = 0
        self.clients: list[set[str]] = []
        whole, some = ledger_source.load_ledger, ledger_source.read_clients

        def load(engine: Engine) -> Ledger:
            self.whole += 1
            return whole(engine)

        def read(engine: Engine, client_ids: Collection[str]) -> Ledger:
            self.clients.append(set(client_ids))
            return some(engine, client_ids)

        monkeypatch.setattr(ledger_source, "load_ledger", load)
        monkeypatch.setattr(ledger_source, "read_clients", read)


def check_now(source: LedgerSource) -> Snapshot:
    """The snapshot after a check against the database made now."""
    source.reread_soon(wait_seconds=10)
    return source.current()


def test_an_unchanged_ledger_is_not_reread(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(monkeypatch)
    source = LedgerSource(engine, max_age_seconds=3600)
    first = source.current()
    assert (reads.whole, first.version) == (1, 1)  # the small ledger's import: version 1
    for _ in range(3):
        assert check_now(source) is first
    assert (reads.whole, reads.clients) == (1, [])


def test_a_change_is_seen_at_the_next_check_reading_only_its_clients(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(monkeypatch)
    source = LedgerSource(engine, max_age_seconds=3600)
    first = source.current()
    rename_c1(engine, "Renamed")
    assert source.current() is first  # fresh: not checked before its max age
    fresh = check_now(source)
    assert fresh is not first and fresh.version == 2
    assert name_of_c1(source) == "Renamed"
    assert (reads.whole, reads.clients) == (1, [{"C1"}])
    assert fresh.features.prepared_ is not first.features.prepared_  # features refit
    whole = load_ledger(engine)
    pd.testing.assert_frame_equal(fresh.ledger.clients, whole.clients)
    pd.testing.assert_frame_equal(fresh.ledger.invoices, whole.invoices)


def test_changes_not_known_by_client_are_read_whole(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = Reads(monkeypatch)
    source = LedgerSource(engine, max_age_seconds=3600)
    source.current()
    with engine.begin() as connection:
        connection.execute(text("UPDATE clients SET name = 'Renamed' WHERE client_id = 'C1'"))
        bump_version(connection, None)  # a write that does not say which clients
    assert check_now(source).version == 2
    assert name_of_c1(source) == "Renamed"
    assert (reads.whole, reads.clients) == (2, [])


def test_each_new_snapshot_is_handed_to_the_warmer_and_an_unchanged_one_not(
    engine: Engine,
) -> None:
    warmed: list[Snapshot] = []
    arrived = threading.Semaphore(0)

    def warm(snapshot: Snapshot) -> None:
        warmed.append(snapshot)
        arrived.release()

    source = LedgerSource(engine, max_age_seconds=3600, warm=warm)
    first = source.current()
    assert arrived.acquire(timeout=10) and warmed == [first]
    check_now(source)  # unchanged: nothing new to warm
    rename_c1(engine, "Renamed")
    fresh = check_now(source)
    assert arrived.acquire(timeout=10) and warmed == [first, fresh]
    assert not arrived.acquire(timeout=0.2)
