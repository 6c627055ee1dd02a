"""Where the database schema stands among the ledger's migrations, and bringing it up.

``encours db upgrade`` migrates on purpose and says from which revision to which; the API
only checks (:func:`require_latest`) and refuses a database that is behind, since several
API workers starting at once must not each migrate the same database.
"""

from __future__ import annotations

from dataclasses import dataclass

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ledger.storage import MIGRATIONS, migrate

UPGRADE_COMMAND = "encours db upgrade"


class SchemaNotCurrent(RuntimeError):
    """The database's schema is not the one this version of encours reads and writes."""


@dataclass(frozen=True)
class Upgrade:
    """A migration run: the revision before (None: an empty database) and after."""

    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The latest migration this version of encours ships."""
    head = _scripts().get_current_head()
    assert head is not None, "the ledger ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> Upgrade:
    """Bring the database to the latest revision; says from which to which."""
    before = current_revision(engine)
    migrate(engine)
    return Upgrade(before, head_revision())


def require_latest(engine: Engine) -> str:
    """The database's revision, checked to be the latest; nothing is changed.

    Raises:
        SchemaNotCurrent: the database is behind (or unknown to this version), with the
            command to run in its message.
    """
    current, head = current_revision(engine), head_revision()
    if current == head:
        return current
    if current is not None and current not in {s.revision for s in _scripts().walk_revisions()}:
        raise SchemaNotCurrent(
            f"the database is at revision {current}, which this version of encours does not "
            f"know (a newer version migrated it): serve it with that version"
        )
    found = "has no encours schema yet" if current is None else f"is at revision {current}"
    raise SchemaNotCurrent(
        f"the database {found}, this version of encours needs revision {head}: "
        f"run `{UPGRADE_COMMAND}` (with the same ENCOURS_DATABASE_URL), then start again"
    )
