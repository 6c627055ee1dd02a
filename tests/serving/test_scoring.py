"""check_clients: the first client of a request that the ledger does not hold; full_scores:
what the models say of invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ledger.contract import Ledger
from ledger.errors import UnknownClient
from serving.scoring import DATE_COLUMNS, FEW_CLIENTS, check_clients, full_scores
from tests.serving.conftest import Store

LEDGER = Ledger(clients=pd.DataFrame({"client_id": [f"C{i}" for i in range(100)]}))
KNOWN = frozenset(LEDGER.clients["client_id"])
"""The ledger's clients as a served snapshot keeps them."""
MANY = [f"C{i}" for i in range(FEW_CLIENTS + 5)]  # more distinct clients than FEW_CLIENTS


@pytest.mark.parametrize("ids", [["C7"], ["C7", "C7", "C3"], MANY * 2], ids=["one", "few", "many"])
def test_clients_of_the_ledger_pass(ids: list[str]) -> None:
    check_clients(LEDGER, pd.Series(ids))
    check_clients(LEDGER, pd.Series(ids), KNOWN)


@pytest.mark.parametrize(
    "ids",
    [["X9"], ["C1", "X9", "C2", "X3"], [*MANY[:4], "X9", *MANY[4:], "X3", "X9"]],
    ids=["one", "few", "many"],
)
@pytest.mark.parametrize("known", [None, "set"], ids=["column", "set"])
def test_the_first_unknown_client_is_named(ids: list[str], known: str | None) -> None:
    with pytest.raises(UnknownClient) as raised:
        check_clients(LEDGER, pd.Series(ids), KNOWN if known else None)
    assert raised.value.client_id == "X9"


def test_full_scores_are_what_each_model_says_of_the_invoices(store: Store) -> None:
    """One feature matrix serves both models (and the reasons): the same figures as each
    model reading the feature frame itself."""
    from features.pipeline import FeatureBuilder
    from serving.models import load_models
    from tests.serving.test_schemathesis import all_champions
    from training.models import TIME_MODEL

    late = load_models(store.settings).get(store.settings.late_model_name)
    assert late is not None
    time_model = next(m for m in all_champions(store) if m.name == TIME_MODEL)
    assert time_model.reads_like(late)
    features = FeatureBuilder().fit(store.ledger)
    invoices = store.ledger.invoices
    some = invoices[invoices["doc_type"] == "invoice"].tail(7).reset_index(drop=True)
    as_of = pd.Timestamp(some["issue_date"].max())
    scores = full_scores(features, late, time_model, some, as_of, explain=True)

    x = features.transform(some, as_of)
    np.testing.assert_array_equal(scores.p_late, late.model.predict_proba(x)[:, 1])
    contributions = late.model.contributions(x)
    assert scores.reasons is not None
    for row, reasons in zip(contributions, scores.reasons, strict=True):
        named = dict(zip(late.feature_names, row, strict=False))
        assert [r.contribution for r in reasons] == [named[r.feature] for r in reasons]
    for i, reasons in enumerate(scores.reasons):
        for reason in reasons:
            value = x[reason.feature].iloc[i]
            if pd.isna(value):
                assert reason.value is None
            elif isinstance(value, str):  # a category
                assert reason.value == value
            else:
                assert reason.value == pytest.approx(float(value))
    issue = some["issue_date"]
    dist = time_model.model.distribution(
        x, issue, some["due_date"], open_at=issue.where(issue > as_of, as_of)
    )
    assert scores.dates is not None
    p50 = scores.dates[:, DATE_COLUMNS.index("p50")]
    np.testing.assert_array_equal(p50, dist.days(dist.quantile(0.5)))
