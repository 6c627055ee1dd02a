"""Schemathesis against the app's own OpenAPI schema: no 5xx, every answer as documented.

For each operation: the schema's examples, the coverage phase's boundary and invalid
values, then 20 generated requests (valid and invalid), sent in process to
``create_app`` on a copy of the serving store, with an admin key so that every route is
reached. A second, smaller pass without a key checks the refusals are documented too.
Generation is derandomized with a fixed seed and no example database: a run repeats the
last one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import ASGIClient
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from encours.settings import Settings
from serving.api.app import create_app
from serving.champions import ModelSet
from serving.scoring import LoadedModel
from tests.serving.conftest import Store, auth, keys_for
from training.models import (
    ONBOARDING_MODEL,
    TIME_MODEL,
    OnboardingModel,
    PaymentTimeModel,
    training_targets,
)

# Building the app loads nothing (its lifespan does), so the schema can be had at
# collection, when schemathesis needs it; test_the_schema_tested_is_the_one_served checks
# the running app serves the same one.
SPEC = create_app(Settings(database_url="sqlite://")).openapi()
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PUBLIC = {"/healthz", "/readyz"}


def config(max_examples: int, coverage: bool) -> schemathesis.Config:
    """Derandomized generation, ``max_examples`` per operation, the coverage phase or not."""
    return schemathesis.Config.from_dict(
        {
            "seed": 6,
            "generation": {
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                # The tests send the key; generated keys would only ever meet a 401.
                "with-security-parameters": False,
            },
            "phases": {"coverage": {"enabled": coverage}},
        }
    )


# POST /v1/models/reload is left out: it would swap in the registry's champions and so
# drop the payment-time and onboarding models the fixture adds (the test store registers
# late-payment models only). It takes no input; test_ops covers it.
admin = schemathesis.openapi.from_dict(SPEC, config=config(20, coverage=True)).exclude(
    method="POST", path="/v1/models/reload"
)
anonymous = schemathesis.openapi.from_dict(SPEC, config=config(3, coverage=False))


@dataclass(frozen=True)
class Running:
    """The app on a copy of the store, its lifespan run, and a token per role."""

    client: TestClient
    session: ASGIClient
    tokens: dict[str, str]


def all_champions(store: Store) -> list[LoadedModel]:
    """Payment-time and onboarding models fitted on the store's ledger (2 s here): the
    store registers late-payment ones only, and without them /v1/forecast and
    /v1/clients/score would answer 503 to everything."""
    from training.dataset import ledger_end, out_of_time_split
    from training.train import default_cutoff

    end = ledger_end(store.ledger)
    split = out_of_time_split(store.ledger, default_cutoff(end), end)
    y, durations = training_targets(split)
    order = split.train["issue_date"]
    return [
        LoadedModel(TIME_MODEL, "1", PaymentTimeModel().fit(split.x_train, durations)),
        LoadedModel(
            ONBOARDING_MODEL,
            "1",
            OnboardingModel(split.onboarding_features).fit(split.x_train, y, order, durations),
        ),
    ]


@pytest.fixture(scope="module")
def running(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    # A copy of the ledger database: lettrage and actions write to it, and the store is
    # shared with the other test modules.
    root = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(store.settings.database_url.removeprefix("sqlite:///"), root / "ledger.db")
    settings = store.settings.model_copy(update={"database_url": f"sqlite:///{root}/ledger.db"})
    tokens = keys_for(settings)
    extra = all_champions(store)
    app = create_app(settings)
    # The TestClient runs the lifespan once for the module. The ASGIClient that sends
    # schemathesis's requests is not entered: entered, it would run the lifespan itself,
    # and schemathesis's pytest plugin ends that lifespan after each test, so the models
    # would be loaded and the ledger's features fitted again for every operation.
    with TestClient(app) as client:
        state = app.state.encours
        state.models = ModelSet.of([*state.models.models.values(), *extra])
        yield Running(client, ASGIClient(app), tokens)


def test_the_schema_tested_is_the_one_served(running: Running) -> None:
    assert running.client.get("/openapi.json").json() == SPEC


@admin.parametrize()
def test_as_admin(case: schemathesis.Case, running: Running) -> None:
    headers = auth(running.tokens["admin"])
    case.call_and_validate(session=running.session, headers=headers, checks=CHECKS)


@anonymous.parametrize()
def test_without_a_key(case: schemathesis.Case, running: Running) -> None:
    response = case.call_and_validate(session=running.session, checks=CHECKS)
    assert case.path in PUBLIC or response.status_code >= 400
