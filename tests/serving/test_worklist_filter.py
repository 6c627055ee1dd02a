"""Worklist filters on rows made by hand: each keeps exactly its rows, in the ranking's order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ledger.contract import Ledger
from serving.worklist_filter import (
    BUCKETS,
    WorklistFilter,
    collector_of,
    collectors,
    filtered,
    matching,
)
from tests.ledger.factories import small_ledger

# Ranked rows (largest amount at risk first), as the worklist gives them.
ROWS = pd.DataFrame(
    {
        "invoice_id": ["A", "B", "C", "D", "E", "F", "G"],
        "client_id": ["C1", "C2", "C3", "C1", "C4", "C2", "C5"],
        "client_name": [
            "Boulangerie Martin",
            "Mairie de Lyon",
            "MARTINEZ SA",
            "Boulangerie Martin",
            None,
            "Mairie de Lyon",
            "C1 Conseil",
        ],
        "collector": ["Sophie", "Marc", None, "Sophie", "Marc", "Marc", None],
        "profile": [
            "standard",
            "public_sector",
            "risky",
            "standard",
            "strategic",
            "public_sector",
            "risky",
        ],
        "days_past_due": [0, 1, 30, 31, 90, 91, -3],
        "open_cents": [10_000, 250_050, 1_299, 1_300, 99_999_999, 110, 1_000_000],
    }
)


def kept(**fields: object) -> list[str]:
    """The invoice ids the filter of ``fields`` keeps."""
    return filtered(ROWS, WorklistFilter(**fields))["invoice_id"].tolist()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ["A", "B", "C", "D", "E", "F", "G"]),
        ({"profile": "public_sector"}, ["B", "F"]),
        ({"profile": "nobody's"}, []),
        # days past due 0 | 1, 30 | 31 | 90 | 91 | -3: each end in its own bucket
        ({"bucket": "not_due"}, ["A", "G"]),
        ({"bucket": "1_30"}, ["B", "C"]),
        ({"bucket": "31_60"}, ["D"]),
        ({"bucket": "61_90"}, ["E"]),
        ({"bucket": "over_90"}, ["F"]),
        ({"client": "C1"}, ["A", "D", "G"]),  # A, D by their id; G by its name "C1 Conseil"
        ({"client": "c1"}, ["G"]),  # ids are exact: A and D are out; G's name still has it
        ({"client": "martin"}, ["A", "C", "D"]),  # any case, inside the name
        ({"client": "Lyon"}, ["B", "F"]),
        ({"client": "Dupont"}, []),  # E has no name: no match, no error
        ({"collector": "Marc"}, ["B", "E", "F"]),
        ({"collector": "marc"}, []),  # a collector is chosen from the list: exact
        ({"min_amount": 13.0}, ["A", "B", "D", "E", "G"]),  # 12.99 left out, 13.00 kept
        ({"min_amount": 12.991}, ["A", "B", "D", "E", "G"]),  # at least 12.991: 13.00 up
        ({"min_amount": 12.99}, ["A", "B", "C", "D", "E", "G"]),  # 12.99 itself is kept
        ({"min_amount": 1.1}, ["A", "B", "C", "D", "E", "F", "G"]),  # 1.1 * 100 = 110.00…01
        ({"min_amount": 0}, ["A", "B", "C", "D", "E", "F", "G"]),
        ({"profile": "public_sector", "bucket": "over_90"}, ["F"]),
        ({"collector": "Sophie", "min_amount": 50.0}, ["A"]),
        ({"client": "", "collector": "", "bucket": "", "profile": ""}, list("ABCDEFG")),  # a form's
    ],
)
def test_each_filter_keeps_exactly_its_rows_in_ranking_order(
    fields: dict[str, object], expected: list[str]
) -> None:
    assert kept(**fields) == expected


def test_the_mask_and_the_rows_agree_and_the_index_is_kept() -> None:
    rows = ROWS.set_axis(np.arange(70, 0, -10))  # a ranking's index is not in order
    chosen = WorklistFilter(bucket="1_30")
    assert matching(rows, chosen).tolist() == [False, True, True, False, False, False, False]
    assert filtered(rows, chosen).index.tolist() == [60, 50]
    assert matching(rows, None).all()
    assert not WorklistFilter().active and WorklistFilter(min_amount=0).active


def test_a_bad_bucket_is_refused() -> None:
    assert BUCKETS == ("not_due", "1_30", "31_60", "61_90", "over_90")
    with pytest.raises(ValueError, match="unknown bucket 'd1_30'"):
        WorklistFilter(bucket="d1_30")  # type: ignore[arg-type]


def with_collectors(names: list[object]) -> Ledger:
    """The small factory ledger with ``names`` in the clients' ``x_collector``."""
    ledger = small_ledger()
    ledger.clients["x_collector"] = names
    return ledger


def test_collectors_are_the_distinct_names_sorted() -> None:
    assert collectors(small_ledger()) == []  # no x_collector column
    ledger = with_collectors(["Sophie ", None])
    assert collectors(ledger) == ["Sophie"]
    three = pd.concat([ledger.clients] * 3, ignore_index=True)
    three["client_id"] = ["A", "B", "C", "D", "E", "F"]
    three["x_collector"] = ["Marc", "Sophie", "", "Marc", float("nan"), "Anne"]
    assert collectors(Ledger(clients=three, invoices=ledger.invoices)) == ["Anne", "Marc", "Sophie"]
    found = collector_of(three, np.array(["B", "C", "E", "Z"], dtype=object))
    assert found.tolist() == ["Sophie", None, None, None]
