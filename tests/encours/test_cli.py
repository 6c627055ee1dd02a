"""The command line: help texts, import exit codes, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from encours.cli import app
from ledger.files import write_ledger
from ledger.storage import make_engine, table_counts
from tests.ledger.factories import small_ledger

runner = CliRunner()
KPI_KEYS = {
    "encours",
    "echu",
    "non_echu",
    "a_emettre",
    "avances",
    "dso",
    "dso_countback",
    "taux_recouvrement",
    "taux_creances_douteuses",
    "encours_moyen_par_client",
    "aged_balance",
}


@pytest.mark.parametrize(
    "command", ["simulate", "import", "kpis", "features", "train", "serve", "demo"]
)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert len(result.output.split()) > 15


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys, encours.cli; print(sorted({'pandas','mlflow','lightgbm'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_twice_then_kpis_as_json(env: str, tmp_path: Path) -> None:
    write_ledger(small_ledger(), tmp_path / "files")
    first = runner.invoke(app, ["import", str(tmp_path / "files"), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["tables"]["invoices"]["inserted"] == 3
    second = runner.invoke(app, ["import", str(tmp_path / "files"), "--json"])
    tables = json.loads(second.output)["tables"]
    assert all(t["inserted"] == 0 and t["updated"] == 0 for t in tables.values())

    result = runner.invoke(app, ["kpis", "--as-of", "2024-03-15", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) >= KPI_KEYS
    assert set(figures["aged_balance"]) == {
        "not_due", "d1_30", "d31_60", "d61_90", "over_90", "non_affecte"
    }  # fmt: skip
    # At 2024-03-15: F1 and its credit note A1 are settled (2024-02-20); F2 (550.50) is
    # open, 13 days past due, less P2 (200.00) paid 2024-03-10: échu 350.50. Unbilled
    # 300.00 (delivered 03-01, to invoice 04-01). Advances 2 × 50.00 held.
    # encours = 350.50 + 0 + 300.00 − 100.00 = 550.50
    assert figures["echu"] == 350.50
    assert figures["encours"] == 550.50


def test_kpis_in_the_database_print_the_same(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from encours.settings import get_settings

    write_ledger(small_ledger(), tmp_path / "files")
    assert runner.invoke(app, ["import", str(tmp_path / "files")]).exit_code == 0
    outputs = {}

    def not_loaded(engine: object) -> None:
        raise AssertionError("the ledger was loaded into memory")

    for mode in ("never", "always"):  # in memory, then in SQL (SQLite here)
        monkeypatch.setenv("ENCOURS_KPIS_IN_DATABASE", mode)
        if mode == "always":
            monkeypatch.setattr("ledger.storage.load_ledger", not_loaded)
        get_settings.cache_clear()
        for as_json in ([], ["--json"]):
            args = ["kpis", "--as-of", "2024-03-15", "--recovery-days", "30", *as_json]
            result = runner.invoke(app, args)
            assert result.exit_code == 0, result.output
            outputs[mode, bool(as_json)] = result.output
    assert json.loads(outputs["always", True])["echu"] == 350.50  # as worked out above
    assert outputs["always", True] == outputs["never", True]
    assert outputs["always", False] == outputs["never", False]


def test_aged_balance_in_the_database_prints_the_same(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from encours.settings import get_settings

    write_ledger(small_ledger(), tmp_path / "files")
    assert runner.invoke(app, ["import", str(tmp_path / "files")]).exit_code == 0
    asked = [
        ("--as-of", "2024-03-15", "--json"),
        ("--as-of", "2024-03-15"),
        ("--as-of", "2023-01-01"),  # before any invoice
        ("--as-of", "2024-03-15", "--currency", "USD"),  # none: zeros
    ]
    outputs: dict[str, dict[tuple[str, ...], str]] = {}
    for mode in ("never", "always"):
        monkeypatch.setenv("ENCOURS_KPIS_IN_DATABASE", mode)
        get_settings.cache_clear()
        outputs[mode] = {}
        for args in asked:
            result = runner.invoke(app, ["aged-balance", *args])
            assert result.exit_code == 0, result.output
            outputs[mode][args] = result.output
    assert outputs["always"] == outputs["never"]
    # At 2024-03-15 (see above): F2's 350.50 open, 13 days past due.
    (eur,) = json.loads(outputs["always"][asked[0]])["balances"]
    assert (eur["currency"], eur["d1_30"], eur["total"]) == ("EUR", 350.50, 350.50)
    assert "Balance âgée au 15/03/2024" in outputs["always"][asked[1]]
    assert "Aucune facture ouverte au 01/01/2023." in outputs["always"][asked[2]]


def test_a_bad_file_is_rejected_whole_and_exits_1(env: str, tmp_path: Path) -> None:
    ledger = small_ledger()
    ledger.invoices["amount_cents"] = pd.array([120_000, -5, 10_000], dtype="Int64")
    write_ledger(ledger, tmp_path / "files")
    result = runner.invoke(app, ["import", str(tmp_path / "files"), "--json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["problems"]
    assert [(p["file"], p["row"], p["field"]) for p in problems] == [("invoices.csv", 2, "amount")]
    human = runner.invoke(app, ["import", str(tmp_path / "files")])
    assert human.exit_code == 1
    assert "nothing was written" in human.output
    assert set(table_counts(make_engine(env)).values()) == {0}


def test_kpis_rejects_a_date_in_the_wrong_format(env: str) -> None:
    result = runner.invoke(app, ["kpis", "--as-of", "15/03/2024"])
    assert result.exit_code == 2
    assert "15/03/2024" in result.output


def test_features_list_prints_the_registry() -> None:
    result = runner.invoke(app, ["features", "--list", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.output)
    families = {row["family"] for row in listed}
    assert families == {"history", "exposure", "invoice", "client", "dunning"}
    assert all(row["description"] for row in listed)
    assert "hist_p90_days_late" in {row["name"] for row in listed}


def test_import_a_fec_export_it_and_reject_a_bad_one(env: str, tmp_path: Path) -> None:
    from ledger.fec import write_fec

    assert runner.invoke(app, ["export", "--help"]).exit_code == 0
    assert runner.invoke(app, ["import"]).exit_code == 2  # neither a folder nor --fec
    fec = tmp_path / "FEC.txt"
    write_fec(small_ledger(), fec)
    first = runner.invoke(app, ["import", "--fec", str(fec), "--terms-days", "45", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["tables"]["invoices"]["inserted"] == 3

    out = tmp_path / "again.txt"
    exported = runner.invoke(app, ["export", "--fec", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["lines"] == len(out.read_bytes().splitlines()) - 1

    bad = tmp_path / "bad.txt"
    lines = fec.read_bytes().splitlines()
    fields = lines[1].split(b"\t")
    fields[11] = b"12,3x"  # Debit
    bad.write_bytes(b"\n".join([*lines, b"\t".join(fields)]))
    counts = table_counts(make_engine(env))
    rejected = runner.invoke(app, ["import", "--fec", str(bad), "--json"])
    assert rejected.exit_code == 1
    [problem] = json.loads(rejected.output)["problems"]
    assert (problem["row"], problem["field"]) == (len(lines), "Debit")
    assert table_counts(make_engine(env)) == counts


def test_reconcile_a_fec_with_takings_left_out(env: str, tmp_path: Path) -> None:
    from tests.ledger.test_fec_variants import plain

    fec = plain(tmp_path / "FEC.txt")
    imported = runner.invoke(
        app, ["import", "--fec", str(fec), "--exclude-client", "RECETTECB", "--json"]
    )
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(app, ["reconcile", "--fec", str(fec), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["reconciled"] is True
    assert [d["as_of"] for d in body["dates"]] == ["2024-01-31", "2024-02-29", "2024-03-20"]
    last = body["dates"][-1]["total"]
    assert last["books"] == last["encours"] == 400.0  # see the hand-worked 411 balance
    one_day = runner.invoke(app, ["reconcile", "--fec", str(fec), "--as-of", "2024-02-29"])
    assert one_day.exit_code == 0 and "29/02/2024" in one_day.output

    # A payment the ledger lost: the difference is named, the exit code says so.
    engine = make_engine(env)
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM payments WHERE payment_id = 'BQ-4-20240301'")
    broken = runner.invoke(app, ["reconcile", "--fec", str(fec), "--as-of", "2024-03-31"])
    assert broken.exit_code == 1
    assert "C2" in broken.output


@pytest.fixture
def stored(env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The small ledger (clients C1, C2) in the database; MLflow's store put back after."""
    from mlflow.tracking._model_registry import utils as registry_utils
    from mlflow.tracking._tracking_service import utils as tracking_utils

    from ledger.storage import migrate, save_ledger

    # The commands point MLflow at the test store for the process: put it back after.
    monkeypatch.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
    monkeypatch.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
    engine = make_engine(env)
    migrate(engine)
    save_ledger(engine, small_ledger())
    engine.dispose()
    return env


