"""``encours serve`` for real: several workers counted as one, JSON logs carrying request
ids, and a database that is behind refused at start."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.storage import make_engine
from tests.ledger.test_revisions import migrate_to
from tests.serving.conftest import Store, auth, keys_for
from tests.serving.test_end_to_end import _free_port, _wait_ready
from tests.serving.test_ops import sample

pytestmark = pytest.mark.slow
REQUESTS = 40


@dataclass(frozen=True)
class Workers:
    """``encours serve --workers 2`` on the store, logging JSON to ``log``."""

    base: str
    viewer: str
    log: Path


@pytest.fixture(scope="module")
def workers(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    viewer = keys_for(store.settings)["viewer"]
    port = _free_port()
    log = tmp_path_factory.mktemp("workers") / "serve.log"
    env = os.environ | {
        "ENCOURS_DATABASE_URL": store.settings.database_url,
        "ENCOURS_MODELS_DIR": str(store.settings.models_dir),
        "ENCOURS_LEDGER_REFRESH_SECONDS": "3600",
        "ENCOURS_LOG_FORMAT": "json",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "encours", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=sink,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(base, process)
            yield Workers(base, viewer, log)
        finally:
            process.terminate()
            process.wait(timeout=30)


def records(log: Path) -> list[dict]:
    """The JSON log lines written so far."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_metrics_count_the_requests_of_every_worker(workers: Workers) -> None:
    def hit(_: int) -> int:
        # A connection per request, so that both workers get some.
        return httpx.get(f"{workers.base}/healthz", timeout=10).status_code

    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(hit, range(REQUESTS))) == {200}
    for _ in range(4):  # whichever worker answers /metrics reports them all
        text = httpx.get(f"{workers.base}/metrics", headers=auth(workers.viewer)).text
        count = sample(text, "encours_http_requests_total", route="/healthz", status="200")
        assert count == REQUESTS
    pids = {r["process"] for r in records(workers.log) if r["logger"] == "uvicorn.access"}
    print(f"access log lines came from {len(pids)} worker processes")


def test_json_log_lines_carry_the_request_id(workers: Workers) -> None:
    answer = httpx.get(f"{workers.base}/healthz", headers={"X-Request-ID": "trace-me-7"})
    assert answer.headers["x-request-id"] == "trace-me-7"
    fresh = httpx.get(f"{workers.base}/healthz").headers["x-request-id"]
    lines = records(workers.log)
    assert all({"time", "level", "logger", "message", "request_id"} <= r.keys() for r in lines)
    mine = [r for r in lines if r["request_id"] == "trace-me-7"]
    assert [(r["logger"], r["level"]) for r in mine] == [("uvicorn.access", "INFO")]
    assert '"GET /healthz HTTP/1.1" 200' in mine[0]["message"]
    assert [r["logger"] for r in lines if r["request_id"] == fresh] == ["uvicorn.access"]


def test_a_page_session_holds_whichever_worker_answers(workers: Workers) -> None:
    form = httpx.get(f"{workers.base}/ui/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    signed = httpx.post(
        f"{workers.base}/ui/login",
        data={"api_key": workers.viewer, "csrf_token": token.group(1)},
        cookies=form.cookies,
    )
    assert signed.status_code == 303
    # A connection per request, so that both workers get some: each must know the session.
    places = {
        httpx.get(f"{workers.base}/ui/", cookies=signed.cookies).headers["location"]
        for _ in range(20)
    }
    assert places == {"/ui/kpis"}


def test_serve_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    migrate_to(make_engine(url), "0004")
    env = os.environ | {"ENCOURS_DATABASE_URL": url, "ENCOURS_MODELS_DIR": str(tmp_path / "m")}
    done = subprocess.run(
        [sys.executable, "-m", "encours", "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert "revision 0004" in errors[0] and "run `encours db upgrade`" in errors[0]
