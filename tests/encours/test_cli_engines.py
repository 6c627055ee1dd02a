"""``encours features --out`` and ``encours score`` with each engine: the same Parquet
whether pandas or Dask computes it; a Dask scheduler that does not answer told in one line."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from encours.cli import app
from encours.cli.database import BUSY_EXIT, ledger_for_workers
from encours.settings import get_settings
from ledger.contract import Ledger
from ledger.storage import make_engine, migrate, save_ledger
from serving.champions import ModelSet
from serving.scoring import LoadedModel
from simulator import SimulationConfig, simulate
from training.cluster_features import StoredLedger
from training.dataset import ledger_end, out_of_time_split
from training.models import LATE_MODEL, TIME_MODEL, fit_models

runner = CliRunner()
AS_OF = "2024-11-15"
SCORE_RTOL = 1e-13
"""Scores of one invoice may differ in the last bit with the batch it is scored in (the
features do not): numpy's vectorised exp and log round a batch's tail apart, seen as
1.7e-16 on a probability here."""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small simulated ledger saved in a database of its own, once for the module."""
    url = f"sqlite:///{tmp_path_factory.mktemp('engines')}/ledger.db"
    engine = make_engine(url)
    migrate(engine)
    save_ledger(engine, simulate(SimulationConfig(n_clients=20, n_months=12, seed=3)).ledger)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def models(database: str) -> ModelSet:
    """Late-payment and payment-time models fitted on the saved ledger."""
    from ledger.storage import load_ledger

    engine = make_engine(database)
    ledger = load_ledger(engine)
    engine.dispose()
    end = ledger_end(ledger)
    fitted = fit_models(out_of_time_split(ledger, end - pd.Timedelta(days=150), end))
    return ModelSet.of(
        [LoadedModel(LATE_MODEL, "1", fitted.late), LoadedModel(TIME_MODEL, "1", fitted.time)]
    )


