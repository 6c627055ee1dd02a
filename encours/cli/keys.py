"""``encours keys``: create, list and revoke the API keys of the HTTP API."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from encours.cli.database import open_engine, with_database
from encours.cli.options import JsonFlag
from encours.cli.output import console, fail, print_json, words

keys_app = typer.Typer(
    help="API keys of the HTTP API: one per person or program, each with a role.\n\n"
    "Roles are ordered: [bold]viewer[/] reads scores, KPIs, the balance âgée, forecasts, the "
    "models served and the metrics; [bold]collector[/] also works the relance worklist, "
    "dunning actions and lettrage; [bold]admin[/] also imports, reloads models and manages "
    "keys. Only /healthz and /readyz answer without a key.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str,
        typer.Option(
            help="viewer, collector or admin",
            metavar="[viewer|collector|admin]",
            show_default=False,
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(help="who or what holds the key, to tell keys apart", show_default=False),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            help="when the key stops working: days from now (90d) or a date (2026-03-31, "
            "from 00:00 UTC); never by default",
            show_default=False,
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create an API key and print its token, this once: only its SHA-256 is stored.

    Send it as [bold]Authorization: Bearer <token>[/] (or [bold]X-API-Key: <token>[/]).
    """
    import datetime as dt

    from ledger.storage import migrate
    from serving.api_keys import Role, create_key, parse_expiry

    if role not in {r.value for r in Role}:
        fail(f"--role must be viewer, collector or admin, not {role!r}", 2)
    expires_at = None
    if expires is not None:
        try:
            expires_at = parse_expiry(expires, dt.datetime.now(dt.UTC))
        except ValueError as exc:
            fail(f"--expires: {exc}", 2)
    engine = open_engine()

    def create() -> Any:
        migrate(engine)
        return create_key(engine, role, name, expires_at)

    new = with_database(create)
    if as_json:
        print_json({**new.key.as_json(), "token": new.token})
        return
    w = words()
    label = f" ({escape(new.key.name)})" if new.key.name else ""
    until = w(", until {moment} UTC", moment=w.moment(expires_at)) if expires_at else ""
    console.print(
        w(
            "API key {id}{label} created, role [bold]{role}[/]{until}. Token:",
            id=new.key.id,
            label=label,
            role=new.key.role,
            until=until,
        )
    )
    typer.echo(new.token)
    console.print(w("Keep it now: it is not stored and cannot be shown again."))


@keys_app.command("list")
def keys_list(as_json: JsonFlag = False) -> None:
    """List the API keys, revoked ones included (never their tokens)."""
    from ledger.storage import migrate
    from serving.api_keys import list_keys

    engine = open_engine()

    def read() -> Any:
        migrate(engine)
        return list_keys(engine)

    keys = with_database(read)
    if as_json:
        print_json([key.as_json() for key in keys])
        return
    if not keys:
        console.print(words()("No API key yet: `encours keys create --role viewer`."))
        return
    w = words()
    headers = ("id", "name", "role", "created (UTC)", "last used (UTC)", "expires (UTC)")
    table = Table(
        *(w(h) for h in (*headers, "revoked (UTC)")),
        title=w("{n} API keys", n=w.number(len(keys))),
    )
    moment = w.moment

    for key in keys:
        table.add_row(
            str(key.id),
            key.name or "—",
            key.role.value,
            moment(key.created_at),
            moment(key.last_used_at),
            moment(key.expires_at),
            moment(key.revoked_at),
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(help="number of the key, as `keys list` shows it")],
    as_json: JsonFlag = False,
) -> None:
    """Revoke an API key: every running server refuses it from the next request on."""
    from ledger.storage import migrate
    from serving.api_keys import UnknownApiKey, revoke_key

    engine = open_engine()

    def revoke() -> Any:
        migrate(engine)
        return revoke_key(engine, key_id)

    try:
        key = with_database(revoke)
    except UnknownApiKey as exc:
        fail(str(exc))
    if as_json:
        print_json(key.as_json())
        return
    assert key.revoked_at is not None
    w = words()
    console.print(
        w("API key {id} revoked (since {moment} UTC).", id=key.id, moment=w.moment(key.revoked_at))
    )
