"""Shared fixtures: databases (SQLite always, PostgreSQL when a URL is given)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

# LightGBM trains with OpenMP threads; on a busy 2-core machine their default active wait
# spins against the other load (a 0.2 s fit then takes 15 s). Set before LightGBM loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# The API computes its pages' figures ahead in a background thread at every new snapshot
# (ENCOURS_WARM_PAGES): in tests that thread would compete with the test for the two cores
# and may still be in LightGBM when pytest exits. Tests of the warming turn it on.
os.environ.setdefault("ENCOURS_WARM_PAGES", "false")

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.storage import make_engine, migrate

PG_URL_VAR = "ENCOURS_TEST_DATABASE_URL"


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path}/ledger.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test PostgreSQL, dropped afterwards; skips without a server."""
    base = os.environ.get(PG_URL_VAR)
    if not base:
        pytest.skip(f"{PG_URL_VAR} is not set: no PostgreSQL to test against")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_psycopg_url(base))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each database the ledger supports: SQLite, then PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on each supported database."""
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


# Trains the three models once per session: defined here, not imported by each module
# (an imported fixture is a fixture of each importing module, trained again for each).
from tests.serving.trained_store import trained_store  # noqa: E402, F401
