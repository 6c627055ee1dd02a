"""Letters ready to send: one relance letter per client, from Jinja2 templates in French.

A letter is written for a relance step of the scenarios (:data:`LETTER_STEPS`) and lists
the client's invoices for which the worklist recommends that step today: the letter and the
worklist never disagree on whom to chase, nor on the figures. The late-payment penalties
and the 40 € indemnité forfaitaire of each invoice are the worklist's
(:mod:`serving.penalties`, Code de commerce L441-10 and D441-5): the letters only add them
up and print them.

The templates (``serving/letter_templates/<step>.md.j2``, Markdown) are the packaged
defaults; a folder named by ``ENCOURS_LETTERS_DIR`` holding a file of the same name
replaces one (the others stay the packaged ones). They are rendered in Jinja2's sandbox:
a template is the user's text, not code to trust. Each letter is given as Markdown and as
PDF, made by fpdf2 (pure Python, maintained). WeasyPrint, the usual choice, needs the
system's Pango library, which a fresh Debian does not have: a PDF written by a pip
install alone was preferred. fpdf2's built-in fonts cover Windows-1252 (French, €, « »);
a character beyond it is printed as ``?`` in the PDF, never refused.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from config.language import Words
from ledger.money import cents_to_decimal
from serving.penalties import PenaltyRates

LETTER_STEPS = ("preventive_reminder", "email", "letter", "formal_notice")
"""The scenario actions a letter is written for, from the gentlest."""
CHANNEL_OF_STEP = {
    "preventive_reminder": "email",  # sent as an e-mail before the due date (scenarios.yaml)
    "email": "email",
    "letter": "letter",
    "formal_notice": "formal_notice",
}
"""The channel a letter is recorded under in the actions table."""
PACKAGED_TEMPLATES = Path(__file__).with_name("letter_templates")
NOTICE_DAYS = 8
"""Days a mise en demeure gives the client to pay, from the letter's date."""
FRENCH = Words("fr")


class LetterTemplateError(ValueError):
    """A template that cannot be read or rendered; names the file and the line."""


@dataclass(frozen=True)
class Letter:
    """One client's letter for one step: its text and the invoices it lists."""

    client_id: str
    client_name: str
    step: str
    as_of: dt.date
    markdown: str
    invoices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def file_stem(self) -> str:
        """A file name for the letter: the step and the client id, safe on any system."""
        return f"{self.step}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', self.client_id)}"

    def as_json(self) -> dict[str, Any]:
        """The letter as ``--json`` and the API give it."""
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "step": self.step,
            "markdown": self.markdown,
            "invoices": self.invoices,
            "open": sum(i["open"] for i in self.invoices),
            "penalties": sum(i["penalties"] for i in self.invoices),
            "indemnity_eur": sum(i["indemnity_eur"] for i in self.invoices),
        }


def template_environment(folder: Path | None = None) -> Any:
    """The sandboxed Jinja2 environment: templates of ``folder`` first, then the packaged
    ones."""
    from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    loaders = [FileSystemLoader(str(folder))] if folder is not None else []
    loaders.append(FileSystemLoader(str(PACKAGED_TEMPLATES)))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def _money(cents: int) -> str:
    """An amount in French with two decimals (``1 234,56``), on one line."""
    return FRENCH.money(cents_to_decimal(int(cents))).replace("\u202f", "\xa0")


def _rate(percent: Decimal) -> str:
    """A rate in French: ``12,15``."""
    return format(percent.normalize(), "f").replace(".", ",")


def _cell(text: object) -> str:
    """``text`` safe in a Markdown table cell and on one line."""
    return " ".join(str(text).split()).replace("|", "\\|")


