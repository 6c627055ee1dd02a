"""Lettrage: each rule on hand-made cases, properties, the store, a simulated statement."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

import ledger.lettrage_store  # noqa: F401  (registers the lettrage tables on metadata)
from ledger.bank_statement import read_bank_lines
from ledger.contract import Ledger
from ledger.errors import ImportRejected
from ledger.lettrage import (
    RULES,
    LettrageConfig,
    invoice_key,
    label_name,
    open_items,
    propose_matches,
)
from ledger.lettrage_store import apply_lettrage, review_queue
from ledger.schema import metadata
from ledger.storage import load_ledger, save_ledger, table_counts
from simulator import SimulationConfig, simulate
from simulator.bank_statement import StatementConfig, match_scores, simulate_statement
from tests.ledger.factories import dates

CONFIG = LettrageConfig()  # auto at 0.9, tolerance 5 € (and 5 % of the amount)
DAY = "2024-06-28"

CLIENTS = pd.DataFrame(
    {
        "client_id": ["C1", "C2", "C3", "C4"],
        "name": [
            "Boulangerie Martin SARL",
            "Dupont-Moreau Transports SAS",
            "Commune de Lyon",
            "Garnier Négoce SAS",
        ],
    }
)


def invoices(*rows: tuple[str, str, int, str]) -> pd.DataFrame:
    """Open invoices from ``(invoice_id, client_id, open_cents, due_date)``, issued 30 days
    before their due date."""
    due = dates(*(r[3] for r in rows))
    return pd.DataFrame(
        {
            "invoice_id": [r[0] for r in rows],
            "client_id": [r[1] for r in rows],
            "open_cents": pd.Series([r[2] for r in rows], dtype="int64"),
            "issue_date": due - pd.Timedelta(days=30),
            "due_date": due,
        }
    )


def lines(*rows: tuple[str, int, str, str | None]) -> pd.DataFrame:
    """Bank lines from ``(line_id, amount_cents, label, client_id)``, all dated :data:`DAY`."""
    return pd.DataFrame(
        {
            "line_id": [r[0] for r in rows],
            "date": dates(*(DAY for _ in rows)),
            "amount_cents": pd.Series([r[1] for r in rows], dtype="int64"),
            "label": [r[2] for r in rows],
            "client_id": pd.Series([r[3] for r in rows], dtype=object),
        }
    )


# C1 has three open invoices, two of them for the same amount; C2 has five.
BOOK = invoices(
    ("F0000123", "C1", 120_000, "2024-06-15"),
    ("F0000124", "C1", 120_000, "2024-06-20"),
    ("F0000130", "C1", 45_678, "2024-06-25"),
    ("F0000201", "C2", 31_250, "2024-05-31"),
    ("F0000202", "C2", 18_990, "2024-06-10"),
    ("F0000203", "C2", 7_425, "2024-06-15"),
    ("F0000204", "C2", 250_000, "2024-06-30"),
    ("F0000205", "C2", 64_010, "2024-07-15"),
    ("F0000301", "C3", 98_765, "2024-06-30"),
)


def propose(frame: pd.DataFrame, book: pd.DataFrame = BOOK, **config: float) -> pd.DataFrame:
    """The proposals for ``frame`` against ``book`` and :data:`CLIENTS`."""
    return propose_matches(frame, book, CLIENTS, LettrageConfig(**config))  # type: ignore[arg-type]


def auto(proposals: pd.DataFrame) -> set[tuple[str, str, int, str]]:
    """The allocations applied automatically: (line, invoice, cents, rule)."""
    sure = proposals[proposals["confidence"] >= CONFIG.auto_threshold]
    return {(r.line_id, r.invoice_id, r.amount_cents, r.rule) for r in sure.itertuples(index=False)}


# --- normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [("F0000123", "123"), ("FAC 123", "123"), ("INV-000123", "123"), ("FA-2024-00123", "2024123")],
)
def test_invoice_keys_ignore_prefixes_separators_and_padding(written: str, key: str) -> None:
    assert invoice_key(written) == key


def test_the_payer_name_is_what_is_left_of_the_label() -> None:
    label = "VIR SEPA DUPONT-MOREAU TRANSPORTS SAS REF FACT0000123 DU 28/06/24"
    assert label_name(label) == ("DUPONT", "MOREAU", "TRANSPORTS")


# --- one rule at a time --------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    [
        "VIR SEPA BOULANGERIE MARTIN REF F0000123",
        "VIR BOULANGERIE MARTIN F 0000123",  # extra space
        "VIR SEPA BOULANGERIE MARTIN REFFAC123",  # missing spaces, prefix, padding dropped
        "VIREMENT DE BOULANGERIE MARTIN FACTURE FACT0000123",
        "VIR BOULANGERIE MARTIN INV-0000123 E2E 4725792755",  # another number too
        "REGLEMENT FACTURE 123",
    ],
)
def test_an_invoice_number_written_any_way_settles_its_invoice(label: str) -> None:
    # F0000124 has the same amount: only the number tells them apart.
    found = propose(lines(("L1", 120_000, label, "C1")))
    assert auto(found) == {("L1", "F0000123", 120_000, "reference")}
    assert found["client_from"].tolist() == ["line"]


@pytest.mark.parametrize(
    "typo",
    ["F0000180", "F000030", "F00001330", "F0000310"],  # substituted, dropped, doubled, swapped
)
def test_a_number_with_one_typo_is_found_among_the_clients_invoices(typo: str) -> None:
    found = propose(lines(("L1", 45_678, f"VIR BOULANGERIE MARTIN REF {typo}", "C1")))
    assert auto(found) == {("L1", "F0000130", 45_678, "reference_fuzzy")}


def test_a_typo_near_several_invoices_names_none_of_them() -> None:
    # 20X is one digit away from F0000201 ... F0000205: no number, the amount decides.
    found = propose(lines(("L1", 18_990, "VIR DUPONT MOREAU REF F000020", "C2")))
    assert auto(found) == {("L1", "F0000202", 18_990, "exact_amount")}


def test_an_amount_only_one_invoice_of_the_client_has_settles_it() -> None:
    found = propose(lines(("L1", 45_678, "VIR SEPA BOULANGERIE MARTIN", "C1")))
    assert auto(found) == {("L1", "F0000130", 45_678, "exact_amount")}


def test_an_amount_two_invoices_have_goes_to_review() -> None:
    found = propose(lines(("L1", 120_000, "VIR SEPA BOULANGERIE MARTIN", "C1")))
    assert auto(found) == set()
    assert found["invoice_id"].tolist() == ["F0000123"]  # the oldest, proposed for review
    assert found["confidence"].iloc[0] < CONFIG.auto_threshold


@pytest.mark.parametrize(
    "paid",
    [
        ("F0000201", "F0000203"),  # 312.50 + 74.25 = 386.75
        ("F0000202", "F0000203", "F0000205"),  # 189.90 + 74.25 + 640.10 = 904.25
    ],
)
def test_one_transfer_for_several_invoices_is_found_by_subset_sum(paid: tuple[str, ...]) -> None:
    amount = int(BOOK.set_index("invoice_id").loc[list(paid), "open_cents"].sum())
    found = propose(lines(("L1", amount, "VIR DUPONT MOREAU TRANSPORTS", "C2")))
    expected = {("L1", i, int(BOOK.set_index("invoice_id").at[i, "open_cents"])) for i in paid}
    assert {a[:3] for a in auto(found)} == expected
    assert set(found["rule"]) == {"subset_sum"}


def test_several_numbers_and_their_total_settle_all_of_them() -> None:
    found = propose(lines(("L1", 38_675, "VIR DUPONT MOREAU F0000201/F0000203", "C2")))
    assert auto(found) == {
        ("L1", "F0000201", 31_250, "reference"),
        ("L1", "F0000203", 7_425, "reference"),
    }


def test_a_partial_payment_is_allocated_to_the_invoice_it_names() -> None:
    found = propose(lines(("L1", 50_000, "VIR BOULANGERIE MARTIN ACOMPTE F0000124", "C1")))
    assert auto(found) == {("L1", "F0000124", 50_000, "partial")}


def test_bank_fees_within_the_tolerance_settle_the_invoice() -> None:
    # 1,200.00 invoiced, 1,196.50 credited: 3.50 € of fees, under the 5 € tolerance.
    found = propose(
        lines(
            ("L1", 119_650, "VIR SEPA BOULANGERIE MARTIN REF F0000123", "C1"),
            ("L2", 98_365, "VIR COMMUNE DE LYON", "C3"),  # 987.65 less 4.00
        )
    )
    assert auto(found) == {
        ("L1", "F0000123", 119_650, "reference"),
        ("L2", "F0000301", 98_365, "tolerance"),
    }


def test_a_difference_beyond_the_tolerance_is_not_settled_by_amount() -> None:
    found = propose(lines(("L1", 97_765, "VIR COMMUNE DE LYON", "C3")))  # 10 € short
    assert auto(found) == set()
    assert auto(propose(lines(("L1", 97_765, "VIR COMMUNE DE LYON", "C3")), tolerance_cents=1_000))


@pytest.mark.parametrize(
    ("label", "client_from"),
    [
        ("VIR SEPA DUPONT MOREAU TRANSPORTS", "name"),  # legal form dropped, hyphen spaced
        ("VIR DUPONTMOREAU TRANSP", "name_fuzzy"),  # truncated by the bank
        ("VIR SEPA DUPONT MORAU TRANSPORTS", "name_fuzzy"),  # misspelt
    ],
)
def test_an_unknown_client_is_found_from_the_payers_name(label: str, client_from: str) -> None:
    found = propose(lines(("L1", 64_010, label, None)))
    assert auto(found) == {("L1", "F0000205", 64_010, "exact_amount")}
    assert found["client_from"].tolist() == [client_from]


def test_an_unknown_client_is_found_from_the_number_and_the_amount() -> None:
    found = propose(lines(("L1", 98_765, "LCR ECH F0000301", None)))
    assert auto(found) == {("L1", "F0000301", 98_765, "reference")}
    assert found["client_from"].tolist() == ["reference"]


def test_a_number_alone_without_a_client_or_a_matching_amount_is_not_applied() -> None:
    found = propose(lines(("L1", 10_000, "LCR ECH F0000301", None)))
    assert auto(found) == set()


def test_two_lines_paying_the_same_invoice_do_not_both_get_it() -> None:
    found = propose(
        lines(
            ("L1", 98_765, "VIR COMMUNE DE LYON REF F0000301", "C3"),
            ("L2", 98_765, "VIR COMMUNE DE LYON REF F0000301", "C3"),  # paid twice
        )
    )
    assert auto(found) == {("L1", "F0000301", 98_765, "reference")}
    assert found.groupby("invoice_id")["amount_cents"].sum().to_dict() == {"F0000301": 98_765}


def test_an_invoice_issued_after_the_payment_is_not_proposed() -> None:
    book = invoices(("F0000901", "C4", 12_345, "2024-08-30"))  # issued 2024-07-31
    assert propose(lines(("L1", 12_345, "VIR GARNIER NEGOCE F0000901", "C4")), book).empty


def test_nothing_to_match_gives_no_proposal() -> None:
    assert propose(lines(("L1", 5_000, "VIR INCONNU", None))).empty
    assert list(propose(lines(), BOOK).columns) == list(propose(lines(("L", 1, "", None))).columns)


# --- properties ----------------------------------------------------------------------

_IDS = [f"F{n:07d}" for n in range(1, 13)]


@st.composite
def cases(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random open invoices of C1..C3 and lines naming some of them, or none."""
    n = draw(st.integers(1, len(_IDS)))
    amounts = draw(st.lists(st.integers(1, 50_000), min_size=n, max_size=n))
    owners = draw(st.lists(st.sampled_from(["C1", "C2", "C3"]), min_size=n, max_size=n))
    book = invoices(
        *((i, c, a, "2024-06-01") for i, c, a in zip(_IDS, owners, amounts, strict=False))
    )
    rows = []
    for k in range(draw(st.integers(1, 8))):
        named = draw(st.lists(st.sampled_from(_IDS[:n]), max_size=3))
        amount = draw(st.one_of(st.sampled_from(amounts), st.integers(1, 120_000)))
        client = draw(st.sampled_from(["C1", "C2", "C3", None]))
        rows.append((f"L{k}", amount, "VIR " + " ".join(named), client))
    return lines(*rows), book


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_no_line_nor_invoice_is_ever_over_allocated(
    case: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    frame, book = case
    found = propose(frame, book)
    assert (found["amount_cents"] > 0).all()
    assert found["confidence"].between(0, 1).all()
    assert set(found["rule"]) <= set(RULES)
    assert not found.duplicated(["line_id", "invoice_id"]).any()
    per_line = found.groupby("line_id")["amount_cents"].sum()
    assert (per_line <= frame.set_index("line_id")["amount_cents"].reindex(per_line.index)).all()
    per_invoice = found.groupby("invoice_id")["amount_cents"].sum()
    open_ = book.set_index("invoice_id")["open_cents"].reindex(per_invoice.index)
    assert (per_invoice <= open_).all()
    clients = book.set_index("invoice_id")["client_id"]
    assert (found["client_id"] == found["invoice_id"].map(clients)).all()


# --- a simulated statement -----------------------------------------------------------


@pytest.fixture(scope="module")
def statement_and_proposals() -> tuple[object, pd.DataFrame]:
    """A month of payments of a 300-client ledger as a noisy bank statement, matched."""
    sim = simulate(SimulationConfig(n_clients=300, n_months=12, seed=1))
    statement = simulate_statement(sim)
    items = open_items(statement.ledger, statement.as_of.date())
    return statement, propose_matches(statement.lines, items, statement.ledger.clients, CONFIG)


def test_the_simulated_statement_is_matched_automatically_and_precisely(
    statement_and_proposals: tuple[object, pd.DataFrame],
) -> None:
    statement, proposals = statement_and_proposals
    scores = match_scores(statement, proposals, CONFIG)  # type: ignore[arg-type]
    assert scores.lines > 500
    assert scores.auto_share >= 0.95
    assert scores.precision >= 0.995


def test_the_simulated_statement_has_the_noise_lettrage_must_get_through(
    statement_and_proposals: tuple[object, pd.DataFrame],
) -> None:
    statement, _ = statement_and_proposals
    lines_, truth = statement.lines, statement.truth  # type: ignore[attr-defined]
    assert lines_["client_id"].isna().mean() == pytest.approx(0.4, abs=0.08)
    assert truth.groupby("line_id").size().max() > 1  # grouped transfers
    labels = lines_["label"]
    assert labels.str.contains(r"\d{3}").mean() > 0.85  # invoice numbers, mostly
    assert (~labels.str.contains(r"\d")).any()  # no reference at all
    paid = truth.groupby("line_id")["amount_cents"].sum()
    credited = lines_.set_index("line_id")["amount_cents"]
    assert (credited <= paid).all()
    assert (credited < paid).any()  # fees, rounding
    assert set(truth["line_id"]) == set(lines_["line_id"])


def test_the_simulated_statement_is_deterministic_for_a_seed() -> None:
    sim = simulate(SimulationConfig(n_clients=40, n_months=4, seed=5))
    first, second = simulate_statement(sim), simulate_statement(sim)
    pd.testing.assert_frame_equal(first.lines, second.lines)
    pd.testing.assert_frame_equal(first.truth, second.truth)
    other = simulate_statement(sim, config=StatementConfig(seed=8))
    assert not first.lines["label"].equals(other.lines["label"])


# --- the store -----------------------------------------------------------------------


def small_ledger() -> Ledger:
    """Four clients of :data:`CLIENTS` and the open invoices of :data:`BOOK`."""
    book = BOOK.assign(
        amount_cents=BOOK["open_cents"],
        currency="EUR",
        doc_type="invoice",
        disputed=False,
        paid_date=pd.Series(pd.NaT, index=BOOK.index, dtype="datetime64[ns]"),
        written_off=False,
        credited_invoice_id=None,
    ).drop(columns="open_cents")
    return Ledger(clients=CLIENTS, invoices=book)


STORE_LINES = lines(
    ("B1", 45_678, "VIR SEPA BOULANGERIE MARTIN REF F0000130", "C1"),
    ("B2", 38_675, "VIR DUPONT MOREAU F0000201/F0000203", None),
    ("B3", 120_000, "VIR SEPA BOULANGERIE MARTIN", "C1"),  # F0000123 or F0000124?
    ("B4", 5_000, "VIR INCONNU", None),
)


def test_apply_lettrage_applies_sure_matches_once_and_queues_the_rest(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    first = apply_lettrage(engine, STORE_LINES, CONFIG)
    assert first.new_lines == 4
    assert set(first.applied["payment_id"]) == {"B1-1", "B2-1", "B2-2"}
    queue = review_queue(engine)
    assert set(queue["line_id"]) == {"B3", "B4"}
    assert queue.set_index("line_id").at["B4", "rule"] == "unallocated"
    payments = load_ledger(engine).payments.set_index("payment_id")
    assert payments.loc["B1-1", ["invoice_id", "amount_cents"]].tolist() == ["F0000130", 45_678]
    assert payments.at["B2-1", "client_id"] == "C2"  # found from the invoices
    assert payments.at["B2-1", "reference"] == "VIR DUPONT MOREAU F0000201/F0000203"

    counts = table_counts(engine)
    second = apply_lettrage(engine, STORE_LINES, CONFIG)
    assert (second.new_lines, second.skipped, len(second.applied)) == (0, 2, 0)
    assert table_counts(engine) == counts
    pd.testing.assert_frame_equal(review_queue(engine), queue)


def test_apply_lettrage_twice_on_a_simulated_statement_applies_nothing_twice(
    engine: Engine,
) -> None:
    sim = simulate(SimulationConfig(n_clients=40, n_months=4, seed=3))
    statement = simulate_statement(sim)
    save_ledger(engine, statement.ledger)
    first = apply_lettrage(engine, statement.lines, CONFIG)
    second = apply_lettrage(engine, statement.lines, CONFIG)
    assert len(first.applied) > 0.9 * len(statement.truth)
    assert second.applied.empty
    payments = load_ledger(engine).payments
    lettered = payments[payments["payment_id"].str.startswith("L")]
    assert len(lettered) == len(first.applied)
    credited = statement.lines.set_index("line_id")["amount_cents"]
    per_line = lettered.groupby(lettered["payment_id"].str.split("-").str[0])["amount_cents"]
    assert (per_line.sum() <= credited.reindex(per_line.sum().index)).all()


def test_apply_lettrage_refuses_a_known_line_with_other_values(engine: Engine) -> None:
    save_ledger(engine, small_ledger())
    apply_lettrage(engine, STORE_LINES.iloc[:1], CONFIG)
    changed = STORE_LINES.iloc[:1].assign(amount_cents=119_000)
    with pytest.raises(ImportRejected, match="1 problem"):
        apply_lettrage(engine, changed, CONFIG)


def test_lettrage_runs_on_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


# --- reading a statement file --------------------------------------------------------


def test_a_statement_file_is_read_or_rejected_with_every_bad_row(tmp_path: Path) -> None:
    good = tmp_path / "releve.csv"
    good.write_text(
        "line_id,date,amount,label,client_id\n"
        "B1,2024-06-28,1200.00,VIR SEPA BOULANGERIE MARTIN REF F0000123,C1\n"
        "B2,2024-06-28,386.75,VIR DUPONT MOREAU F0000201/F0000203,\n",
        encoding="utf-8",
    )
    frame = read_bank_lines(good)
    assert frame["amount_cents"].tolist() == [120_000, 38_675]
    assert frame["client_id"].tolist() == ["C1", None]
    assert frame["currency"].tolist() == ["EUR", "EUR"]
    assert frame["date"].tolist() == [pd.Timestamp(date(2024, 6, 28))] * 2

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "line_id,date,amount,label\nB1,28/06/2024,1200,x\nB2,2024-06-28,-3,y\nB2,2024-06-28,1.234,z\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as rejected:
        read_bank_lines(bad)
    assert [(p.row, p.field) for p in rejected.value.problems] == [
        (1, "date"),
        (2, "amount"),
        (3, "amount"),
        (3, "line_id"),
    ]


def test_lines_dated_before_every_invoice_are_left_alone() -> None:
    early = lines(("L1", 45_678, "VIR BOULANGERIE MARTIN REF F0000130", "C1"))
    early["date"] = pd.Timestamp(date(2024, 4, 1) - timedelta(days=1))
    assert propose(early).empty