@pytest.fixture
def registered(stored: str) -> str:
    """A small late-payment champion reading two features; returns its version."""
    import numpy as np

    from encours.settings import get_settings
    from training.late_payment import LatePaymentModel
    from training.models import LATE_MODEL
    from training.registry import RunRecord, quiet_mlflow, register, use_store

    settings = get_settings()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.random((40, 2)), columns=["hist_mean_days_late", "inv_log_amount"])
    y = (x["hist_mean_days_late"] > 0.5).astype(int)
    model = LatePaymentModel().fit(x, y, order=pd.Series(range(len(x))))
    with quiet_mlflow():
        return register(LATE_MODEL, model, RunRecord({}, {}, [], {}), x, 0.1, None).version


def test_a_champion_whose_features_are_no_longer_made_ends_a_command_in_one_line(
    registered: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dataclasses

    from encours.__main__ import main
    from features import pipeline

    specs = [
        dataclasses.replace(s, name="hist_mean_days_overdue")
        if s.name == "hist_mean_days_late"
        else s
        for s in pipeline.SPECS
    ]
    monkeypatch.setattr(pipeline, "SPECS", tuple(specs))
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(["risk", "C1"])
    assert ended.value.code == 1
    assert capsys.readouterr().err == (
        f"error: the champion late-payment v{registered} needs features [hist_mean_days_late] "
        "that this version of encours no longer makes: retrain with `encours train`\n"
    )


def test_a_registry_that_cannot_be_read_is_said_so_in_one_line(
    stored: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from encours.__main__ import main
    from encours.settings import get_settings

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ENCOURS_MLFLOW_URI", f"sqlite:///{blocker}/m.db")
    get_settings.cache_clear()
    capsys.readouterr()
    with pytest.raises(SystemExit) as ended:
        main(["risk", "C1"])
    assert ended.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the model registry cannot be read: ")
    assert err.count("\n") == 1 and "registered yet" not in err
