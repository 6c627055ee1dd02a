"""Commands that run the service: serve the API, or the whole demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from encours.cli.output import console, fail
from encours.settings import get_settings


def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: ENCOURS_WORKERS, else 1)"),
    ] = None,
) -> None:
    """Serve the API (scores, KPIs) with uvicorn; docs at /docs.

    Refuses a database that is behind: run `encours db upgrade` first. With several
    workers, each is a process with its own copy of the ledger and the models.
    """
    try:
        from encours.serve import run_server
    except ImportError as exc:  # installed without the api extra
        fail(f"serving needs the api extra: pip install 'encours[api]' ({exc})")
    settings = get_settings()
    code = run_server(
        settings, host or settings.host, port or settings.port, workers or settings.workers
    )
    if code:
        sys.exit(code)


def demo(
    clients: Annotated[int, typer.Option(min=10, help="number of simulated clients")] = 200,
    months: Annotated[int, typer.Option(min=12, help="months of simulated history")] = 24,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    data: Annotated[Path, typer.Option(help="folder for the simulated files")] = Path("demo-data"),
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="start the API")] = True,
) -> None:
    """Simulate a ledger, import it, train the model, and serve the API.

    Everything runs on the embedded SQLite database and the local MLflow store under
    models/; nothing to install or start.
    """
    from encours.demo import run_demo

    code = run_demo(get_settings(), console, clients, months, seed, data, serve_api)
    if code:
        sys.exit(code)
