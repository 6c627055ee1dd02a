"""Commands that write, under another program's lock: one line and exit code 75, or
``--wait`` until the lock goes; a database that cannot be used is one line too."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encours.cli import BUSY_EXIT, app
from encours.settings import get_settings
from ledger.files import write_ledger
from ledger.storage import make_engine, migrate, table_counts
from tests.db_locks import held_lock
from tests.ledger.factories import small_ledger

runner = CliRunner()
BOUND = 0.3  # ENCOURS_DB_LOCK_TIMEOUT_SECONDS here


@pytest.fixture
def db(env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``env``'s database migrated, a lock bound of ``BOUND``, and the ledger's files in
    tmp_path/files; the database URL."""
    monkeypatch.setenv("ENCOURS_DB_LOCK_TIMEOUT_SECONDS", str(BOUND))
    get_settings.cache_clear()
    engine = make_engine(env)
    migrate(engine)
    engine.dispose()
    write_ledger(small_ledger(), tmp_path / "files")
    return env


def assert_one_busy_line(output: str) -> None:
    """The command said the database is busy in one line, and named nothing of the data."""
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: the database is busy"), output
    assert "Traceback" not in output and "Boulangerie" not in output and "INSERT" not in output


@pytest.mark.parametrize(
    "command",
    [
        ["import", "{files}"],
        ["lettrage", "{statement}"],
        ["keys", "create", "--role", "viewer", "--name", "Boulangerie Martin"],
    ],
    ids=["import", "lettrage", "keys"],
)
def test_a_write_under_a_held_lock_says_so_in_one_line(
    db: str, tmp_path: Path, command: list[str]
) -> None:
    statement = tmp_path / "statement.csv"
    statement.write_text("line_id,date,amount,label\nL1,2024-03-10,100.00,VIR F2 Boulangerie\n")
    args = [a.format(files=tmp_path / "files", statement=statement) for a in command]
    engine = make_engine(db)
    with held_lock(engine):
        started = time.monotonic()
        result = runner.invoke(app, args)
        waited = time.monotonic() - started
    engine.dispose()
    assert result.exit_code == BUSY_EXIT, result.output
    assert_one_busy_line(result.output)
    assert waited < BOUND + 5  # the lock bound, plus the command's own imports
    assert table_counts(make_engine(db))["invoices"] == 0


def test_import_waits_for_the_lock_to_go(db: str, tmp_path: Path) -> None:
    engine = make_engine(db)
    release = threading.Event()

    def hold() -> None:
        with held_lock(engine):
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    timer = threading.Timer(1.0, release.set)  # the other program is done in a second
    timer.start()
    try:
        result = runner.invoke(app, ["import", str(tmp_path / "files"), "--wait", "20", "--json"])
    finally:
        release.set()
        holder.join()
        timer.cancel()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tables"]["invoices"]["inserted"] == 3
    assert table_counts(engine)["invoices"] == 3
    engine.dispose()


def test_import_gives_up_after_its_wait(db: str, tmp_path: Path) -> None:
    engine = make_engine(db)
    with held_lock(engine):
        started = time.monotonic()
        result = runner.invoke(app, ["import", str(tmp_path / "files"), "--wait", "1.5"])
        waited = time.monotonic() - started
    engine.dispose()
    assert result.exit_code == BUSY_EXIT
    assert_one_busy_line(result.output)
    assert "--wait" in result.output
    assert 1.5 <= waited < 1.5 + BOUND + 5


def test_an_unreachable_database_is_one_line_too(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCOURS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = runner.invoke(app, ["import", str(tmp_path / "files")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the database cannot be used: ")
    assert "refused" in lines[0] or "failed" in lines[0]
