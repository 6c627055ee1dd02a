"""Calibrators as data: each kind read back from its numbers gives the same probabilities,
and a ``model.json`` this code cannot read is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.isotonic import IsotonicRegression

from training.late_payment import (
    Calibrator,
    CenteredIsotonic,
    SigmoidCalibrator,
    calibrated,
)
from training.model_files import (
    EXTRA,
    FORM_FILE,
    UnknownForm,
    calibrator_form,
    calibrator_of,
    load,
)


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
