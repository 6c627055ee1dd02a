"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from encours.settings import get_settings


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Settings pointing at a fresh SQLite file and MLflow store; yields the database URL."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    monkeypatch.setenv("ENCOURS_DATABASE_URL", url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
