"""The service's ledger snapshot: reused while fresh, replaced in the background when stale."""

from __future__ import annotations

import gc
import time
import weakref
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger.storage import make_engine, migrate, save_ledger
from ledger.versions import bump_version
from serving.ledger_source import LedgerSource
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
