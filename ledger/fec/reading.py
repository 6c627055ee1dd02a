"""Reading a FEC into the ledger, and importing it into the database."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from ledger.contract import (
    Ledger,
)
from ledger.conventions import detect_encoding
from ledger.errors import ImportRejected, RowProblem
from ledger.fec.effets import effet_ids_by_row, effets_of, with_effet_due_dates
from ledger.fec.ids import built_id_failures, client_id_failures
from ledger.fec.lines import (
    DEFAULT_TERMS_DAYS,
    MIN_TAKINGS,
    _columns,
    _header,
    _layout,
    _read_text,
    _report,
    _text_frame,
    _typed_lines,
)
from ledger.fec.roles import DOCUMENT_ROLES, OTHER_DEBIT, _classify, _document_ids
from ledger.fec.settling import _lettrage, _payment_ids, _payments, _settlements
from ledger.fec.tables import _advance_clients, _advances, _clients, _documents, with_terms
from ledger.importing import ImportReport
from ledger.reading import UnreadableFile, read_ledger_dir
from ledger.schema import TABLE_OBJECTS
from ledger.storage import known_ids, migrate, save_ledger
from ledger.validation import (
    ROWS_NAMED,
)


@dataclass(frozen=True)
class FecRead:
    """A FEC read: the ledger, what was set aside, and how the file was written."""

    ledger: Ledger
    warnings: list[str]
    encoding: str
    separator: str
    bill_due_dates: pd.Series  # per row of ledger.effets: the due date the file gives, or NaT


def _checked_lines(text: pd.DataFrame, file: str) -> pd.DataFrame:
    """The lines typed and classified, client lines with their lettrage and document id.

    Raises:
        ImportRejected: carrying every problem of the file.
    """
    typed, failures = _typed_lines(text)
    bad_rows = pd.Index([row for f in failures for row in f.rows]).unique()
    lines = _classify(typed.drop(index=bad_rows))
    client_lines = lines[lines["role"] != ""]
    failures += client_id_failures(client_lines)
    client_lines = client_lines.join(_lettrage(client_lines))
    docs = client_lines[client_lines["role"].isin(DOCUMENT_ROLES)]
    ids, more = _document_ids(docs)
    failures += more
    if failures:
        raise ImportRejected(_report(file, failures))
    return lines.join(client_lines[["group", "settled_on", "written_off", "doubtful_on"]]).assign(
        invoice_id=ids.reindex(lines.index)
    )


def _build_ledger(
    lines: pd.DataFrame, file: str, excluded: Collection[str] = ()
) -> tuple[Ledger, list[str]]:
    """The ledger held in the checked lines of a FEC (see the module docstring).

    Lines of the ``excluded`` client accounts are left out. Invoices are due on their
    issue date here: :func:`with_terms` sets their due dates.
    """
    lines = lines[~lines["client_id"].isin(excluded)]
    client_lines = lines[lines["role"] != ""]
    docs = client_lines[client_lines["role"].isin(DOCUMENT_ROLES)]
    payment_rows, credited = _settlements(client_lines)
    failures = built_id_failures(_payment_ids(client_lines, payment_rows), lines, "EcritureNum")
    failures += built_id_failures(effet_ids_by_row(lines), lines, "EcritureNum")
    if failures:
        raise ImportRejected(_report(file, failures))
    invoices = _documents(docs, credited)
    client_ids = pd.Index(client_lines["client_id"].unique())
    advances, warnings = _advances(lines, client_ids, file)
    advances = advances[~advances["client_id"].isin(excluded)].reset_index(drop=True)
    refunds = int((client_lines["role"] == OTHER_DEBIT).sum())
    if refunds:
        warnings.append(
            f"{file}: {refunds} debit(s) on client accounts in bank entries (refunds, "
            "rejected payments) are imported as amounts owed, numbered by their entry, so "
            "that the encours equals the client accounts"
        )
    warnings += _takings_warning(invoices, file)
    unbilled = int(lines["account"].fillna("").str.startswith("4181").sum())
    if unbilled:
        warnings.append(
            f"{file}: {unbilled} line(s) on 4181 (factures à établir) are not imported: "
            "give them as unbilled.csv in a folder imported with the FEC (encours import "
            "FOLDER --fec FILE) so that the encours counts them"
        )
    on_419 = lines[lines["is_advance"] & lines["aux"].notna()]
    ledger = Ledger(
        clients=_clients(client_lines, on_419.assign(client_id=on_419["aux"])),
        invoices=invoices,
        payments=_payments(client_lines, payment_rows),
        advances=advances,
        effets=effets_of(lines),
    )
    return ledger, warnings


def _takings_warning(invoices: pd.DataFrame, file: str) -> list[str]:
    """A warning naming the clients whose every invoice settles the day it is issued.

    Counter sales booked on 411 (``RECETTE CB``, ``RECETTE ESPECES``) look so: receivables
    settled at once, which tell the models nothing about paying late.
    """
    docs = invoices[invoices["doc_type"] == "invoice"]
    same_day = (docs["paid_date"] == docs["issue_date"]).groupby(docs["client_id"])
    counts = same_day.agg(["all", "size"])
    takings = counts.index[counts["all"] & (counts["size"] >= MIN_TAKINGS)].tolist()
    if not takings:
        return []
    shown = ", ".join(takings[:ROWS_NAMED]) + (" ..." if len(takings) > ROWS_NAMED else "")
    return [
        f"{file}: {len(takings)} client account(s) have every invoice settled the day it is "
        f"issued, like counter takings ({shown}): leave them out of the encours and the "
        "models with --exclude-client"
    ]


def _file_lines(path: Path) -> tuple[pd.DataFrame, list[str], str, str]:
    """The checked lines of a FEC file, the warnings, its encoding and separator.

    Raises:
        ImportRejected: the layout is unknown, some lines are bad or some entries do not
            balance; every problem is named.
    """
    file = path.name
    if not path.is_file():
        raise ImportRejected([RowProblem(file, None, None, f"file {path} does not exist")])
    encoding = detect_encoding(path)
    separator, names, is_quoted, problems = _layout(_header(path, encoding), file)
    if problems:
        raise ImportRejected(problems)
    positions, problems, warnings = _columns(names, file)
    if problems:
        raise ImportRejected(problems)
    names += [""] * _trailing_fields(path, encoding, separator, len(names))
    try:
        table, bad_lines = _read_text(path, encoding, separator, is_quoted, names)
    except UnreadableFile as exc:
        message = f"the file could not be read as a FEC: {exc.__cause__ or exc}"
        raise ImportRejected([RowProblem(file, None, None, message)]) from exc
    if bad_lines:
        raise ImportRejected([RowProblem(file, None, None, m) for m in bad_lines])
    return _checked_lines(_text_frame(table, positions), file), warnings, encoding, separator


def _trailing_fields(path: Path, encoding: str, separator: str, width: int) -> int:
    """How many empty fields the first data line has beyond the header's ``width``.

    Some packages end every line, but not the header, with a separator.
    """
    with path.open("rb") as handle:
        handle.readline()
        first = handle.readline().decode(encoding, errors="replace").rstrip("\r\n")
    fields = first.split(separator)
    extra = fields[width:]
    return len(extra) if extra and not any(f.strip() for f in extra) else 0


def parse_fec(
    path: Path,
    *,
    default_terms_days: int = DEFAULT_TERMS_DAYS,
    clients: pd.DataFrame | None = None,
    exclude_clients: Collection[str] = (),
) -> FecRead:
    """Read a FEC file, separator and encoding detected, every line checked.

    Args:
        path: the FEC.
        default_terms_days: days from invoice to due date for clients without terms.
        clients: clients whose ``payment_terms_days`` set their invoices' due dates.
        exclude_clients: client accounts left out (counter takings, internal accounts).

    Raises:
        ImportRejected: the layout is unknown, some lines are bad or some entries do not
            balance; every problem is named. Nothing is returned.
    """
    lines, warnings, encoding, separator = _file_lines(path)
    ledger, more = _build_ledger(lines, path.name, exclude_clients)
    given = ledger.effets["due_date"]
    if given.isna().any():
        more.append(
            f"{path.name}: {int(given.isna().sum())} bill(s) on 413 give no due date (no "
            "DateRglt, no date in their label): each is due when its invoice is"
        )
    ledger.invoices = with_terms(ledger.invoices, clients, default_terms_days)
    ledger.effets = with_effet_due_dates(ledger.effets, ledger.invoices, default_terms_days)
    return FecRead(ledger, warnings + more, encoding, separator, given)


def book_lines(path: Path) -> pd.DataFrame:
    """The lines of a FEC on client accounts and on 4191, as the books hold them.

    Columns: ``client_id`` (advances: the client found as :func:`parse_fec` finds it,
    missing when none), ``account``, ``entry_date`` (the accounting date), ``date`` (the
    date the ledger counts the line from: the piece date of a document), ``signed``
    (debit minus credit, in cents), ``role`` and ``is_advance``.

    Raises:
        ImportRejected: as :func:`parse_fec`.
    """
    lines, _, _, _ = _file_lines(path)
    clients = pd.Index(lines.loc[lines["role"] != "", "client_id"].unique())
    advances = lines[lines["is_advance"]]
    lines = lines.assign(client_id=lines["client_id"].where(~lines["is_advance"]))
    lines.loc[advances.index, "client_id"] = _advance_clients(advances, clients)
    kept = (lines["role"] != "") | lines["is_advance"]
    columns = ["client_id", "account", "entry_date", "date", "signed", "role", "is_advance"]
    return lines.loc[kept, columns].reset_index(drop=True)


def read_fec(
    path: Path, default_terms_days: int = DEFAULT_TERMS_DAYS, clients: pd.DataFrame | None = None
) -> Ledger:
    """The receivables ledger held in a FEC file (see the module docstring).

    Args:
        path: the FEC, tab- or pipe-separated, UTF-8 or ISO-8859-15.
        default_terms_days: days from invoice to due date for clients without terms.
        clients: clients of the data contract (``client_id``, ``payment_terms_days``)
            whose terms set the due dates of their invoices.

    Raises:
        ImportRejected: carrying every problem, each with its row number.
    """
    return parse_fec(path, default_terms_days=default_terms_days, clients=clients).ledger


# --- importing into the database ------------------------------------------------------


def _stored_clients(engine: Engine) -> pd.DataFrame:
    """Client ids and payment terms already in the database."""
    table = TABLE_OBJECTS["clients"]
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.client_id, table.c.payment_terms_days)).all()
    return pd.DataFrame(rows, columns=["client_id", "payment_terms_days"], dtype=object)


def import_fec(
    engine: Engine,
    path: Path,
    *,
    directory: Path | None = None,
    default_terms_days: int = DEFAULT_TERMS_DAYS,
    exclude_clients: Collection[str] = (),
) -> ImportReport:
    """Read a FEC (and the contract files of ``directory``), save them in one transaction.

    The FEC gives the client accounts, invoices, credit notes, payments and advances.
    ``directory`` may add what a FEC lacks: the clients file (payment terms, sector,
    credit limit...), unbilled deliveries and dunning actions. Clients already in the
    database or in the clients file keep their details; only new ones are created from
    the FEC, with their name. Due dates follow the payment terms, stored or given.

    Raises:
        ImportRejected: a file has a problem; the database is unchanged.
    """
    migrate(engine)
    client_ids, invoice_ids = known_ids(engine)
    read = parse_fec(path, default_terms_days=default_terms_days, exclude_clients=exclude_clients)
    fec = read.ledger
    files: dict[str, Path] = {"fec": path}
    warnings = list(read.warnings)
    extra = Ledger()
    if directory is not None:
        result = read_ledger_dir(
            directory,
            known_client_ids=client_ids | set(fec.clients["client_id"]),
            known_invoice_ids=invoice_ids | set(fec.invoices["invoice_id"]),
        )
        from_fec = ("invoices", "payments", "advances", "effets")
        clash = [result.files[n] for n in from_fec if n in result.files]
        if clash:
            raise ImportRejected(
                [
                    RowProblem(
                        f.name,
                        None,
                        None,
                        f"{f.stem} come from the FEC: leave {f.name} out of the folder "
                        "(it may hold clients, unbilled and actions)",
                    )
                    for f in clash
                ]
            )
        files.update(result.files)
        warnings += result.warnings
        extra = result.ledger
    stored = _stored_clients(engine)
    given = extra.clients[["client_id", "payment_terms_days"]]
    terms = pd.concat([stored[~stored["client_id"].isin(given["client_id"])], given])
    new_clients = fec.clients[~fec.clients["client_id"].isin(terms["client_id"])]
    invoices = with_terms(fec.invoices, terms, default_terms_days)
    ledger = Ledger(
        clients=pd.concat([extra.clients, new_clients], ignore_index=True),
        invoices=invoices,
        payments=fec.payments,
        advances=fec.advances,
        effets=with_effet_due_dates(
            fec.effets.assign(due_date=read.bill_due_dates), invoices, default_terms_days
        ),
        unbilled=extra.unbilled,
        actions=extra.actions,
    )
    summary = save_ledger(engine, ledger)
    return ImportReport(files=files, warnings=warnings, summary=summary)
