"""Run the API under uvicorn: one process, or several workers started from the app factory.

Each worker is a process of its own (its ledger copy, its models); uvicorn starts them
with :func:`serving.api.app.app_from_environment`, which reads the same ``ENCOURS_*``
environment as this process. Their Prometheus counts meet in ``PROMETHEUS_MULTIPROC_DIR``
(see :mod:`serving.api.prometheus`).
"""

from __future__ import annotations

import logging
import logging.config
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import uvicorn

from encours.settings import Settings
from ledger.revisions import SchemaNotCurrent, require_latest
from ledger.storage import make_engine
from serving.api.app import create_app
from serving.api.logs import log_config

logger = logging.getLogger("encours.serve")
FACTORY = "serving.api.app:app_from_environment"
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
SESSION_SECRET = "ENCOURS_SESSION_SECRET"


def schema_is_current(settings: Settings) -> bool:
    """Whether the database's schema is the latest; if not, logs the one line that says
    what to run (``encours db upgrade``)."""
    engine = make_engine(settings.database_url)
    try:
        require_latest(engine)
    except SchemaNotCurrent as exc:
        logger.error("%s", exc)
        return False
    finally:
        engine.dispose()
    return True


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    """Serve the API until interrupted; returns the process's exit code (1: the database
    needs ``encours db upgrade`` first)."""
    logging_config = log_config(settings.log_format)
    logging.config.dictConfig(logging_config)
    if not schema_is_current(settings):
        return 1
    if workers == 1:
        app = create_app(settings, warm=True)
        uvicorn.run(app, host=host, port=port, log_config=logging_config)
        return 0
    _share_session_secret(settings)
    own_dir = _multiprocess_dir()
    try:
        uvicorn.run(
            FACTORY, factory=True, host=host, port=port, workers=workers, log_config=logging_config
        )
    finally:
        if own_dir is not None:
            shutil.rmtree(own_dir, ignore_errors=True)
    return 0


def _multiprocess_dir() -> Path | None:
    """Point ``PROMETHEUS_MULTIPROC_DIR`` at an empty folder before the workers start.

    A folder given in the environment (a container's volume) is emptied, as
    prometheus-client asks between runs; else a temporary one is made, and returned to be
    removed at the end.
    """
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="encours-metrics-"))
    os.environ[MULTIPROC_DIR] = str(made)
    return made


def _share_session_secret(settings: Settings) -> None:
    """Give the workers one key to sign the pages' sessions with, when none is set: else each
    would make its own, and a session signed by one would be refused by the others."""
    if not settings.session_secret.get_secret_value():
        os.environ[SESSION_SECRET] = secrets.token_urlsafe(32)
