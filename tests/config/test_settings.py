"""Settings at the bottom of the layers: unknown ``ENCOURS_*`` names are reported, not ignored."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings
from config.settings import OTHER_KNOWN_NAMES, unknown_names
from encours import settings as shell_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ``ENCOURS_*`` variable of the caller's environment leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("ENCOURS_"):
            monkeypatch.delenv(name)
    return monkeypatch


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "encours.config"]


def test_the_shell_reexports_the_one_settings_class() -> None:
    assert shell_settings.Settings is Settings


def test_a_misspelt_name_warns_once_naming_the_setting_meant(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("ENCOURS_DATABSE_URL", "postgresql://db/ledger")
    with caplog.at_level(logging.WARNING, logger="encours.config"):
        settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///encours.db"  # still ignored, but now said
    assert _warnings(caplog) == [
        "unknown setting ENCOURS_DATABSE_URL in the environment is ignored: "
        "did you mean ENCOURS_DATABASE_URL?"
    ]


def test_known_names_in_any_case_give_no_warning(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("ENCOURS_DATABASE_URL", "sqlite:///other.db")
    clean_env.setenv("encours_port", "8123")  # pydantic-settings reads names in any case
    for name in OTHER_KNOWN_NAMES:  # read by the tests and notebooks, not settings
        clean_env.setenv(name, "1")
    with caplog.at_level(logging.WARNING, logger="encours.config"):
        settings = Settings(_env_file=None)
    assert (settings.database_url, settings.port) == ("sqlite:///other.db", 8123)
    assert _warnings(caplog) == []


def test_every_field_is_a_known_name() -> None:
    names = [f"ENCOURS_{name.upper()}" for name in Settings.model_fields]
    known = OTHER_KNOWN_NAMES | set(names)
    assert unknown_names([*names, "PATH", "encours_models_dir"], frozenset(known)) == {}


def test_a_name_like_no_setting_gets_no_suggestion() -> None:
    known = frozenset({"ENCOURS_DATABASE_URL", "ENCOURS_PORT"})
    # Every name shares the prefix: it must not make ENCOURS_FOO look like ENCOURS_PORT.
    assert unknown_names(["ENCOURS_FOO"], known) == {"ENCOURS_FOO": None}


def test_a_misspelt_name_in_the_env_file_names_the_file(
    clean_env: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ENCOURS_PORT=9000\nENCOURS_MODELS_DRI=/srv/models\nHOME=/root\n")
    with caplog.at_level(logging.WARNING, logger="encours.config"):
        settings = Settings(_env_file=env_file)
    assert settings.port == 9000
    assert _warnings(caplog) == [
        f"unknown setting ENCOURS_MODELS_DRI in {env_file} is ignored: "
        "did you mean ENCOURS_MODELS_DIR?"
    ]


def test_the_command_line_says_it_on_one_stderr_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("ENCOURS_")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "ENCOURS_DATABASE_URL": f"sqlite:///{tmp_path}/ledger.db",
        "ENCOURS_DATABSE_URL": "postgresql://db/ledger",
    }
    done = subprocess.run(
        [sys.executable, "-m", "encours", "keys", "list"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr.splitlines() == [
        "unknown setting ENCOURS_DATABSE_URL in the environment is ignored: "
        "did you mean ENCOURS_DATABASE_URL?"
    ]
    assert "Aucune clé d'API" in done.stdout
