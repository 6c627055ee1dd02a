"""``encours db``: the database schema, migrated on purpose.

The API never migrates: it refuses a database that is behind and names ``encours db
upgrade``, which a deployment runs once before starting the API (the compose file's
``migrate`` job, ``make demo``).
"""

from __future__ import annotations

import typer

from encours.cli.database import open_engine, with_database
from encours.cli.output import console, words

db_app = typer.Typer(
    help="The database schema: where it stands, and migrating it to this version of encours.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (ENCOURS_DATABASE_URL) to the latest revision; creates the schema
    of a new database. Run it after installing a new version, before starting the API."""
    from ledger.revisions import upgrade

    engine = open_engine()
    done = with_database(lambda: upgrade(engine))
    engine.dispose()
    w = words()
    if not done.changed:
        console.print(
            w("the database is at revision {after}, the latest: nothing to do", after=done.after)
        )
        return
    before = done.before or w("none (empty database)")
    console.print(
        w(
            "the database was migrated from revision {before} to {after}",
            before=before,
            after=done.after,
        )
    )


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision, and whether it is the latest."""
    from ledger.revisions import current_revision, head_revision

    engine = open_engine()
    current = with_database(lambda: current_revision(engine))
    engine.dispose()
    head = head_revision()
    w = words()
    if current == head:
        console.print(w("{current} (latest)", current=current))
    else:
        shown = current or w("none (no encours schema)")
        console.print(
            w("{shown} (latest is {head}: run `encours db upgrade`)", shown=shown, head=head)
        )
