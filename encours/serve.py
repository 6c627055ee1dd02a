"""Run the API under uvicorn."""

from __future__ import annotations

import uvicorn

from encours.settings import Settings
from serving.api.app import create_app


def run_server(settings: Settings, host: str, port: int) -> None:
    """Serve the app built for ``settings`` until interrupted."""
    uvicorn.run(create_app(settings, warm=True), host=host, port=port, log_level="info")