def invoice_lines(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """The invoices of one letter as plain figures (currency units) and as printed text."""
    lines = []
    for r in rows.to_dict("records"):
        number = r["reference"] if isinstance(r["reference"], str) else r["invoice_id"]
        lines.append(
            {
                "invoice_id": str(r["invoice_id"]),
                "number": str(number),
                "issue_date": FRENCH.date(r["issue_date"]),
                "due_date": FRENCH.date(r["due_date"]),
                "days_late": max(int(r["days_past_due"]), 0),
                "currency": str(r["currency"]),
                "open": float(cents_to_decimal(int(r["open_cents"]))),
                "penalties": float(cents_to_decimal(int(r["penalties_cents"]))),
                "indemnity_eur": float(cents_to_decimal(int(r["indemnity_cents"]))),
                "printed": {
                    "number": _cell(number),
                    "open": _money(r["open_cents"]),
                    "penalties": _money(r["penalties_cents"]),
                    "indemnity": _money(r["indemnity_cents"]),
                },
            }
        )
    return lines


def letter_context(
    rows: pd.DataFrame,
    client: dict[str, Any],
    as_of: dt.date,
    rates: PenaltyRates,
    sender: list[str],
) -> dict[str, Any]:
    """What a template reads for one client's letter.

    ``invoices`` (each: number, issue_date, due_date, days_late, open, penalties,
    indemnity, currency, as printed), ``totals`` per currency (open, penalties),
    ``penalties_total`` and ``indemnity_total`` as printed, ``indemnity_count``, the
    ``rate`` in force (public buyers': ``public``), ``ecb_rate``, ``margin``, the letter's
    ``date``, the mise en demeure's ``deadline``, ``client`` (id, name, its ``x_`` columns)
    and the ``sender``'s lines.
    """
    public = bool(client.get("is_public_sector"))
    by_currency = rows.groupby("currency", sort=True)[["open_cents", "penalties_cents"]].sum()
    totals = [
        {
            "currency": str(currency),
            "open": _money(sums["open_cents"]),
            "penalties": _money(sums["penalties_cents"]),
        }
        for currency, sums in by_currency.iterrows()
    ]
    # The template reads the figures as printed: ``open`` is "1 234,56", not 1234.56.
    printed = [{**_without_printed(line), **line["printed"]} for line in invoice_lines(rows)]
    return {
        "invoices": printed,
        "totals": totals,
        "penalties_total": ", ".join(f"{t['penalties']} {t['currency']}" for t in totals),
        "indemnity_total": _money(int(rows["indemnity_cents"].sum())),
        "indemnity_count": int((rows["indemnity_cents"] > 0).sum()),
        "public": public,
        "rate": _rate(rates.public_rate_percent if public else rates.rate_percent),
        "ecb_rate": _rate(rates.ecb_rate_percent),
        "margin": _rate(rates.public_margin_points if public else rates.margin_points),
        "date": FRENCH.date(as_of),
        "deadline": FRENCH.date(as_of + dt.timedelta(days=NOTICE_DAYS)),
        "client": {
            "id": str(client["client_id"]),
            "name": str(client.get("name") or client["client_id"]),
            "x": {k: v for k, v in client.items() if k.startswith("x_") and pd.notna(v)},
        },
        "sender": sender,
    }


def render_letter(env: Any, step: str, context: dict[str, Any]) -> str:
    """The Markdown of one letter: template ``<step>.md.j2`` filled with ``context``."""
    from jinja2 import TemplateError

    try:
        text: str = env.get_template(f"{step}.md.j2").render(**context)
    except TemplateError as exc:
        where = getattr(exc, "filename", None) or f"{step}.md.j2"
        line = getattr(exc, "lineno", None)
        at = f", line {line}" if line else ""
        raise LetterTemplateError(f"letter template {where}{at}: {exc}") from None
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def build_letters(
    worklist_rows: pd.DataFrame,
    clients: pd.DataFrame,
    step: str,
    as_of: dt.date,
    *,
    rates: PenaltyRates,
    env: Any,
    sender: list[str] | None = None,
) -> list[Letter]:
    """One letter per client for the worklist rows whose recommended step is ``step``,
    clients in id order, invoices by due date."""
    if step not in LETTER_STEPS:
        raise ValueError(f"step must be one of {', '.join(LETTER_STEPS)}, not {step!r}")
    rows = worklist_rows[worklist_rows["recommended_step"] == step]
    rows = rows.sort_values(["client_id", "due_date", "invoice_id"], kind="stable")
    known = clients.drop_duplicates("client_id").set_index("client_id", drop=False)
    letters = []
    for client_id, mine in rows.groupby("client_id", sort=True):
        found = known.loc[client_id].to_dict() if client_id in known.index else {}
        client = {str(k): v for k, v in found.items()} | {"client_id": client_id}
        context = letter_context(mine, client, as_of, rates, sender or [])
        letters.append(
            Letter(
                client_id=str(client_id),
                client_name=context["client"]["name"],
                step=step,
                as_of=as_of,
                markdown=render_letter(env, step, context),
                invoices=[_without_printed(line) for line in invoice_lines(mine)],
            )
        )
    return letters


def _without_printed(line: dict[str, Any]) -> dict[str, Any]:
    """An invoice line's plain figures, for JSON."""
    return {k: v for k, v in line.items() if k != "printed"}


def _printable(text: str) -> str:
    """``text`` within Windows-1252, the PDF's built-in fonts' range (others become ``?``)."""
    text = text.replace("\u202f", "\xa0")
    return text.encode("cp1252", errors="replace").decode("cp1252")


def letter_pdf(markdown: str) -> bytes:
    """The letter as a PDF (A4), from its Markdown: bold, headings, lists and tables.

    Written block by block from markdown-it's tokens: fpdf2's own HTML reader sized every
    table column alike (an amount of 10 000,00 € broke over two lines) and let the bold
    of a paragraph run into the table after it.
    """
    from fpdf import FPDF
    from markdown_it import MarkdownIt

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font("helvetica", size=10)
    tokens = MarkdownIt("commonmark").enable("table").parse(_printable(markdown))
    previous = "paragraph"
    for block in _blocks(tokens):
        if previous == "item" and block[0] != "item":
            pdf.ln(3)
        _write_block(pdf, block)
        previous = block[0]
    return bytes(pdf.output())


def _blocks(tokens: list[Any]) -> list[tuple[str, Any]]:
    """The letter's blocks: ("heading" | "paragraph" | "item", text) or ("table", rows)."""
    blocks: list[tuple[str, Any]] = []
    kind = "paragraph"
    rows: list[list[str]] = []
    align: list[str] = []
    for token in tokens:
        if token.type in ("heading_open", "paragraph_open") and kind != "item":
            kind = "heading" if token.type == "heading_open" else "paragraph"
        elif token.type == "list_item_open":
            kind = "item"
        elif token.type == "list_item_close":
            kind = "paragraph"
        elif token.type == "table_open":
            kind, rows, align = "table", [], []
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "th_open":
            align.append("RIGHT" if "right" in str(token.attrGet("style") or "") else "LEFT")
        elif token.type == "inline" and kind == "table":
            rows[-1].append(token.content)
        elif token.type == "inline":
            blocks.append((kind, token.content))
        elif token.type == "table_close":
            blocks.append(("table", (rows, align)))
            kind = "paragraph"
    return blocks


def _write_block(pdf: Any, block: tuple[str, Any]) -> None:
    """One block on the page: text with its **bold**, a list item, or a table whose
    columns are as wide as their longest cell asks."""
    kind, body = block
    if kind == "table":
        rows, align = body
        # As wide as the longest figure of the column, or the longest word of its heading.
        longest = [
            max([len(row[c]) for row in rows[1:]] + [len(w) for w in rows[0][c].split()]) + 2
            for c in range(len(align))
        ]
        with pdf.table(
            col_widths=tuple(longest),
            text_align=tuple(align),
            first_row_as_headings=True,
            borders_layout="HORIZONTAL_LINES",
            line_height=5,
            markdown=True,
        ) as table:
            for cells in rows:
                row = table.row()
                for text in cells:
                    row.cell(text)
        pdf.ln(3)
        return
    text = body.replace("\\|", "|")
    if kind == "heading":
        pdf.set_font("helvetica", style="B", size=12)
        pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("helvetica", size=10)
    elif kind == "item":
        pdf.set_x(pdf.l_margin + 4)
        pdf.multi_cell(0, 5, f"- {text}", markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
        return
    else:
        pdf.multi_cell(0, 5, text, markdown=True, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
