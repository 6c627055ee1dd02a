"""POST /v1/letters and `encours letters` on the serving store: the letters of a step are
the worklist's rows at that step, each logged once as an action, with its audit entry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import Settings, get_settings
from ledger.storage import load_ledger, make_engine
from serving import services
from serving.services import context_of, load_champions
from tests.serving.conftest import Store, auth, keys_for
from training.dataset import ledger_end
from training.models import LATE_MODEL

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def copy(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The store's settings on a copy of its database: these tests write actions."""
    root = tmp_path_factory.mktemp("letters")
    source = store.settings.database_url.removeprefix("sqlite:///")
    shutil.copy(source, root / "ledger.db")
    return store.settings.model_copy(update={"database_url": f"sqlite:///{root}/ledger.db"})


@pytest.fixture(scope="module")
def client(copy: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from serving.api.app import create_app

    with TestClient(create_app(copy), raise_server_exceptions=False) as test_client:
        yield test_client, keys_for(copy)


def busiest_step(settings: Settings) -> tuple[str, str]:
    """The letter step with most invoices on the worklist at the ledger's end, and the day."""
    ledger = load_ledger(make_engine(settings.database_url))
    ctx = context_of(ledger, load_champions(settings, [LATE_MODEL]), settings)
    day = ledger_end(ledger).date()
    rows = services.worklist(ctx, day).worklist.rows
    counts = rows["recommended_step"].value_counts()
    step = max(("email", "letter", "formal_notice"), key=lambda s: counts.get(s, 0))
    assert counts.get(step, 0) > 0
    return step, day.isoformat()


def test_the_api_writes_a_letter_per_client_and_logs_it_once(
    client: tuple[TestClient, dict[str, str]], copy: Settings
) -> None:
    http, keys = client
    step, day = busiest_step(copy)
    body = {"step": step, "as_of": day}
    assert http.post("/v1/letters", json=body, headers=auth(keys["viewer"])).status_code == 403
    answer = http.post("/v1/letters", json=body, headers=auth(keys["collector"]))
    assert answer.status_code == 200, answer.text
    made = answer.json()
    listed = [i["invoice_id"] for letter in made["letters"] for i in letter["invoices"]]
    assert made["recorded_actions"] == len(listed) > 0
    assert len({letter["client_id"] for letter in made["letters"]}) == len(made["letters"])
    first = made["letters"][0]
    assert first["pdf_base64"].startswith("JVBERi")  # "%PDF" in base64
    assert first["penalties"] == pytest.approx(sum(i["penalties"] for i in first["invoices"]))
    again = http.post("/v1/letters", json=body | {"pdf": False}, headers=auth(keys["collector"]))
    assert again.json()["recorded_actions"] == 0  # the same letters: nothing written twice
    assert again.json()["letters"][0]["pdf_base64"] is None
    audit = http.get("/v1/audit", headers=auth(keys["admin"])).json()
    assert any(f"letters ({step})" in e["summary"] for e in audit["entries"])
    bad = http.post("/v1/letters", json={"step": "call"}, headers=auth(keys["collector"]))
    assert bad.status_code == 422


def test_the_command_writes_markdown_and_pdf(
    copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step, day = busiest_step(copy)
    monkeypatch.setenv("ENCOURS_DATABASE_URL", copy.database_url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(copy.models_dir))
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(
            cli_app,
            ["letters", "--step", step, "--as-of", day, "--out", str(tmp_path), "--no-record"],
        )
    finally:
        get_settings.cache_clear()
    assert done.exit_code == 0, done.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written and len(written) % 2 == 0
    assert {Path(n).suffix for n in written} == {".md", ".pdf"}
    assert "actions" in done.output
