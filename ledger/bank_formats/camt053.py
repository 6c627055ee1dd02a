"""camt.053 (ISO 20022 BankToCustomerStatement), as French banks send it under EBICS.

One bank line per booked credit entry (``Ntry`` with ``CdtDbtInd`` ``CRDT``). A batch
entry whose transaction details (``TxDtls``) each carry their own amount, adding up to the
entry's, gives one line per credited detail: each customer's transfer is then matched on
its own. The label joins the entry's ``AddtlNtryInf``, the payer's name
(``RltdPties/Dbtr/Nm``, ``RltdPties/Dbtr/Pty/Nm`` from version 8 on), the unstructured
remittance lines (``RmtInf/Ustrd``) and the structured references (``CdtrRefInf/Ref``,
``RfrdDocInf/Nb``), so that lettrage finds both the invoice numbers and the name. The line
id is the bank's ``AcctSvcrRef``, else ``NtryRef``, else the ``EndToEndId`` of a single
detail, else a stable hash. Debits are counted and skipped; reversals (``RvslInd``) and
entries not booked (``Sts`` other than ``BOOK``) are skipped with a note.

Versions 001.02 to 001.13 differ by namespace and by where a few elements sit; elements
are looked up by local name once the namespace is checked.

Why our own parser: on PyPI, ``pycamt`` (one maintainer) looks elements up with loose
descendant searches (``.//Amt`` takes the first amount anywhere in an entry, which may be
an instructed amount in another currency) and returns strings only; ``camt053`` pins a web
stack (FastAPI, uvicorn, cryptography, Jinja2) for what is here a hundred lines over the
standard library. The XML is read with ``defusedxml`` (maintained, no dependencies), with
any DTD refused: a statement never has one, and this closes entity expansion ("billion
laughs") and external entities (XXE) before they are expanded.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ledger.bank_formats.lines import BankLine, ParsedStatement, join_label, positive_cents
from ledger.errors import ImportRejected, RowProblem

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.\d{3}\.\d{3}\.\d{2})$")
"""The ISO 20022 namespace of a message; group 1 is its name and version."""

_NOT_PROVIDED = "NOTPROVIDED"  # the EndToEndId of a payer who gave none
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def parse_camt053(data: bytes, file: str) -> ParsedStatement:
    """The credits of a camt.053 document, or :class:`ImportRejected` naming each bad entry."""
    root = _document(data, file)
    out = ParsedStatement("camt053", _version(root, file))
    for element in root.iter():
        element.tag = element.tag.rpartition("}")[2]
    problems: list[RowProblem] = []
    entries = root.findall("BkToCstmrStmt/Stmt/Ntry")
    for n, entry in enumerate(entries, 1):
        _entry(file, n, entry, out, problems)
    if problems:
        raise ImportRejected(problems)
    return out


def _document(data: bytes, file: str) -> Element:
    """The XML root, refusing DTDs (so entity bombs and XXE) and malformed XML."""
    try:
        root: Element = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as refused:
        message = f"XML refused: {type(refused).__name__} (a statement has no DTD nor entities)"
        raise ImportRejected([RowProblem(file, None, None, message)]) from None
    except ParseError as error:
        line = error.position[0] if error.position else None
        problem = RowProblem(file, line, None, f"not well-formed XML: {error}")
        raise ImportRejected([problem]) from None
    return root


def _version(root: Element, file: str) -> str:
    """``camt.053.001.NN`` from the root's namespace; rejects any other document."""
    namespace, _, name = root.tag.rpartition("}")
    match = NAMESPACE.match(namespace.lstrip("{"))
    if name != "Document" or not match or not match.group(1).startswith("camt.053."):
        found = match.group(1) if match else root.tag
        message = "not a camt.053 statement (root Document in a camt.053 namespace)"
        raise ImportRejected([RowProblem(file, None, None, message, found)])
    return match.group(1)


