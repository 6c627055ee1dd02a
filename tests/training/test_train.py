"""Training end to end: registered models and aliases, the report, the CLI commands.

One simulated ledger, imported into a SQLite database, is trained on twice with the same
MLflow store: first through :func:`training.train.train_models` (with the simulator's
truth), then through ``encours train`` (the same data, hence the same models and losses).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils
from typer.testing import CliRunner

from encours.cli import app
from encours.settings import Settings, get_settings
from ledger.contract import Ledger
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from simulator import Simulation
from training.evaluation import KEYS
from training.models import LATE_MODEL, MODEL_NAMES, ONBOARDING_MODEL, TIME_MODEL
from training.registry import IncompatibleModel, load
from training.targets import BUCKETS
from training.tracking import CHALLENGER, CHAMPION, champion_version, quiet_mlflow, use_store
from training.train import TrainReport, _beatable_champion, train_models

pytestmark = pytest.mark.slow

runner = CliRunner()
BASELINES = ("client_last_delay", "due_date", "logistic_regression", "kaplan_meier")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Settings on a fresh ledger database and MLflow store, restored afterwards."""
    folder = tmp_path_factory.mktemp("train")
    with pytest.MonkeyPatch.context() as mp:
        # use_store points MLflow at the test store for the process: put it back after.
        mp.setattr(tracking_utils, "_tracking_uri", tracking_utils._tracking_uri)
        mp.setattr(registry_utils, "_registry_uri", registry_utils._registry_uri)
        mp.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{folder}/ledger.db")
        mp.setenv("ENCOURS_MODELS_DIR", str(folder / "models"))
        get_settings.cache_clear()
        yield folder
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def ledger(root: Path, simulation: Simulation) -> Ledger:
    """The simulated ledger as the CLI reads it: imported into the database."""
    engine = make_engine(get_settings().database_url)
    migrate(engine)
    save_ledger(engine, simulation.ledger)
    loaded = load_ledger(engine)
    engine.dispose()
    return loaded


@pytest.fixture(scope="module")
def steps() -> list[str]:
    return []


@pytest.fixture(scope="module")
def first(ledger: Ledger, simulation: Simulation, steps: list[str]) -> TrainReport:
    """The first training run on an empty store, with the simulator's truth."""
    settings = get_settings()
    use_store(settings.tracking_uri, settings.artifacts_uri)
    return train_models(ledger, step=steps.append, truth=simulation.truth)


