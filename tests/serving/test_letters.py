"""Letters ready to send: the invoices of a step, their penalties and indemnity as the
worklist computes them, the user's own templates, the PDF, and the actions they log."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from ledger.audit import Writer
from ledger.schema import AUDIT_LOG
from ledger.storage import load_ledger, save_ledger
from serving.letters import LetterTemplateError, build_letters, letter_pdf, template_environment
from serving.penalties import PenaltyRates
from serving.services.letters import record_letters
from tests.serving.test_worklist import AS_OF, make_ledger, worklist_of

RATES = PenaltyRates()  # ECB 2.15 % + 10 points; public buyers + 8


def _letters(step: str, folder: Path | None = None) -> dict[str, str]:
    ledger = make_ledger(
        [
            ("P", "STD", 30, 10_000),
            ("Q", "STD", 45, 2_000),
            ("E", "STD", 3, 500),  # an e-mail step: not in a mise en demeure
            ("G", "PUB", 60, 10_000),
        ]
    )
    rows = worklist_of(ledger).reset_index()
    made = build_letters(
        rows, ledger.clients, step, AS_OF, rates=RATES, env=template_environment(folder)
    )
    return {letter.client_id: letter for letter in made}  # type: ignore[misc]


def test_a_formal_notice_lists_each_invoice_with_its_penalties_and_indemnity() -> None:
    letters = _letters("formal_notice")
    assert sorted(letters) == ["PUB", "STD"]
    std = letters["STD"]
    assert [i["invoice_id"] for i in std.invoices] == ["Q", "P"]  # by due date
    # 10,000.00 × 12.15 % × 30 / 365 = 99.863 -> 99.86; 2,000.00 × 12.15 % × 45 / 365 =
    # 29.958 -> 29.96; together 129.82. Two overdue invoices: 2 × 40 € = 80 €.
    assert {i["invoice_id"]: i["penalties"] for i in std.invoices} == {"P": 99.86, "Q": 29.96}
    assert std.as_json()["penalties"] == pytest.approx(129.82)
    assert std.as_json()["indemnity_eur"] == 80.0
    text = std.markdown
    assert "mise en demeure" in text and "L441-10 du Code de commerce" in text
    assert "| P | 01/05/2025 | 31/05/2025 | 30 | 10\xa0000,00 EUR | 99,86 EUR | 40,00 € |" in text
    assert "pénalités de retard au 30/06/2025 : 129,82 EUR" in text
    assert "80,00 € (2 × 40 €)" in text
    assert "12,15 % (taux de la Banque centrale européenne de 2,15 % majoré de 10 points)" in text
    assert "au plus tard le 08/07/2025" in text  # 8 days to pay
    assert "| E |" not in text
    # A public buyer owes intérêts moratoires at ECB + 8 = 10.15 %:
    # 10,000.00 × 10.15 % × 60 / 365 = 166.849 -> 166.85.
    public = letters["PUB"].markdown
    assert "intérêts moratoires" in public and "10,15 %" in public and "166,85 EUR" in public


def test_an_email_lists_only_the_invoices_at_that_step() -> None:
    letters = _letters("email")
    assert list(letters) == ["STD"]
    assert [i["invoice_id"] for i in letters["STD"].invoices] == ["E"]


def test_the_users_template_replaces_the_packaged_one(tmp_path: Path) -> None:
    (tmp_path / "formal_notice.md.j2").write_text(
        "À {{ client.name }} : {{ penalties_total }} et {{ indemnity_total }} €", "utf-8"
    )
    letters = _letters("formal_notice", tmp_path)
    assert letters["STD"].markdown == "À Martin SARL : 129,82 EUR et 80,00 €\n"
    assert "Objet : relance" in _letters("email", tmp_path)["STD"].markdown  # packaged still


def test_a_broken_template_is_named(tmp_path: Path) -> None:
    (tmp_path / "email.md.j2").write_text("{{ client.nom }}", "utf-8")
    with pytest.raises(LetterTemplateError, match=r"email\.md\.j2"):
        _letters("email", tmp_path)


def test_a_template_cannot_reach_python(tmp_path: Path) -> None:
    (tmp_path / "email.md.j2").write_text("{{ client.__class__.__mro__ }}", "utf-8")
    with pytest.raises(LetterTemplateError):
        _letters("email", tmp_path)


def test_the_pdf_holds_the_letter() -> None:
    pdf = letter_pdf(_letters("formal_notice")["STD"].markdown + "\nŁódź \u202f1\n")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 1_500


def test_an_unknown_step_is_refused() -> None:
    with pytest.raises(ValueError, match="formal_notice"):
        _letters("call")


def test_the_letter_day_is_the_as_of() -> None:
    assert _letters("formal_notice")["STD"].as_of == dt.date(2025, 6, 30)


def test_letters_are_logged_once_as_actions(engine: Engine) -> None:
    ledger = make_ledger([("P", "STD", 30, 10_000), ("Q", "STD", 45, 2_000), ("E", "STD", 3, 500)])
    save_ledger(engine, ledger)
    rows = worklist_of(ledger).reset_index()
    made = build_letters(
        rows, ledger.clients, "formal_notice", AS_OF, rates=RATES, env=template_environment()
    )
    writer = Writer(None, None, "CLI", "encours letters", dt.datetime(2025, 6, 30, tzinfo=dt.UTC))
    assert record_letters(engine, made, writer) == 2
    assert record_letters(engine, made, writer) == 0  # the same letters: nothing twice
    actions = load_ledger(engine).actions
    assert sorted(actions["invoice_id"]) == ["P", "Q"]
    assert set(actions["channel"]) == {"formal_notice"}
    with engine.connect() as connection:
        summaries = connection.execute(select(AUDIT_LOG.c.summary)).scalars().all()
    assert summaries[0] == "1 letters (formal_notice): 2 actions recorded"


def test_a_long_letter_runs_over_pages() -> None:
    rows = "\n".join(f"| F{i} | 01/05/2025 | 10\xa0000,00 € |" for i in range(120))
    pdf = letter_pdf(f"# Relevé\n\n| Facture | Échéance | Reste dû |\n|---|---|---:|\n{rows}\n")
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2
