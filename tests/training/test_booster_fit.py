"""Boosters fitted with lightgbm.dask when asked: on the cluster's workers, close to the
boosters fitted here, and only within the block that asks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from training import booster_fit
from training.booster_fit import boosters_on
from training.cluster import dask_client
from training.dataset import Split
from training.late_payment import LatePaymentModel
from training.payment_time import PaymentTimeModel
from training.targets import late_outcome, payment_durations

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two worker processes: LightGBM's network is one per process, so two threads of one
    process cannot be two of its machines."""
    with dask_client(None, workers=2, processes=True) as opened:
        yield opened


def machines(model: Any) -> int:
    """How many LightGBM machines fitted the booster, read from its saved parameters."""
    text = model.booster_.booster_.model_to_string()
    found = [line for line in text.splitlines() if line.startswith("[num_machines: ")]
    return int(found[0].removeprefix("[num_machines: ").rstrip("]")) if found else 1


def late_model(split: Split) -> LatePaymentModel:
    """The late-payment model fitted on the split's labelled training invoices."""
    y = late_outcome(split.train, split.cutoff)
    known = y.notna().to_numpy()
    return LatePaymentModel().fit(split.x_train[known], y[known], split.train["issue_date"][known])


def test_the_late_booster_is_fitted_on_the_workers_and_predicts_as_well(
    client: Any, split: Split
) -> None:
    here = late_model(split)
    with boosters_on(client):
        there = late_model(split)
    assert machines(here) == 1
    assert machines(there) == 2
    # the trees differ (the workers' histograms are merged), the number of trees does not:
    # it is chosen by the held-back fits, which stay here and are the same
    assert there.fold_trees_ == here.fold_trees_
    assert there.booster_.booster_.num_trees() == here.booster_.booster_.num_trees()
    y = late_outcome(split.test, split.test["due_date"].max())
    known = y.notna().to_numpy()
    x_test, y_test = split.x_test[known], y[known].astype(int)
    auc_here = roc_auc_score(y_test, here.predict_proba(x_test)[:, 1])
    auc_there = roc_auc_score(y_test, there.predict_proba(x_test)[:, 1])
    assert auc_there > 0.6  # ranks the late invoices first, as the booster fitted here
    assert abs(auc_there - auc_here) < 0.03
    assert not np.allclose(here.raw_proba(split.x_test), there.raw_proba(split.x_test)), (
        "the same trees: the cluster was not used"
    )


def test_a_fit_on_a_local_cluster_prints_only_what_the_command_prints(tmp_path: Path) -> None:
    # A command's --json goes to standard output, which a local cluster's workers share:
    # the distributed fit's network messages must go elsewhere. Run as a command would be.
    script = tmp_path / "fit.py"
    script.write_text(
        textwrap.dedent(
            """
            import json
            import numpy as np
            import pandas as pd
            from training.booster_fit import boosters_on, fitted_booster
            from training.cluster import dask_client

            if __name__ == "__main__":  # the workers are spawned: they import this file
                x = pd.DataFrame({"a": np.random.default_rng(0).normal(size=400)})
                with dask_client(None) as client, boosters_on(client):
                    fitted = fitted_booster({"n_estimators": 5, "verbosity": -1}, x, x.a > 0)
                print(json.dumps({"trees": fitted.booster_.num_trees()}))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"trees": 5}, done.stdout
    assert "[LightGBM]" in done.stderr  # the workers did speak, where errors go
    assert "n_jobs will be ignored" not in done.stderr  # each worker's threads, as meant


def test_the_payment_time_booster_is_fitted_on_the_workers(client: Any, split: Split) -> None:
    durations = payment_durations(split.train, split.cutoff)
    with boosters_on(client):
        there = PaymentTimeModel().fit(split.x_train, durations)
    here = PaymentTimeModel().fit(split.x_train, durations)
    assert (machines(here), machines(there)) == (1, 2)
    days_here = here.predict(split.x_test)
    days_there = there.predict(split.x_test)
    assert np.all(np.isfinite(days_there))
    # the median payment day of the test invoices moves by less than two days
    assert abs(float(np.median(days_there)) - float(np.median(days_here))) < 2.0


def test_the_models_fitted_at_once_fit_their_boosters_on_the_cluster(
    client: Any, split: Split
) -> None:
    # fit_models fits the three in threads: the choice of the block must reach each, and
    # their distributed fits must take the workers one at a time
    from training.models import fit_models

    with boosters_on(client):
        models = fit_models(split)
    assert machines(models.time) == 2
    assert machines(models.onboarding.time_) == 2
    assert machines(models.onboarding.late_) == 2


class LosingWorkers:
    """A client whose cluster loses a worker in the middle of the first ``losses`` fits."""

    def __init__(self, losses: int) -> None:
        self.losses, self.fits, self.waits = losses, 0, 0

    def scheduler_info(self) -> dict[str, Any]:
        return {"workers": {"tcp://a": {}, "tcp://b": {}}}

    def wait_for_workers(self, n: int, timeout: float) -> None:
        assert n == 2
        self.waits += 1

    def fitted(self, client: Any, params: Any, x: Any, y: Any) -> str:
        self.fits += 1
        if self.fits <= self.losses:
            raise lgb.basic.LightGBMError("Socket recv error, Connection reset by peer")
        return "fitted"


@pytest.mark.parametrize("losses", [1, booster_fit.DASK_TRIES - 1])
def test_a_fit_that_loses_a_worker_is_tried_again(
    monkeypatch: pytest.MonkeyPatch, losses: int
) -> None:
    cluster = LosingWorkers(losses)
    monkeypatch.setattr(booster_fit, "_dask_fitted", cluster.fitted)
    with boosters_on(cluster):
        assert booster_fit.fitted_booster({}, pd.DataFrame({"a": [1.0]}), np.ones(1)) == "fitted"
    assert (cluster.fits, cluster.waits) == (losses + 1, losses)


def test_a_fit_that_keeps_losing_workers_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    cluster = LosingWorkers(booster_fit.DASK_TRIES)
    monkeypatch.setattr(booster_fit, "_dask_fitted", cluster.fitted)
    with pytest.raises(lgb.basic.LightGBMError, match="Socket"), boosters_on(cluster):
        booster_fit.fitted_booster({}, pd.DataFrame({"a": [1.0]}), np.ones(1))
    assert cluster.fits == booster_fit.DASK_TRIES


def test_outside_the_block_boosters_are_fitted_here_again(client: Any, split: Split) -> None:
    with boosters_on(client):
        pass
    assert machines(late_model(split)) == 1
    with pytest.raises(RuntimeError), boosters_on(client):
        raise RuntimeError("a failed fit")
    assert machines(late_model(split)) == 1


def test_a_frame_with_categories_keeps_them_on_the_workers(client: Any) -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    kind = pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"])
    x = pd.DataFrame({"kind": kind, "amount": rng.normal(size=n)})
    y = (np.asarray(kind) == "c").astype(int)  # late exactly when the kind is "c"
    params: dict[str, object] = {"n_estimators": 20, "verbosity": -1, "random_state": 1}
    from training.booster_fit import fitted_booster

    with boosters_on(client):
        fitted = fitted_booster(params, x, y)
    p = fitted.predict_proba(x)[:, 1]
    assert p[y == 1].min() > 0.9 > 0.1 > p[y == 0].max()
