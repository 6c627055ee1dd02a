"""The thin slice end to end: simulate, import, train, then the real server over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from encours.settings import Settings
from ledger.importing import import_directory
from ledger.kpis import compute_kpis
from ledger.storage import load_ledger, make_engine
from serving.api_keys import create_key
from simulator import SimulationConfig, simulate, write_simulation
from training.tracking import use_store
from training.train import train_models

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    """Poll /readyz until the server answers 200 (no fixed sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server not ready in time")


@contextmanager
def encours_serve(
    env: dict[str, str], cwd: Path | None = None, stderr: Any = subprocess.PIPE
) -> Iterator[str]:
    """``encours serve`` on a free port with ``env`` over this process's environment, ready,
    its log lines to ``stderr``; yields its base URL and stops it on the way out."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "encours", "serve", "--port", str(port)],
        env=os.environ | env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, Settings, object]]:
    """A trained model and an imported ledger served by `encours serve` on a free port.

    Yields a client that sends a viewer key, the settings and the simulation.
    """
    root = tmp_path_factory.mktemp("e2e")
    settings = Settings(database_url=f"sqlite:///{root}/ledger.db", models_dir=root / "models")
    sim = simulate(SimulationConfig(n_clients=60, n_months=18, seed=7))
    write_simulation(sim, root / "data")
    engine = make_engine(settings.database_url)
    import_directory(engine, root / "data")
    use_store(settings.tracking_uri, settings.artifacts_uri)
    train_models(load_ledger(engine))
    token = create_key(engine, "viewer", "end to end").token
    env = {
        "ENCOURS_DATABASE_URL": settings.database_url,
        "ENCOURS_MODELS_DIR": str(settings.models_dir),
    }
    with (
        encours_serve(env, root) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as client,
    ):
        yield client, settings, sim


def test_scores_invoices_over_http(served: tuple[httpx.Client, Settings, object]) -> None:
    client, _, sim = served
    client_id = str(sim.ledger.clients["client_id"].iloc[0])  # type: ignore[attr-defined]
    body = {
        "as_of": "2025-06-01",
        "invoices": [
            {
                "invoice_id": "NEW-1",
                "client_id": client_id,
                "issue_date": "2025-06-01",
                "due_date": "2025-07-01",
                "amount": "1200.00",
            },
            {
                "invoice_id": "NEW-2",
                "client_id": client_id,
                "issue_date": "2025-06-01",
                "due_date": "2025-06-01",
                "amount": "99.90",
                "disputed": True,
            },
        ],
    }
    response = client.post("/v1/invoices/score", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["model"]["name"] == "late-payment"
    assert [s["invoice_id"] for s in payload["scores"]] == ["NEW-1", "NEW-2"]
    assert all(0.0 <= s["p_late"] <= 1.0 for s in payload["scores"])
    # A disputed invoice due at once is riskier than an undisputed one on 30 days.
    assert payload["scores"][1]["p_late"] > payload["scores"][0]["p_late"]
    for item in payload["scores"]:
        # The payment-time champion is served too: buckets and dates come with the score.
        buckets = item["buckets"]
        assert sum(buckets.values()) == pytest.approx(1.0)
        assert buckets["on_time"] == pytest.approx(1.0 - item["p_late"])
        assert item["p10_date"] <= item["p50_date"] <= (item["p90_date"] or "9999")
        assert item["p10_date"] >= "2025-06-01"  # nothing is paid before it is issued
        # Reasons: the strongest first, each named and described from the registry.
        strengths = [abs(r["contribution"]) for r in item["reasons"]]
        assert len(strengths) == 5 and strengths == sorted(strengths, reverse=True)
        assert all(r["description"] and r["family"] for r in item["reasons"])
    quick = client.post("/v1/invoices/score", params={"reasons": "false"}, json=body).json()
    assert all(s["reasons"] is None for s in quick["scores"])
    assert [s["p_late"] for s in quick["scores"]] == [s["p_late"] for s in payload["scores"]]


def test_unknown_client_is_a_404_problem(served: tuple[httpx.Client, Settings, object]) -> None:
    client, _, _ = served
    body = {
        "invoices": [
            {
                "client_id": "NOBODY",
                "issue_date": "2025-06-01",
                "due_date": "2025-07-01",
                "amount": "10.00",
            }
        ]
    }
    response = client.post("/v1/invoices/score", json=body)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "NOBODY" in response.json()["detail"]


def test_bad_input_is_a_422_problem_naming_the_field(
    served: tuple[httpx.Client, Settings, object],
) -> None:
    client, _, _ = served
    body = {
        "invoices": [
            {
                "client_id": "C1",
                "issue_date": "01/06/2025",
                "due_date": "2025-07-01",
                "amount": "-5",
            }
        ]
    }
    response = client.post("/v1/invoices/score", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"invoices.0.issue_date", "invoices.0.amount"} <= fields


def test_kpis_over_http_match_the_library(served: tuple[httpx.Client, Settings, object]) -> None:
    client, settings, sim = served
    as_of = sim.end.date()  # type: ignore[attr-defined]
    response = client.get("/v1/kpis", params={"as_of": as_of.isoformat()})
    assert response.status_code == 200, response.text
    expected = compute_kpis(load_ledger(make_engine(settings.database_url)), as_of)[0]
    got = response.json()
    assert got["encours"] == pytest.approx(float(expected.encours))
    assert got["encours"] > 0
    assert got["aged_balance"] == expected.aged_balance.as_json()
    assert got["dso"] == expected.dso


def test_kpis_reject_a_malformed_date(served: tuple[httpx.Client, Settings, object]) -> None:
    client, _, _ = served
    response = client.get("/v1/kpis", params={"as_of": "31/12/2025"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "as_of" in response.json()["detail"]


def test_over_http_a_key_is_needed_but_not_for_readiness(
    served: tuple[httpx.Client, Settings, object],
) -> None:
    client, _, _ = served
    keyless = httpx.get(str(client.base_url.join("/v1/kpis")), timeout=30)
    assert keyless.status_code == 401
    assert keyless.headers["content-type"] == "application/problem+json"
    assert keyless.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(str(client.base_url.join("/readyz")), timeout=30).status_code == 200
    # A viewer may read, not reload.
    assert client.post("/v1/models/reload").status_code == 403


def test_a_keyless_body_is_refused_unread_even_malformed(
    served: tuple[httpx.Client, Settings, object],
) -> None:
    client, _, _ = served
    url = str(client.base_url.join("/v1/invoices/score"))
    bad_json = {"Content-Type": "application/json"}
    truncated = httpx.post(url, content=b'{"invoices": [', headers=bad_json, timeout=30)
    assert truncated.status_code == 401, truncated.text  # the key first, not a 422 on the body
    assert truncated.headers["content-type"] == "application/problem+json"
    assert truncated.headers["www-authenticate"].startswith("Bearer")


def test_a_keyless_35_mb_body_is_refused_before_it_is_sent(
    served: tuple[httpx.Client, Settings, object],
) -> None:
    """Headers announce 35 MB, a few bytes follow, then the client waits: the 401 must come
    back at once, without the rest of the body (which never comes)."""
    client, _, _ = served
    host, port = client.base_url.host, client.base_url.port
    assert port is not None
    head = (
        "POST /v1/invoices/score HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {35 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=5) as sock:
        start = time.perf_counter()
        sock.sendall(head.encode() + b'{"invoices": [')
        answer = sock.recv(4096)  # a timeout here means the server waits for the body
        elapsed = time.perf_counter() - start
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"application/problem+json" in answer
    assert elapsed < 2.0


def test_a_stored_invoice_is_scored_like_the_same_one_sent(
    served: tuple[httpx.Client, Settings, object],
) -> None:
    client, _, sim = served
    invoices = sim.ledger.invoices  # type: ignore[attr-defined]
    row = invoices[invoices["doc_type"] == "invoice"].iloc[-1]
    as_of = str(sim.end.date())  # type: ignore[attr-defined]
    stored = client.get(f"/v1/invoices/{row['invoice_id']}", params={"as_of": as_of})
    assert stored.status_code == 200, stored.text
    sent = client.post(
        "/v1/invoices/score",
        json={
            "as_of": as_of,
            "invoices": [
                {
                    "invoice_id": row["invoice_id"],
                    "client_id": row["client_id"],
                    "issue_date": str(row["issue_date"].date()),
                    "due_date": str(row["due_date"].date()),
                    "amount": f"{row['amount_cents'] / 100:.2f}",
                    "currency": row["currency"],
                    "disputed": bool(row["disputed"]),
                    # The user's own column counts when sent, as it does when stored.
                    "x": {"x_channel": row["x_channel"]},
                }
            ],
        },
    )
    assert sent.status_code == 200, sent.text
    one, other = stored.json()["scores"][0], sent.json()["scores"][0]
    assert one["p_late"] == pytest.approx(other["p_late"], abs=1e-9)
    assert one["p50_date"] == other["p50_date"]
    missing = client.get("/v1/invoices/NO-SUCH-INVOICE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
