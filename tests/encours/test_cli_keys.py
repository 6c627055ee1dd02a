"""`encours keys`: create (the token printed once), list, revoke."""

from __future__ import annotations

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
    assert "cannot be shown again" in human.output
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
