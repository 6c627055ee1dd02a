"""``encours monitor`` and the worklist's scores in the score log, on the serving store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from encours.cli import app as cli_app
from encours.settings import get_settings
from ledger.score_log import read_scores
from ledger.storage import make_engine
from tests.serving.conftest import Store

runner = CliRunner()


def test_the_worklist_logs_its_scores_and_monitor_reads_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(store.settings.database_url.removeprefix("sqlite:///"), tmp_path / "l.db")
    url = f"sqlite:///{tmp_path}/l.db"
    monkeypatch.setenv("ENCOURS_DATABASE_URL", url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(store.settings.models_dir))
    get_settings.cache_clear()
    end = store.ledger.invoices["issue_date"].max().date().isoformat()
    try:
        listed = runner.invoke(cli_app, ["worklist", "--as-of", end, "--limit", "7", "--json"])
        assert listed.exit_code == 0, listed.output
        rows = json.loads(listed.stdout)["rows"]
        engine = make_engine(url)
        logged = read_scores(engine)
        engine.dispose()
        logged = logged[logged["source"] == "batch"]  # the API's tests may have scored too
        # Every row the worklist gave, and nothing else, scored by the champion at --as-of.
        assert sorted(logged["invoice_id"]) == sorted(r["invoice_id"] for r in rows)
        assert set(logged["model_version"]) == {"1"}
        assert {d.date().isoformat() for d in logged["as_of"]} == {end}
        shown = runner.invoke(cli_app, ["monitor", "--as-of", end, "--json"])
        assert shown.exit_code == 0, shown.output
        payload = json.loads(shown.stdout)
        assert list(payload) == ["psi", "matured", "alerts"]
        assert isinstance(payload["alerts"], list)
        table = runner.invoke(cli_app, ["monitor", "--as-of", end])
        assert table.exit_code == 0, table.output
        assert "Dérive du modèle v1" in table.output
        assert "Scores arrivés à maturité" in table.output
    finally:
        get_settings.cache_clear()
