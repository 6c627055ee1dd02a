"""check_clients: the first client of a request that the ledger does not hold; full_scores:
what the models say of invoices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.pipeline import FeatureBuilder
from ledger.contract import Ledger
from ledger.errors import UnknownClient
from serving.scoring import DATE_COLUMNS, FEW_CLIENTS, LoadedModel, check_clients, full_scores
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


def scoring_parts(store: Store) -> tuple[FeatureBuilder, LoadedModel, LoadedModel, pd.DataFrame]:
    """The store's feature builder, champions (late-payment, payment-time) and 7 invoices."""
    from serving.champions import load_models
    from tests.serving.test_schemathesis import all_champions
    from training.models import LATE_MODEL, TIME_MODEL

    late = load_models(store.settings).get(LATE_MODEL)
    assert late is not None
    time_model = next(m for m in all_champions(store) if m.name == TIME_MODEL)
    features = FeatureBuilder().fit(store.ledger)
    invoices = store.ledger.invoices
    some = invoices[invoices["doc_type"] == "invoice"].tail(7).reset_index(drop=True)
    return features, late, time_model, some


def test_full_scores_are_what_each_model_says_of_the_invoices(store: Store) -> None:
    """One feature matrix serves both models (and the reasons): the same figures as each
    model reading the feature frame itself."""
    features, late, time_model, some = scoring_parts(store)
    assert time_model.reads_like(late)
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


def test_invoices_sent_as_arrays_score_as_the_same_invoices_in_a_frame(store: Store) -> None:
    """The score route hands the features numpy arrays built from the request, not a frame:
    the same features, hence the same scores, dates and reasons."""
    from serving.api.routes.scores import invoice_arrays

    features, late, time_model, some = scoring_parts(store)
    some.loc[0, "disputed"] = True  # a flag set, so that a lost one would show
    as_of = pd.Timestamp(some["issue_date"].max())
    asked = ("invoice_id", "client_id", "issue_date", "due_date", "amount_cents", "currency")
    sent = [*asked, "disputed", *(name for name in some.columns if name.startswith("x_"))]
    columns = {name: some[name].astype(object).tolist() for name in sent}
    for name in ("issue_date", "due_date"):
        columns[name] = [stamp.date() for stamp in some[name]]
    arrays = invoice_arrays(columns)

    from_frame = features.columns(some, as_of)
    from_arrays = features.columns(arrays, as_of)
    assert list(from_arrays) == list(from_frame)
    assert any(features.user_.specs), "the store's ledger has user columns to compare"
    for name, values in from_frame.items():
        np.testing.assert_array_equal(np.asarray(from_arrays[name]), np.asarray(values), name)
    framed = full_scores(features, late, time_model, some, as_of, explain=True)
    arrayed = full_scores(features, late, time_model, arrays, as_of, explain=True)
    np.testing.assert_array_equal(arrayed.p_late, framed.p_late)
    assert arrayed.dates is not None and framed.dates is not None
    np.testing.assert_array_equal(arrayed.dates, framed.dates)
    assert arrayed.reasons == framed.reasons
