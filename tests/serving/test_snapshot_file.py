"""The ledger snapshot in a file: read back exactly as the database gives it, used only for
its own version of its own database, never failing a start when it is broken."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import httpx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from ledger.versions import bump_version
from serving.ledger_source import LedgerSource
from serving.snapshot_file import (
    KEEP,
    SnapshotFiles,
    Stamp,
    read_file,
    read_stamp,
    text_codes,
    write_file,
)
from simulator import SimulationConfig, simulate
from tests.ledger.factories import small_ledger
from tests.serving.conftest import Store, auth, keys_for
from tests.serving.test_end_to_end import encours_serve


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A small simulated ledger (with a user column) and the factory's, on each database."""
    engine = make_engine(database_url)
    migrate(engine)
    save_ledger(engine, simulate(SimulationConfig(n_clients=12, n_months=6, seed=3)).ledger)
    save_ledger(engine, small_ledger())
    yield engine
    engine.dispose()


def source_on(engine: Engine, folder: Path) -> LedgerSource:
    """A service's ledger source keeping its files in ``folder``: one server process."""
    return LedgerSource(engine, max_age_seconds=3600, files=SnapshotFiles(folder))


def assert_same_ledger(left: Ledger, right: Ledger) -> None:
    for name, frame in left.tables().items():
        pd.testing.assert_frame_equal(frame, getattr(right, name), check_exact=True)


