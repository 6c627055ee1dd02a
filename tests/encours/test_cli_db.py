"""`encours db`: the schema's revision, and migrating it on purpose."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from encours.cli import app
from encours.settings import get_settings
from ledger.revisions import current_revision, head_revision
from ledger.storage import make_engine
from tests.ledger.test_revisions import migrate_to

runner = CliRunner()


def test_current_then_upgrade_from_an_empty_database(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENCOURS_LANG", "en")  # the English words; French below
    get_settings.cache_clear()
    head = head_revision()
    before = runner.invoke(app, ["db", "current"], env={"COLUMNS": "200"})
    assert before.exit_code == 0, before.output
    assert "none (no encours schema)" in before.output and "encours db upgrade" in before.output

    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from revision none (empty database) to {head}" in upgraded.output
    assert current_revision(make_engine(env)) == head

    again = runner.invoke(app, ["db", "upgrade"])
    assert f"at revision {head}, the latest: nothing to do" in again.output
    assert runner.invoke(app, ["db", "current"]).output.strip() == f"{head} (latest)"


def test_upgrade_names_the_revision_it_started_from(env: str) -> None:
    migrate_to(make_engine(env), "0002")
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"de la révision 0002 à la révision {head_revision()}" in upgraded.output
