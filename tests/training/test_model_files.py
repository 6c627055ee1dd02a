"""Calibrators as data: each kind read back from its numbers gives the same probabilities,
and a ``model.json`` this code cannot read is refused by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from training.dataset import Split
from training.late_payment import (
    Calibrator,
    CenteredIsotonic,
    SigmoidCalibrator,
    calibrated,
)
from training.model_files import (
    EXTRA,
    FORM_FILE,
    MAIN,
    UnknownForm,
    calibrator_form,
    calibrator_of,
    load,
    save,
)
from training.payment_time import PaymentTimeModel
from training.targets import payment_durations


def _held_back(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.01, 0.99, n)
    return raw, (rng.uniform(size=n) < raw**1.5).astype(int)


def _fitted() -> list[Calibrator]:
    raw, y = _held_back(6000)
    identity = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    return [
        CenteredIsotonic().fit(raw, y),
        SigmoidCalibrator().fit(raw[:300], y[:300]),
        IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y),
        identity.fit([0.0, 1.0], [0.0, 1.0]),
    ]


@pytest.mark.parametrize("calibrator", _fitted(), ids=lambda c: type(c).__name__)
def test_a_calibrator_read_back_from_json_calibrates_alike(calibrator: Calibrator) -> None:
    form = json.loads(json.dumps(calibrator_form(calibrator)))  # through JSON text
    again = calibrator_of(form)
    assert type(again) is type(calibrator)
    raw = np.concatenate([np.linspace(0.0, 1.0, 1001), _held_back(500, seed=9)[0]])
    np.testing.assert_allclose(
        calibrated(again, raw), calibrated(calibrator, raw), rtol=0, atol=1e-12
    )


def test_a_model_json_of_another_format_or_kind_is_refused(tmp_path: Path) -> None:
    (tmp_path / EXTRA).mkdir()
    form = tmp_path / EXTRA / FORM_FILE
    form.write_text(json.dumps({"format": 99, "model": {}, "boosters": {}}))
    with pytest.raises(UnknownForm, match="format 99"):
        load(tmp_path)
    form.write_text(json.dumps({"format": 1, "model": {"kind": "neural"}, "boosters": {}}))
    with pytest.raises(UnknownForm, match="kind 'neural'"):
        load(tmp_path)


def _saved_and_read_back(model: PaymentTimeModel, folder: Path) -> PaymentTimeModel:
    """``model`` through :func:`save` and :func:`load`, laid out as MLflow logs it."""
    main, files = save(model, folder)
    root = folder / "logged"
    (root / EXTRA).mkdir(parents=True)
    main.save_model(str(root / MAIN))
    for file in files:
        shutil.copy(file, root / EXTRA / file.name)
    loaded = load(root)
    assert isinstance(loaded, PaymentTimeModel)
    return loaded


def test_a_payment_time_model_read_back_keeps_its_band(split: Split, tmp_path: Path) -> None:
    durations = payment_durations(split.train, split.cutoff)
    model = PaymentTimeModel().fit(split.x_train, durations, split.train["issue_date"])
    loaded = _saved_and_read_back(model, tmp_path)
    assert loaded.band_levels_ == model.band_levels_ != (0.1, 0.9)
    test = split.test
    before = model.distribution(split.x_test, test["issue_date"], test["due_date"])
    after = loaded.distribution(split.x_test, test["issue_date"], test["due_date"])
    for mine, theirs in zip(before.band(), after.band(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(before.expected_offset(), after.expected_offset())


def test_a_payment_time_model_saved_before_the_band_keeps_the_plain_percentiles(
    split: Split, tmp_path: Path
) -> None:
    model = PaymentTimeModel().fit(split.x_train, payment_durations(split.train, split.cutoff))
    _, files = save(model, tmp_path)
    form = json.loads(files[0].read_text())
    del form["model"]["band_levels"], form["model"]["held_back_days"]
    files[0].write_text(json.dumps(form))
    root = tmp_path / "logged"
    (root / EXTRA).mkdir(parents=True)
    model.booster_.booster_.save_model(str(root / MAIN))
    shutil.copy(files[0], root / EXTRA / FORM_FILE)
    loaded = load(root)
    assert isinstance(loaded, PaymentTimeModel) and loaded.band_levels_ == (0.1, 0.9)