def _text(element: Element, path: str) -> str:
    """The stripped text at ``path`` under ``element``; empty when absent."""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _entry(
    file: str, n: int, entry: Element, out: ParsedStatement, problems: list[RowProblem]
) -> None:
    """Entry ``n``'s credit lines into ``out``; what is wrong with it into ``problems``."""
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        problems.append(RowProblem(file, n, "Ntry/CdtDbtInd", "not CRDT nor DBIT", indicator))
        return
    if indicator == "DBIT":
        out.debits += 1
        return
    if _text(entry, "RvslInd").lower() in ("true", "1"):
        out.notes.append(f"entry {n}: a reversal (RvslInd), skipped")
        return
    status = _text(entry, "Sts/Cd") or _text(entry, "Sts")
    if status not in ("", "BOOK"):
        out.notes.append(f"entry {n}: status {status}, not booked, skipped")
        return
    amount = _amount(file, n, entry.find("Amt"), "Ntry/Amt", problems)
    day = _day(file, n, entry, problems)
    if amount is None or day is None:
        return
    cents, currency = amount
    details = entry.findall("NtryDtls/TxDtls")
    info = _text(entry, "AddtlNtryInf")
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    split = _split(details, cents, currency)
    if split is None:
        if not reference and len(details) == 1:
            reference = _end_to_end(details[0])
        label = join_label(info, *(_detail_label(d) for d in details))
        out.lines.append(BankLine(n, reference or None, day, cents, currency, label))
        return
    for k, (detail, detail_cents, credit) in enumerate(split, 1):
        if not credit:
            out.debits += 1
            continue
        ref = _text(detail, "Refs/AcctSvcrRef") or (f"{reference}.{k}" if reference else "")
        ref = ref or _end_to_end(detail)
        label = join_label(info, _detail_label(detail))
        out.lines.append(BankLine(n, ref or None, day, detail_cents, currency, label))


def _amount(
    file: str, n: int, element: Element | None, field: str, problems: list[RowProblem]
) -> tuple[int, str] | None:
    """``(cents, currency)`` of an ``Amt`` element; None with a problem when it is wrong."""
    text = (element.text or "").strip() if element is not None else ""
    currency = element.get("Ccy", "") if element is not None else ""
    try:
        cents = positive_cents(Decimal(text))
    except InvalidOperation:
        cents = None
    if cents is None:
        message = "not an amount > 0 with at most 2 decimals"
        problems.append(RowProblem(file, n, field, message, text))
        return None
    if not _CURRENCY.match(currency):
        problems.append(RowProblem(file, n, f"{field}/@Ccy", "not an ISO 4217 code", currency))
        return None
    return cents, currency


def _day(file: str, n: int, entry: Element, problems: list[RowProblem]) -> date | None:
    """The booking date (else the value date) of an entry, ``Dt`` or the day of ``DtTm``."""
    for path in ("BookgDt/Dt", "BookgDt/DtTm", "ValDt/Dt", "ValDt/DtTm"):
        text = _text(entry, path)
        if text:
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                problems.append(RowProblem(file, n, f"Ntry/{path}", "not a date", text))
                return None
    problems.append(RowProblem(file, n, "Ntry/BookgDt", "no booking nor value date"))
    return None


def _split(
    details: list[Element], cents: int, currency: str
) -> list[tuple[Element, int, bool]] | None:
    """A batch entry's details as ``(detail, cents, is_credit)``, when they add up to it.

    None when the entry is one line: a single detail, or details without their own
    amount in the entry's currency, or amounts that do not add up to the entry's.
    """
    if len(details) < 2:
        return None
    out = []
    for detail in details:
        amount = detail.find("Amt")
        if amount is None:
            amount = detail.find("AmtDtls/TxAmt/Amt")
        if amount is None or amount.get("Ccy") != currency:
            return None
        try:
            detail_cents = positive_cents(Decimal((amount.text or "").strip()))
        except InvalidOperation:
            return None
        if detail_cents is None:
            return None
        out.append((detail, detail_cents, _text(detail, "CdtDbtInd") != "DBIT"))
    if sum(c if credit else -c for _, c, credit in out) != cents:
        return None
    return out


def _end_to_end(detail: Element) -> str:
    """The payer's end-to-end id of a detail; empty when it is absent or NOTPROVIDED."""
    value = _text(detail, "Refs/EndToEndId")
    return "" if value.upper() == _NOT_PROVIDED else value


def _detail_label(detail: Element) -> str:
    """A detail's payer name, remittance lines and structured references, joined."""
    name = _text(detail, "RltdPties/Dbtr/Nm") or _text(detail, "RltdPties/Dbtr/Pty/Nm")
    lines = [(e.text or "") for e in detail.findall("RmtInf/Ustrd")]
    refs = [(e.text or "") for e in detail.findall("RmtInf/Strd/CdtrRefInf/Ref")]
    refs += [(e.text or "") for e in detail.findall("RmtInf/Strd/RfrdDocInf/Nb")]
    return join_label(name, *lines, *refs)