def rename_c1(engine: Engine, name: str) -> None:
    """Rename client C1 and raise the ledger's version, as an import would."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE clients SET name = :n WHERE client_id = 'C1'"), {"n": name})
        bump_version(connection, ["C1"])


def test_the_file_gives_back_the_frames_load_ledger_gives(engine: Engine, tmp_path: Path) -> None:
    ledger = load_ledger(engine)
    builder = FeatureBuilder().fit(ledger)
    stamp = read_stamp(engine)
    path = tmp_path / "snapshot.arrow"
    write_file(path, stamp, ledger, builder)
    read_ledger, read_builder = read_file(path, stamp)
    assert_same_ledger(read_ledger, ledger)  # dtypes included: object text, Int64 cents
    assert "x_segment" in read_ledger.clients.columns
    as_of = ledger.invoices["issue_date"].max()
    pd.testing.assert_frame_equal(
        read_builder.transform(ledger.invoices, as_of), builder.transform(ledger.invoices, as_of)
    )
    # Equal text is one object: each distinct id is held (and unpickled) once.
    ids = read_ledger.invoices["client_id"]
    assert (
        ids.iat[0]
        is read_ledger.clients["client_id"][read_ledger.clients["client_id"] == ids.iat[0]].iat[0]
    )


def test_arrays_read_are_views_of_the_file_and_writing_to_one_leaves_the_file(
    engine: Engine, tmp_path: Path
) -> None:
    ledger = load_ledger(engine)
    stamp = read_stamp(engine)
    path = tmp_path / "snapshot.arrow"
    write_file(path, stamp, ledger, FeatureBuilder().fit(ledger))
    _, builder = read_file(path, stamp)
    days = builder.prepared_.invoices["due_day"].array._ndarray
    assert days.base is not None and not days.flags.owndata  # a view, not a copy
    days.flags.writeable = True  # copy-on-write pages: allowed, and private
    first = int(days[0])
    days[0] = first + 1000
    _, again = read_file(path, stamp)
    assert int(again.prepared_.invoices["due_day"].to_numpy()[0]) == first


def test_a_second_process_reads_the_file_the_first_wrote(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "snapshots"
    first = source_on(engine, folder)
    from_database = first.current()
    first.wait_for_file(timeout=60)
    assert first.files is not None and first.files.writes == 1
    assert len(list(folder.glob("*.arrow"))) == 1

    second = source_on(engine, folder)
    from_file = second.current()
    assert second.files is not None and second.files.reads == 1 and second.files.writes == 0
    assert from_file.version == from_database.version
    assert_same_ledger(from_file.ledger, from_database.ledger)


def test_a_refresh_reads_the_file_another_process_wrote_for_the_new_version(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "snapshots"
    first = LedgerSource(engine, 3600, files=SnapshotFiles(folder, refresh_write_seconds=0))
    second = source_on(engine, folder)
    first.current()
    first.wait_for_file(timeout=60)
    second.current()  # read from the file
    rename_c1(engine, "Renamed")
    first.reread_soon(wait_seconds=60)  # its changed client reread, the file written
    first.wait_for_file(timeout=60)
    second.reread_soon(wait_seconds=60)
    assert second.files is not None and second.files.reads == 2 and second.files.writes == 0
    clients = second.current().ledger.clients
    assert clients.loc[clients["client_id"] == "C1", "name"].iat[0] == "Renamed"
    assert_same_ledger(second.current().ledger, first.current().ledger)


def test_a_folder_that_cannot_be_written_only_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = small_ledger()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    with caplog.at_level(logging.WARNING, logger="encours.api"):
        written = SnapshotFiles(blocker).write(Stamp(1, "t"), ledger, FeatureBuilder().fit(ledger))
    assert written is None and "could not write the snapshot file" in caplog.text


def test_an_older_version_s_file_is_never_served_as_it_is_but_read_with_the_changes_since(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "snapshots"
    first = source_on(engine, folder)
    first.current()
    first.wait_for_file(timeout=60)
    rename_c1(engine, "Renamed")

    later = source_on(engine, folder)
    snapshot = later.current()
    assert later.files is not None and later.files.reads == 1  # the older file, as a base
    clients = snapshot.ledger.clients
    assert clients.loc[clients["client_id"] == "C1", "name"].iat[0] == "Renamed"
    assert snapshot.version == read_stamp(engine).version
    assert_same_ledger(snapshot.ledger, load_ledger(engine))
    later.wait_for_file(timeout=60)
    assert later.files.writes == 1  # the new version's file, beside the old one
    assert len(list(folder.glob("*.arrow"))) == 2


def test_a_refreshed_snapshot_is_written_only_when_none_was_lately(
    engine: Engine, tmp_path: Path
) -> None:
    files = SnapshotFiles(tmp_path / "snapshots", refresh_write_seconds=3600)
    source = LedgerSource(engine, max_age_seconds=3600, files=files)
    source.current()
    source.wait_for_file(timeout=60)
    rename_c1(engine, "Renamed")
    source.reread_soon(wait_seconds=60)  # one client reread: no file within the hour
    source.wait_for_file(timeout=60)
    assert source.current().version == read_stamp(engine).version and files.writes == 1
    files.refresh_write_seconds = 0
    rename_c1(engine, "Renamed again")
    source.reread_soon(wait_seconds=60)
    source.wait_for_file(timeout=60)
    assert files.writes == 2


def test_an_older_file_is_left_when_the_changes_since_are_not_known_by_client(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "snapshots"
    first = source_on(engine, folder)
    first.current()
    first.wait_for_file(timeout=60)
    with engine.begin() as connection:
        connection.execute(text("UPDATE clients SET name = 'Everyone' WHERE client_id = 'C1'"))
        bump_version(connection, None)  # any client may have changed

    later = source_on(engine, folder)
    snapshot = later.current()
    clients = snapshot.ledger.clients
    assert clients.loc[clients["client_id"] == "C1", "name"].iat[0] == "Everyone"
    assert_same_ledger(snapshot.ledger, load_ledger(engine))


def test_a_corrupt_file_falls_back_to_the_database(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "snapshots"
    first = source_on(engine, folder)
    expected = first.current()
    first.wait_for_file(timeout=60)
    (path,) = folder.glob("*.arrow")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # cut short
    stamp = read_stamp(engine)
    assert SnapshotFiles(folder).read(stamp) is None and not path.exists()
    path.write_bytes(b"")  # empty: no mapping at all

    with caplog.at_level(logging.WARNING, logger="encours.api"):
        second = source_on(engine, folder)
        snapshot = second.current()
    assert "snapshot file not used" in caplog.text
    assert second.files is not None and second.files.reads == 0
    assert_same_ledger(snapshot.ledger, expected.ledger)
    second.wait_for_file(timeout=60)
    assert second.files.writes == 1  # the broken file removed and written anew
    assert read_file(path, stamp)[0].invoices.shape == expected.ledger.invoices.shape


def test_an_altered_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    ledger = load_ledger(engine)
    stamp = read_stamp(engine)
    files = SnapshotFiles(tmp_path)
    path = files.write(stamp, ledger, FeatureBuilder().fit(ledger))
    assert path is not None
    data = bytearray(path.read_bytes())
    where = data.find(b"Boulangerie Martin")
    data[where] = ord("b")  # one byte of the strings changed: their checksum differs
    path.write_bytes(bytes(data))
    assert files.read(stamp) is None
    assert not path.exists()


def test_a_file_of_another_database_is_not_found(tmp_path: Path) -> None:
    ledger = small_ledger()
    files = SnapshotFiles(tmp_path)
    mine = Stamp(3, "2026-12-01 10:00:00.000001")
    files.write(mine, ledger, FeatureBuilder().fit(ledger))
    other = Stamp(3, "2026-12-01 10:00:00.000002")  # same version, another history
    assert files.path(other) != files.path(mine)
    assert files.read(other) is None
    files.path(mine).rename(files.path(other))  # even under the other's name
    assert files.read(other) is None


def test_a_file_another_process_is_writing_is_not_written_again(tmp_path: Path) -> None:
    ledger = small_ledger()
    files = SnapshotFiles(tmp_path)
    stamp = Stamp(1, "t")
    (tmp_path / f".{files.path(stamp).name}.999999.tmp").write_bytes(b"half")
    assert files.write(stamp, ledger, FeatureBuilder().fit(ledger)) is None
    assert files.writes == 0


def test_old_files_are_removed(tmp_path: Path) -> None:
    ledger = small_ledger()
    builder = FeatureBuilder().fit(ledger)
    files = SnapshotFiles(tmp_path)
    written = [files.write(Stamp(v, f"t{v}"), ledger, builder) for v in range(1, 5)]
    assert sorted(tmp_path.glob("*.arrow")) == sorted(p for p in written[-KEEP:] if p)


def test_no_file_without_reuse(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "snapshots"
    source = LedgerSource(engine, max_age_seconds=0, files=SnapshotFiles(folder))
    source.current()
    source.wait_for_file(timeout=60)
    assert source.files is None and not folder.exists()


@given(
    st.lists(st.one_of(st.sampled_from(["ab", "cd", "été", ""]), st.none()), min_size=1),
    st.sampled_from(["C", "F"]),
    st.one_of(st.none(), st.integers(0, 2), st.booleans(), st.just(float("nan"))),
)
def test_arrays_of_text_come_back_equal_and_anything_else_is_left_to_pickle(
    values: list[str | None], order: Literal["C", "F"], other: object
) -> None:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    square = np.asarray(np.stack([array, array[::-1]]), order=order)  # a pandas block
    table: dict[str, int] = {}
    encoded = text_codes(square, table)
    if all(v is None for v in values):
        assert encoded is None  # nothing to gain
        return
    assert encoded is not None
    codes, shape, kept_order = encoded
    strings = np.array([*table, None], dtype=object)
    back = strings[codes].reshape(shape, order=kept_order)
    assert back.tolist() == square.tolist()
    mixed = np.append(array, np.array([other], dtype=object))
    assert text_codes(mixed, {}) is None or other is None


@contextmanager
def server_logging_to(env: dict[str, str], log: Path) -> Iterator[str]:
    """``encours serve`` on a free port, its log lines written to ``log``, ready; yields
    its base URL and stops it on the way out."""
    with log.open("wb") as sink, encours_serve(env, stderr=sink) as base:
        yield base


def wait_for_a_file(folder: Path, timeout: float = 60.0) -> None:
    """Poll ``folder`` until a snapshot file is in it."""
    deadline = time.monotonic() + timeout
    while not (folder.exists() and list(folder.glob("*.arrow"))):
        assert time.monotonic() < deadline, "no snapshot file written"
        time.sleep(0.1)


@pytest.mark.slow
def test_a_second_start_reads_the_file_the_first_wrote_and_answers_alike(
    store: Store, tmp_path: Path
) -> None:
    viewer = keys_for(store.settings)["viewer"]
    folder = tmp_path / "snapshots"
    env = {
        "ENCOURS_DATABASE_URL": store.settings.database_url,
        "ENCOURS_MODELS_DIR": str(store.settings.models_dir),
        "ENCOURS_SNAPSHOT_DIR": str(folder),
        "ENCOURS_LEDGER_REFRESH_SECONDS": "3600",
    }
    client_id = str(store.ledger.clients["client_id"].iat[0])
    as_of = store.ledger.invoices["issue_date"].max().date().isoformat()
    answers, logs = [], []
    for run in range(2):
        log = tmp_path / f"serve-{run}.log"
        with server_logging_to(env, log) as base:
            answer = httpx.get(
                f"{base}/v1/clients/{client_id}/risk",
                params={"as_of": as_of},
                headers=auth(viewer),
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
            if run == 0:
                wait_for_a_file(folder)
        logs.append(log.read_text())
    assert "written to the snapshot file" in logs[0]
    assert "read from the snapshot file" not in logs[0]
    assert "read from the snapshot file" in logs[1]
    assert answers[1] == answers[0]
