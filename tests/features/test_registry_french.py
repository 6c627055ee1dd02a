"""Every feature's meaning in French beside the English, for the credit managers who read it."""

from __future__ import annotations

import dataclasses
import re

import pytest

from features.pipeline import SPECS, FeatureBuilder  # importing it registers every family
from features.registry import REGISTRY, FeatureSpec
from simulator import SimulationConfig, simulate


def _numbers(text: str) -> list[str]:
    """The numbers a text holds, sorted (``"10th"`` and ``"le 10"`` both hold ``10``)."""
    return sorted(re.findall(r"\d+", text))


def _user_specs() -> list[FeatureSpec]:
    """The specs of an invoice and a client user column (``x_*``), numbers in their names."""
    ledger = simulate(SimulationConfig(n_clients=3, n_months=2, seed=3)).ledger
    ledger = dataclasses.replace(
        ledger,
        invoices=ledger.invoices.assign(x_channel2="edi"),
        clients=ledger.clients.assign(x_score=1.5),
    )
    return FeatureBuilder().fit(ledger).user_.specs


def test_every_family_registers_its_features() -> None:
    # client 6, dunning 4, exposure 7, history 19, invoice 12 (+ the user columns' specs)
    assert len(REGISTRY) == 48
    assert sorted(REGISTRY) == sorted(spec.name for spec in SPECS)


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=list(REGISTRY))
def test_every_feature_means_something_in_french(spec: FeatureSpec) -> None:
    assert spec.description_fr.strip()
    assert spec.description_fr != spec.description
    # The same figures (PRIOR_WEIGHT, RECENT, the 10th, 90th percentile, 1-12…) in both.
    assert _numbers(spec.description_fr) == _numbers(spec.description)
    # French typography: a space before ":", ";" and "%".
    assert not re.search(r"\S[:;%]", spec.description_fr), spec.description_fr


def test_user_columns_mean_something_in_french() -> None:
    specs = {spec.name: spec for spec in _user_specs()}
    assert specs["x_channel2"].describe("fr") == "votre colonne x_channel2 de la facture"
    assert specs["cli_x_score"].describe("fr") == "votre colonne x_score du client"
    assert specs["cli_x_score"].describe("en") == "your own column x_score of the client"
    for spec in specs.values():
        assert _numbers(spec.description_fr) == _numbers(spec.description)


def test_describe_gives_the_language_asked() -> None:
    spec = REGISTRY["hist_shrunk_mean_days_late"]
    assert spec.describe("fr") == spec.description_fr
    assert spec.describe("en") == spec.description
    assert spec.describe("fr").startswith("retard moyen en jours, rapproché de la moyenne")
    assert spec.describe("en").startswith("mean days late, pulled toward all clients' mean")


def test_describe_falls_back_to_english_without_french() -> None:
    spec = FeatureSpec("f", "a meaning", "family", "category", direction=1)
    assert spec.description_fr == ""
    assert (spec.family, spec.dtype, spec.direction) == ("family", "category", 1)
    assert spec.describe("fr") == spec.describe("en") == "a meaning"