@pytest.fixture
def saved(database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Settings on the saved ledger and an empty model store; local Dask workers as
    threads (quicker to start than processes)."""
    monkeypatch.setenv("ENCOURS_DATABASE_URL", database)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setattr("training.cluster.LOCAL_PROCESSES", False)
    get_settings.cache_clear()
    yield database
    get_settings.cache_clear()


def read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("invoice_id", ignore_index=True)


def test_features_out_is_the_same_with_either_engine(saved: str, tmp_path: Path) -> None:
    one, parts = tmp_path / "x.parquet", tmp_path / "x-dask.parquet"

    pandas = runner.invoke(app, ["features", "--out", str(one), "--as-of", AS_OF, "--json"])
    dask = runner.invoke(
        app, ["features", "--out", str(parts), "--as-of", AS_OF, "--engine", "dask", "--json"]
    )

    assert pandas.exit_code == 0, pandas.output
    assert dask.exit_code == 0, dask.output
    said, said_dask = json.loads(pandas.output), json.loads(dask.output)
    assert (said["engine"], said_dask["engine"]) == ("pandas", "dask")
    assert said["rows"] == said_dask["rows"] > 0
    assert said["columns"][:3] == ["invoice_id", "client_id", "as_of"]
    frame = read(one)
    assert (frame["as_of"] == pd.Timestamp(AS_OF)).all()
    pd.testing.assert_frame_equal(read(parts), frame, check_exact=True)


def test_score_writes_every_open_invoice_with_either_engine(
    saved: str, models: ModelSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The registry stubbed: these models are the champions (MLflow's store takes 10 s to
    # create; loading champions from it is tested with the other commands).
    monkeypatch.setattr("training.tracking.use_store", lambda *uris: None)
    monkeypatch.setattr("serving.services.load_champions", lambda settings, names: models)
    one, parts = tmp_path / "s.parquet", tmp_path / "s-dask.parquet"

    pandas = runner.invoke(app, ["score", "--out", str(one), "--as-of", AS_OF])
    dask = runner.invoke(app, ["score", "--out", str(parts), "--as-of", AS_OF, "--engine", "dask"])

    assert pandas.exit_code == 0, pandas.output
    assert dask.exit_code == 0, dask.output
    assert "(pandas)" in pandas.output and "(dask)" in dask.output
    frame = read(one)
    assert len(frame) > 0 and frame["p_late"].between(0, 1).all()
    pd.testing.assert_frame_equal(read(parts), frame, rtol=SCORE_RTOL, atol=0)


@pytest.mark.parametrize("command", ["features", "score", "train"])
def test_a_scheduler_that_does_not_answer_ends_in_one_line(
    saved: str, tmp_path: Path, command: str
) -> None:
    out = [] if command == "train" else ["--out", str(tmp_path / "f.parquet")]
    args = [command, *out, "--engine", "dask", "--scheduler", "nonsense"]
    if command == "score":
        args = [*args[:3], "--as-of", AS_OF, *args[3:]]

    result = runner.invoke(app, args)

    assert result.exit_code == 1, result.output
    assert "error: no Dask scheduler answers at nonsense" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "f.parquet").exists()


def test_scheduler_goes_with_the_dask_engine(saved: str, tmp_path: Path) -> None:
    out = str(tmp_path / "f.parquet")

    result = runner.invoke(app, ["features", "--out", out, "--scheduler", "tcp://h:8786"])

    assert result.exit_code == 2
    assert "--scheduler needs --engine dask" in result.output


def test_lightgbm_dask_goes_with_the_dask_engine(saved: str) -> None:
    result = runner.invoke(app, ["train", "--lightgbm-dask"])

    assert result.exit_code == 2
    assert "--lightgbm-dask needs --engine dask" in result.output


@pytest.mark.slow
@pytest.mark.parametrize("asked", [False, True], ids=["here", "lightgbm-dask"])
def test_train_fits_its_boosters_on_the_cluster_when_asked(
    saved: str, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    import numpy as np

    from training.booster_fit import fitted_booster

    # Worker processes: LightGBM's network is one per process. The training itself is
    # tested elsewhere: here a booster fitted where train_models fits them says on how
    # many machines it was fitted, through the command's one-line error.
    monkeypatch.setattr("training.cluster.LOCAL_PROCESSES", True)

    def fitted_machines(*args: Any, **kwargs: Any) -> None:
        rng = np.random.default_rng(0)
        x = pd.DataFrame({"a": rng.normal(size=400)})
        booster = fitted_booster({"n_estimators": 5, "verbosity": -1}, x, (x["a"] > 0) * 1)
        text = booster.booster_.model_to_string()
        raise ValueError(f"machines {text.count('[num_machines: 2]') + 1}")

    monkeypatch.setattr("training.train.train_models", fitted_machines)
    flag = ["--lightgbm-dask"] if asked else []

    result = runner.invoke(app, ["train", "--engine", "dask", *flag])

    assert result.exit_code == 1, result.output
    assert f"machines {2 if asked else 1}" in result.output


@pytest.mark.parametrize(
    ("relative", "remote", "read_by_workers"),
    [(False, False, True), (True, False, True), (False, True, False)],
    ids=["local", "relative-path", "remote-scheduler"],
)
def test_the_workers_read_the_database_when_they_can_reach_it(
    saved: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    relative: bool,
    remote: bool,
    read_by_workers: bool,
) -> None:
    """A SQLite file is read by local workers, by its absolute path; a remote cluster's
    workers cannot see it: the command reads it and sends the parts."""
    if relative:
        path = Path(saved.removeprefix("sqlite:///"))
        monkeypatch.chdir(path.parent)
        monkeypatch.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{path.name}")
        get_settings.cache_clear()

    source = ledger_for_workers(remote=remote)

    if read_by_workers:
        assert isinstance(source, StoredLedger)
        assert source.url == saved  # absolute
    else:
        assert isinstance(source, Ledger) and len(source.invoices) > 0


def test_an_in_memory_database_is_read_by_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCOURS_DATABASE_URL", "sqlite://")
    get_settings.cache_clear()
    try:
        with pytest.raises(typer.Exit):  # no worker sees it: read here, and it is empty
            ledger_for_workers()
    finally:
        get_settings.cache_clear()


def test_a_ledger_changing_while_the_workers_read_it_ends_in_one_line(
    saved: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import training.cluster_features as cluster_features

    read = cluster_features.load_ledger_part
    numbers = itertools.count()

    def read_during_imports(*args: Any) -> tuple[Ledger, int]:
        ledger, version = read(*args)
        return ledger, version + next(numbers)  # every read sees a later version

    monkeypatch.setattr(cluster_features, "load_ledger_part", read_during_imports)
    out = str(tmp_path / "x.parquet")
    result = runner.invoke(app, ["features", "--out", out, "--engine", "dask"])

    assert result.exit_code == BUSY_EXIT, result.output
    assert "the ledger changed while its parts were read" in result.output
    assert "Traceback" not in result.output
