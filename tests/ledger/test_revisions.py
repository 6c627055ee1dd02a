"""The schema's revision: read, brought up to date, and required by the API."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from ledger.revisions import (
    SchemaNotCurrent,
    current_revision,
    head_revision,
    require_latest,
    upgrade,
)
from ledger.storage import MIGRATIONS, make_engine


def migrate_to(engine: Engine, revision: str) -> None:
    """Bring the database to ``revision`` only, as an older encours left it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.fixture
def blank(database_url: str) -> Engine:
    """An engine on a database never migrated, SQLite then PostgreSQL."""
    return make_engine(database_url)


def test_upgrade_says_from_which_revision_to_which(blank: Engine) -> None:
    assert current_revision(blank) is None
    first = upgrade(blank)
    assert (first.before, first.after, first.changed) == (None, head_revision(), True)
    assert current_revision(blank) == head_revision()
    again = upgrade(blank)
    assert (again.before, again.changed) == (head_revision(), False)


def test_an_older_database_is_upgraded_from_its_revision(blank: Engine) -> None:
    migrate_to(blank, "0003")
    done = upgrade(blank)
    assert (done.before, done.after) == ("0003", head_revision())


def test_the_latest_is_required_and_nothing_is_changed(blank: Engine) -> None:
    with pytest.raises(SchemaNotCurrent, match=r"has no encours schema yet.*encours db upgrade"):
        require_latest(blank)
    migrate_to(blank, "0003")
    with pytest.raises(SchemaNotCurrent, match=r"is at revision 0003.*`encours db upgrade`"):
        require_latest(blank)
    assert current_revision(blank) == "0003"  # checked, not migrated
    upgrade(blank)
    assert require_latest(blank) == head_revision()


def test_a_revision_from_a_newer_version_is_not_sent_to_upgrade(blank: Engine) -> None:
    upgrade(blank)
    with blank.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaNotCurrent, match=r"9999, which this version .* does not know"):
        require_latest(blank)
