"""`encours keys`: create (the token printed once), list, revoke."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from encours.cli import app
from ledger.storage import make_engine
from serving.api_keys import authenticate

runner = CliRunner()


def test_create_list_revoke(env: str) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "admin", "--name", "ci", "--json"])
    assert created.exit_code == 0, created.output
    key = json.loads(created.output)
    assert (key["id"], key["name"], key["role"], key["revoked_at"]) == (1, "ci", "admin", None)
    engine = make_engine(env)
    assert authenticate(engine, key["token"]) is not None

    human = runner.invoke(app, ["keys", "create", "--role", "viewer"])
    assert human.exit_code == 0, human.output
    token = next(line for line in human.output.splitlines() if line.startswith("enc_"))
    assert "ne pourra plus être" in human.output
    assert authenticate(engine, token) is not None

    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert [(k["id"], k["role"]) for k in json.loads(listed.output)] == [
        (1, "admin"),
        (2, "viewer"),
    ]
    assert key["token"] not in listed.output and token not in listed.output
    table = runner.invoke(app, ["keys", "list"])
    assert "ci" in table.output and "viewer" in table.output

    revoked = runner.invoke(app, ["keys", "revoke", "1", "--json"])
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.output)["revoked_at"] is not None
    assert authenticate(engine, key["token"]) is None
    assert authenticate(engine, token) is not None


def test_bad_role_and_unknown_key_fail(env: str) -> None:
    bad = runner.invoke(app, ["keys", "create", "--role", "root"])
    assert bad.exit_code == 2
    assert "viewer, collector or admin" in bad.output
    unknown = runner.invoke(app, ["keys", "revoke", "42"])
    assert unknown.exit_code == 1
    assert "no API key number 42" in unknown.output


@pytest.mark.parametrize("command", ["create", "list", "revoke"])
def test_keys_commands_have_help(command: str) -> None:
    result = runner.invoke(app, ["keys", command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.split()) > 15


def test_a_key_created_to_expire_lists_its_expiry_and_last_use(env: str) -> None:
    created = runner.invoke(app, ["keys", "create", "--role", "viewer", "--expires", "90d"])
    assert created.exit_code == 0, created.output
    assert "jusqu'au" in created.output
    token = next(line for line in created.output.splitlines() if line.startswith("enc_"))
    dated = runner.invoke(
        app, ["keys", "create", "--role", "admin", "--expires", "2099-03-31", "--json"]
    )
    assert json.loads(dated.output)["expires_at"] == "2099-03-31T00:00:00+00:00"
    assert authenticate(make_engine(env), token) is not None  # a use, noted
    listed = {k["id"]: k for k in json.loads(runner.invoke(app, ["keys", "list", "--json"]).output)}
    in_90_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=90)
    expires = dt.datetime.fromisoformat(listed[1]["expires_at"])
    assert abs(expires - in_90_days) < dt.timedelta(minutes=1)
    assert listed[1]["last_used_at"] is not None and listed[2]["last_used_at"] is None
    table = runner.invoke(app, ["keys", "list"], env={"COLUMNS": "200"}).output
    assert "dernier usage (UTC)" in table and "expire (UTC)" in table and "31/03/2099" in table


@pytest.mark.parametrize("expires", ["90", "soon", "2020-01-01", "0d"])
def test_an_expiry_not_in_the_future_or_unreadable_is_refused(env: str, expires: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "viewer", "--expires", expires])
    assert result.exit_code == 2
    assert "--expires" in result.output
    assert runner.invoke(app, ["keys", "list", "--json"]).output.strip() == "[]"