def _invoke(*args: str) -> Any:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def second(first: TrainReport) -> dict[str, Any]:
    """``encours train --json`` on the same ledger and store: an identical second run.

    Its plots (those of the first run are checked) are skipped to save a few seconds.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("training.train.evaluation_plots", lambda *_, **__: [])
        return dict(_invoke("train"))


def _losses(report: dict[str, Any]) -> dict[str, float]:
    return {
        LATE_MODEL: report["brier"],
        TIME_MODEL: report["mae_days"],
        ONBOARDING_MODEL: report["unseen_clients"]["onboarding"]["brier"],
    }


def test_the_first_run_registers_three_champions(first: TrainReport, steps: list[str]) -> None:
    assert steps == ["features", "fit", "evaluate", "register"]
    assert [r.name for r in first.registrations] == list(MODEL_NAMES)
    assert all(r.version == "1" and r.promoted for r in first.registrations)
    assert all(r.champion_score is None for r in first.registrations)
    assert first.registration.name == LATE_MODEL
    client = MlflowClient()
    with quiet_mlflow():
        for reg in first.registrations:
            assert champion_version(reg.name) == "1"
            assert client.get_model_version_by_alias(reg.name, CHAMPION).run_id == reg.run_id
        logged = {a.path for a in client.list_artifacts(first.registration.run_id)}
        plots = client.list_artifacts(first.registration.run_id, "plots")
    assert {"evaluation.json", "features.json", "plots"} <= logged
    assert len(plots) >= 2


def test_the_report_has_every_figure_beside_the_baselines(first: TrainReport) -> None:
    report = json.loads(json.dumps(first.as_json(), default=str))
    assert set(KEYS) == {"roc_auc", "pr_auc", "brier", "ece", "mae_days", "coverage_p10_p90"}
    assert set(report) >= {*KEYS, "cutoff", "end", "n_train", "n_test", "baselines", "models"}
    assert all(isinstance(report[k], float) and report[k] == report[k] for k in KEYS)
    assert set(report["baselines"]) == set(BASELINES)
    for figures in report["baselines"].values():
        assert set(figures) >= set(KEYS)
    # Censoring-aware payment-date figures, for the model and every baseline: the
    # Kaplan-Meier curve knows nothing of the invoices, so it ranks none above another.
    for figures in [report, *report["baselines"].values()]:
        assert 0.0 <= figures["c_index_ipcw"] <= 1.0 and 0.0 <= figures["integrated_brier"] <= 1.0
    assert report["baselines"]["kaplan_meier"]["c_index_ipcw"] == pytest.approx(0.5)
    assert report["c_index_ipcw"] > 0.6
    assert report["integrated_brier"] < report["baselines"]["kaplan_meier"]["integrated_brier"]
    assert set(report["unseen_clients"]) == {"late-payment", "onboarding", "due_date"}
    assert set(report["censoring"]) == {
        "days_after_due",
        "observed_share_paid",
        "with_censored",
        "dropping_open",
    }
    assert report["n_train"] == len(first.split.train) and report["n_test"] > 1000
    assert pd.Timestamp(report["end"]) - pd.Timestamp(report["cutoff"]) == pd.Timedelta(days=183)
    assert [m["name"] for m in report["models"]] == list(MODEL_NAMES)


def test_the_predictions_of_the_test_invoices(first: TrainReport) -> None:
    frame = first.evaluation.predictions
    test = first.split.test
    assert list(frame.columns[:6]) == [
        "invoice_id",
        "p_late",
        "expected_days_to_pay",
        "p10_date",
        "p50_date",
        "p90_date",
    ]
    assert frame["invoice_id"].tolist() == test["invoice_id"].tolist()
    assert frame["p_late"].between(0, 1).all()
    dates = frame[["p10_date", "p50_date", "p90_date"]]
    assert dates["p10_date"].notna().all()
    both = dates["p50_date"].notna()
    assert (dates.loc[both, "p10_date"] <= dates.loc[both, "p50_date"]).all()
    both = dates["p90_date"].notna()
    assert (dates.loc[both, "p50_date"] <= dates.loc[both, "p90_date"]).all()
    assert (dates["p10_date"] >= test["issue_date"].to_numpy()).all()  # none before issue
    assert (frame["expected_days_to_pay"] >= 0).all()
    buckets = frame[[f"p_{b}" for b in BUCKETS]].to_numpy()
    np.testing.assert_allclose(buckets.sum(axis=1), 1.0)
    np.testing.assert_allclose(buckets[:, 1:].sum(axis=1), frame["p_late"])


def test_the_model_beats_the_naive_baseline_and_not_the_truth(first: TrainReport) -> None:
    report = first.as_json()
    due_date = report["baselines"]["due_date"]
    oracle = report["oracle"]
    # Everyone at the training late rate: ranking at chance. The model ranks and is sharper.
    assert due_date["roc_auc"] == 0.5
    assert report["brier"] < due_date["brier"] - 0.01
    assert report["roc_auc"] > 0.65
    # The simulator's true probabilities are the best achievable (by a margin here).
    assert oracle["roc_auc"] >= report["roc_auc"] + 0.02
    assert oracle["brier"] < report["brier"]
    assert oracle["model_vs_oracle_roc_auc"] == pytest.approx(report["roc_auc"] / oracle["roc_auc"])
    # By the client's history at issue: the bands split the invoices whose outcome is known.
    bands = oracle["by_client_history"]
    assert set(bands) <= {"0-9", "10-29", "30+"} and bands
    assert sum(b["n_late_known"] for b in bands.values()) <= report["n_late_known"]
    assert all(0 < b["model_vs_oracle_roc_auc"] < 1.5 for b in bands.values())
    # The truth's P10-P90 holds at least 80 % of payments (more: people pay on set days);
    # the model's is near 80 %.
    assert oracle["coverage_p10_p90"] >= 0.8
    assert 0.65 < report["coverage_p10_p90"] < 0.95


def test_an_identical_second_run_is_only_the_challenger(
    first: TrainReport, second: dict[str, Any]
) -> None:
    before = first.as_json()
    assert second["cutoff"] == before["cutoff"] and second["n_test"] == before["n_test"]
    for k in KEYS:
        assert second[k] == pytest.approx(before[k], rel=1e-9)
    losses = _losses(before)
    assert [m["name"] for m in second["models"]] == list(MODEL_NAMES)
    for m in second["models"]:
        assert m["version"] == "2"
        assert m["champion_loss"] == pytest.approx(losses[m["name"]], rel=1e-9)
        assert not m["promoted"], f"{m['name']}: an equal loss is not better"
    listed = _invoke("models")
    aliases = {(row["name"], row["version"]): row["aliases"] for row in listed}
    assert aliases == {
        **{(name, "2"): [CHALLENGER] for name in MODEL_NAMES},
        **{(name, "1"): [CHAMPION] for name in MODEL_NAMES},
    }
    assert [(row["name"], row["version"]) for row in listed[:2]] == [
        (LATE_MODEL, "2"),
        (LATE_MODEL, "1"),
    ]
    late = next(row for row in listed if row["name"] == LATE_MODEL and row["version"] == "1")
    assert late["metrics"]["brier"] == pytest.approx(before["brier"])
    table = runner.invoke(app, ["models"], terminal_width=200)
    assert table.exit_code == 0, table.output
    assert table.stdout.count("champion") == 3 and table.stdout.count("challenger") == 3


def test_encours_evaluate_reproduces_the_training_figures(
    first: TrainReport, second: dict[str, Any], root: Path
) -> None:
    # The champions are the first run's models, read back from the registry.
    csv = root / "predictions.csv"
    result = runner.invoke(app, ["evaluate", "--json", "--predictions", str(csv)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    trained = first.evaluation
    assert report["cutoff"] == first.split.cutoff.date().isoformat()
    assert report["n_test"] == len(first.split.test)
    for k in KEYS:
        assert report[k] == pytest.approx(trained.metrics[k], rel=1e-9)
    assert set(report["baselines"]) == set(BASELINES)
    for name, figures in report["baselines"].items():
        read = {k: np.nan if v is None else v for k, v in figures.items()}  # NaN is null
        assert read == pytest.approx(trained.baselines[name], nan_ok=True), name
    assert report["unseen_clients"]["onboarding"]["brier"] == pytest.approx(
        trained.unseen_clients["onboarding"]["brier"]
    )
    assert report["censoring"] == {}  # nothing refitted to evaluate
    written = pd.read_csv(csv, parse_dates=["p10_date", "p50_date", "p90_date"])
    expected = trained.predictions
    assert written["invoice_id"].tolist() == expected["invoice_id"].tolist()
    np.testing.assert_allclose(written["p_late"], expected["p_late"], rtol=1e-12)
    for column in ("p10_date", "p50_date", "p90_date"):
        assert written[column].equals(expected[column].astype(written[column].dtype)), column


def _respec(monkeypatch: pytest.MonkeyPatch, feature: str, **change: str) -> None:
    """This version of encours makes ``feature`` otherwise (renamed, another dtype)."""
    from features import pipeline

    specs = [dataclasses.replace(s, **change) if s.name == feature else s for s in pipeline.SPECS]
    monkeypatch.setattr(pipeline, "SPECS", tuple(specs))


def test_features_json_names_each_column_and_its_kind(first: TrainReport) -> None:
    import mlflow.artifacts

    from features.pipeline import SPECS

    with quiet_mlflow():
        logged = mlflow.artifacts.load_dict(f"runs:/{first.registration.run_id}/features.json")
    assert logged["features"] == list(first.split.x_test.columns)
    assert list(logged["kinds"]) == logged["features"]
    made = {s.name: "category" if s.dtype == "category" else "number" for s in SPECS}
    assert {n: k for n, k in logged["kinds"].items() if n in made} == made
    assert logged["kinds"]["inv_currency"] == "category"


def test_a_champion_whose_features_are_no_longer_made_is_refused_unopened(
    first: TrainReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read(*_: object) -> None:
        raise AssertionError("the model was read before its features were checked")

    version = champion_version(LATE_MODEL)
    _respec(monkeypatch, "hist_mean_days_late", name="hist_mean_days_overdue")
    monkeypatch.setattr("training.registry.read_model", read)
    with pytest.raises(IncompatibleModel) as refused:
        load(LATE_MODEL)
    assert str(refused.value) == (
        f"the champion late-payment v{version} needs features [hist_mean_days_late] that this "
        "version of encours no longer makes: retrain with `encours train`"
    )
    assert _beatable_champion(LATE_MODEL) is None  # the next training replaces it


def test_a_champion_reading_a_feature_as_another_kind_is_refused(
    first: TrainReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = champion_version(LATE_MODEL)
    _respec(monkeypatch, "hist_mean_days_late", dtype="category")
    with pytest.raises(IncompatibleModel) as refused:
        load(LATE_MODEL)
    assert str(refused.value) == (
        f"the champion late-payment v{version} reads features [hist_mean_days_late (number, "
        "now category)] as another kind than it is made: retrain with `encours train`"
    )
    monkeypatch.undo()
    assert load(LATE_MODEL).version == version  # the code as it is: served


def test_the_api_serves_what_train_registered_whatever_late_model_name_says(
    first: TrainReport, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from serving.api.app import create_app

    versions = {name: champion_version(name) for name in MODEL_NAMES}
    monkeypatch.setenv("ENCOURS_LATE_MODEL_NAME", "late-payment-elsewhere")  # read no more
    settings = Settings()
    with TestClient(create_app(settings)) as client:
        ready = client.get("/readyz")
        state = client.app.state.encours  # type: ignore[attr-defined]
        served = {m.name: m.version for m in state.models.models.values()}
    assert ready.status_code == 200, ready.text
    assert ready.json()["detail"]["late_model"] == f"{LATE_MODEL} v{versions[LATE_MODEL]}"
    assert served == versions
