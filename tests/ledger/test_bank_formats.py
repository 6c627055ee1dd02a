"""Bank statements as banks send them: camt.053, CFONB 120, MT940 read to the CSV's matches.

The same four movements are written in every format: a transfer naming one invoice, a
grouped transfer of two invoices, a transfer with the payer's name only, and a debit (bank
fees) that lettrage must never see. Each file, read and matched, gives the CSV's matches.
"""

from __future__ import annotations

import json
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from encours.cli import app
from encours.settings import get_settings
from ledger.bank_formats.cfonb120 import signed_amount
from ledger.bank_formats.mt940 import details_label
from ledger.bank_statement import detect_format, read_statement
from ledger.contract import Ledger
from ledger.errors import ImportRejected
from ledger.lettrage import LettrageConfig, open_items, propose_matches
from ledger.storage import load_ledger, make_engine, migrate, save_ledger
from tests.ledger.factories import dates

DAY = date(2024, 6, 28)
CLIENTS = pd.DataFrame(
    {
        "client_id": ["C1", "C2", "C3"],
        "name": ["Boulangerie Martin SARL", "Dupont-Moreau Transports SAS", "Garnier Négoce SAS"],
    }
)
# (invoice, client, amount in cents, due date); all open.
INVOICES = (
    ("F0000123", "C1", 120_000, "2024-06-15"),
    ("F0000130", "C1", 45_678, "2024-06-25"),
    ("F0000201", "C2", 31_250, "2024-05-31"),
    ("F0000202", "C2", 18_990, "2024-06-10"),
    ("F0000203", "C2", 7_425, "2024-06-15"),
    ("F0000301", "C3", 98_765, "2024-06-30"),
)


def ledger() -> Ledger:
    """Three clients and their open invoices, issued 30 days before they fall due."""
    due = dates(*(r[3] for r in INVOICES))
    invoices = pd.DataFrame(
        {
            "invoice_id": [r[0] for r in INVOICES],
            "client_id": [r[1] for r in INVOICES],
            "issue_date": due - pd.Timedelta(days=30),
            "due_date": due,
            "amount_cents": pd.array([r[2] for r in INVOICES], dtype="Int64"),
            "currency": "EUR",
            "doc_type": "invoice",
            "disputed": False,
            "paid_date": pd.Series(pd.NaT, index=due.index, dtype="datetime64[ns]"),
            "written_off": False,
            "credited_invoice_id": None,
        }
    )
    return Ledger(clients=CLIENTS, invoices=invoices)


# (reference, cents: < 0 a debit, bank's text, payer's name, remittance information)
MOVEMENTS = (
    ("B1", 45_678, "VIR SEPA", "BOULANGERIE MARTIN", "REF F0000130"),
    ("B2", 38_675, "VIR", "DUPONT MOREAU", "F0000201/F0000203"),  # 312.50 + 74.25
    ("B3", 98_765, "VIR SEPA", "GARNIER NEGOCE", ""),  # the only invoice of that amount
    ("B4", -1_250, "FRAIS BANCAIRES", "", ""),
)
CREDITS = [m for m in MOVEMENTS if m[1] > 0]
EXPECTED = [  # (line amount, invoice, cents, rule): what the CSV gives
    (38_675, "F0000201", 31_250, "reference"),
    (38_675, "F0000203", 7_425, "reference"),
    (45_678, "F0000130", 45_678, "reference"),
    (98_765, "F0000301", 98_765, "exact_amount"),
]


# --- writing the movements in each format ----------------------------------------------


def write_csv(path: Path) -> None:
    rows = [
        f"{ref},{DAY},{Decimal(cents).scaleb(-2)},{' '.join(filter(None, (t, n, r)))}"
        for ref, cents, t, n, r in CREDITS
    ]
    path.write_text("line_id,date,amount,label\n" + "\n".join(rows) + "\n", encoding="utf-8")


def camt_entry(version: int, ref: str, cents: int, text: str, name: str, remittance: str) -> str:
    """One ``Ntry``: v2 keeps ``Sts`` and ``Dbtr/Nm`` flat, v8 nests them."""
    status = "<Sts>BOOK</Sts>" if version < 8 else "<Sts><Cd>BOOK</Cd></Sts>"
    debtor = f"<Nm>{name}</Nm>" if version < 8 else f"<Pty><Nm>{name}</Nm></Pty>"
    parties = f"<RltdPties><Dbtr>{debtor}</Dbtr></RltdPties>" if name else ""
    info = f"<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>" if remittance else ""
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{Decimal(abs(cents)).scaleb(-2)}</Amt>
        <CdtDbtInd>{"CRDT" if cents > 0 else "DBIT"}</CdtDbtInd>
        {status}
        <BookgDt><Dt>{DAY}</Dt></BookgDt>
        <ValDt><Dt>{DAY}</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          {parties}{info}
        </TxDtls></NtryDtls>
        <AddtlNtryInf>{text}</AddtlNtryInf>
      </Ntry>"""


def camt_document(version: int, entries: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version:02d}">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG1</MsgId><CreDtTm>{DAY}T20:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT1</Id>
      <Acct><Id><IBAN>FR7630004000031234567890143</IBAN></Id></Acct>{entries}
    </Stmt>
  </BkToCstmrStmt>
</Document>
"""


def write_camt(path: Path, version: int) -> None:
    entries = "".join(camt_entry(version, *m) for m in MOVEMENTS)
    path.write_text(camt_document(version, entries), encoding="utf-8")


def cfonb_amount(cents: int, decimals: int = 2) -> str:
    """14 characters, the last one the sign and last digit: ``{`` A-I for +0..9, ``}`` J-R
    for -0..9."""
    digits = f"{abs(cents) // 10 ** (2 - decimals):014d}"
    signs = "{ABCDEFGHI" if cents >= 0 else "}JKLMNOPQR"
    return digits[:13] + signs[int(digits[13])]


def cfonb_record(code: str, middle: str, tail: str = " " * 32) -> str:
    """A record: code, bank, op code, branch, EUR, 2 decimals, account, op, date, then
    ``middle`` (positions 41-88) and ``tail`` (89-120)."""
    head = f"{code}30004    01234EUR2 00012345678  {DAY:%d%m%y}"
    assert len(head) == 40 and len(middle) == 48 and len(tail) == 32
    return head + middle + tail


def cfonb_records(ref: str, cents: int, text: str, name: str, remittance: str) -> list[str]:
    """A ``04`` movement and its ``05`` complements (payer's name, reference)."""
    movement = cfonb_record(
        "04", f"  {DAY:%d%m%y}{text:<31.31}  {ref:<7}", "  " + cfonb_amount(cents) + " " * 16
    )
    complements = [
        cfonb_record("05", f"     {qualifier}{value:<40}", f"{'':<30}  ")
        for qualifier, value in (("NPY", name), ("LIB", remittance))
        if value
    ]
    return [movement, *complements]


def write_cfonb(path: Path, newline: str) -> None:
    balance = f"{'':2}{DAY:%d%m%y}{'':40}", "  " + cfonb_amount(100_000) + " " * 16
    records = [cfonb_record("01", *balance)]
    for m in MOVEMENTS:
        records += cfonb_records(*m)
    records.append(cfonb_record("07", *balance))
    assert all(len(r) == 120 for r in records)
    path.write_bytes((newline.join(records) + newline).encode("latin-1"))


def write_mt940(path: Path) -> None:
    """Free-text ``:86:`` for B1 and B4, structured (``?20``, ``?32``) for B2 and B3."""
    lines = [":20:STMT240628", ":25:30004000031234567890143", ":28C:00042/001"]
    lines.append(f":60F:C{DAY:%y%m%d}EUR1000,00")
    for ref, cents, text, name, remittance in MOVEMENTS:
        amount = f"{abs(cents) // 100},{abs(cents) % 100:02d}"
        mark = "C" if cents > 0 else "D"
        lines.append(f":61:{DAY:%y%m%d}{DAY:%m%d}{mark}{amount}NTRFNONREF//{ref}")
        if ref in ("B2", "B3"):
            lines.append(f":86:?00{text}?20{remittance}?32{name}")
        else:
            lines.append(":86:" + " ".join(filter(None, (text, name, remittance))))
    lines.append(f":62F:C{DAY:%y%m%d}EUR1000,00")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")


WRITERS = {
    "csv": ("releve.csv", write_csv),
    "camt053 v02": ("releve.xml", lambda p: write_camt(p, 2)),
    "camt053 v08": ("releve.xml", lambda p: write_camt(p, 8)),
    "cfonb120 LF": ("releve.txt", lambda p: write_cfonb(p, "\n")),
    "cfonb120 CRLF": ("releve.txt", lambda p: write_cfonb(p, "\r\n")),
    "cfonb120 no breaks": ("releve.txt", lambda p: write_cfonb(p, "")),
    "mt940": ("releve.sta", write_mt940),
}


def written(tmp_path: Path, case: str) -> Path:
    name, write = WRITERS[case]
    path = tmp_path / name
    write(path)
    return path


def matches(lines: pd.DataFrame) -> list[tuple[int, str, int, str]]:
    """The automatic matches of ``lines``: (line amount, invoice, cents, rule), sorted."""
    book = ledger()
    config = LettrageConfig()
    found = propose_matches(lines, open_items(book, DAY), book.clients, config)
    credited = lines.set_index("line_id")["amount_cents"]
    sure = found[found["confidence"] >= config.auto_threshold]
    return sorted(
        (int(credited[r.line_id]), str(r.invoice_id), int(r.amount_cents), str(r.rule))
        for r in sure.itertuples(index=False)
    )


# --- the same matches from every format ------------------------------------------------


@pytest.mark.parametrize("case", list(WRITERS))
def test_every_format_gives_the_csv_matches(tmp_path: Path, case: str) -> None:
    statement = read_statement(written(tmp_path, case))
    assert statement.format == case.split()[0]
    lines = statement.lines
    assert sorted(lines["amount_cents"]) == sorted(m[1] for m in CREDITS)  # the debit is out
    assert statement.debits == (0 if case == "csv" else 1)
    assert (lines["date"] == pd.Timestamp(DAY)).all()
    assert set(lines["currency"]) == {"EUR"}
    labels = lines.set_index("amount_cents")["label"]
    assert "F0000201/F0000203" in labels[38_675]  # the remittance information
    assert "GARNIER NEGOCE" in labels[98_765]  # the payer's name
    assert matches(lines) == EXPECTED


@pytest.mark.parametrize("case", [c for c in WRITERS if c != "csv"])
def test_the_banks_references_are_the_line_ids_and_stable(tmp_path: Path, case: str) -> None:
    path = written(tmp_path, case)
    ids = read_statement(path).lines["line_id"].tolist()
    assert ids == read_statement(path).lines["line_id"].tolist()
    if case.startswith("cfonb"):  # account, date of operation, entry number
        assert ids == ["00012345678.240628.B1", "00012345678.240628.B2", "00012345678.240628.B3"]
    else:
        assert ids == ["B1", "B2", "B3"]


@pytest.mark.parametrize("case", list(WRITERS))
def test_each_format_is_detected_from_the_content(tmp_path: Path, case: str) -> None:
    path = written(tmp_path, case)
    assert detect_format(path.read_bytes()) == case.split()[0]


# --- camt.053 --------------------------------------------------------------------------


def test_a_batch_entry_gives_one_line_per_transfer_and_reversals_are_noted(
    tmp_path: Path,
) -> None:
    batch = f"""
      <Ntry>
        <NtryRef>N9</NtryRef>
        <Amt Ccy="EUR">843.53</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><DtTm>{DAY}T09:30:00+02:00</DtTm></BookgDt>
        <NtryDtls>
          <Btch><NbOfTxs>2</NbOfTxs></Btch>
          <TxDtls>
            <Refs><EndToEndId>E2E-MARTIN</EndToEndId></Refs>
            <Amt Ccy="EUR">456.78</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>BOULANGERIE MARTIN</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Strd><CdtrRefInf><Ref>F0000130</Ref></CdtrRefInf></Strd></RmtInf>
          </TxDtls>
          <TxDtls>
            <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
            <Amt Ccy="EUR">386.75</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>DUPONT MOREAU</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Ustrd>F0000201</Ustrd><Ustrd>F0000203</Ustrd></RmtInf>
          </TxDtls>
        </NtryDtls>
        <AddtlNtryInf>REMISE VIREMENTS SEPA</AddtlNtryInf>
      </Ntry>
      <Ntry>
        <Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>true</RvslInd>
        <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{DAY}</Dt></BookgDt>
        <AcctSvcrRef>R1</AcctSvcrRef>
      </Ntry>"""
    path = tmp_path / "batch.xml"
    path.write_text(camt_document(8, batch), encoding="utf-8")
    statement = read_statement(path)
    assert statement.detail == "camt.053.001.08"
    assert statement.lines["line_id"].tolist() == ["N9.1", "N9.2"]
    assert statement.lines["amount_cents"].tolist() == [45_678, 38_675]
    assert statement.lines["label"].tolist() == [
        "REMISE VIREMENTS SEPA BOULANGERIE MARTIN F0000130",
        "REMISE VIREMENTS SEPA DUPONT MOREAU F0000201 F0000203",
    ]
    assert statement.notes == ["entry 2: a reversal (RvslInd), skipped"]
    assert "reversal" in statement.summary()
    assert matches(statement.lines) == sorted(EXPECTED[:3])


def test_a_line_without_a_reference_gets_a_stable_hash(tmp_path: Path) -> None:
    entry = camt_entry(2, "", 45_678, "VIR", "BOULANGERIE MARTIN", "F0000130")
    path = tmp_path / "noref.xml"
    path.write_text(camt_document(2, entry + entry), encoding="utf-8")  # twice the same
    ids = read_statement(path).lines["line_id"].tolist()
    assert len(set(ids)) == 2 and all(i.startswith("camt053-") for i in ids)
    assert read_statement(path).lines["line_id"].tolist() == ids


BOMB = """<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
  <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
  <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
  <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&i;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt>
</Document>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>&secret;</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt>
</Document>
"""


@pytest.mark.parametrize("document", [BOMB, XXE], ids=["billion laughs", "XXE"])
def test_entity_expansion_and_external_entities_are_refused(tmp_path: Path, document: str) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(document, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path)
    assert time.perf_counter() - start < 1  # refused before any expansion (5e10 bytes)
    assert "XML refused" in str(rejected.value.problems[0])


def test_a_bad_camt_entry_is_named_with_its_field(tmp_path: Path) -> None:
    entries = camt_entry(8, *MOVEMENTS[0]) + camt_entry(8, *MOVEMENTS[1]).replace(
        "386.75", "386,75"
    )
    path = tmp_path / "bad.xml"
    path.write_text(camt_document(8, entries), encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path)
    assert [(p.row, p.field, p.value) for p in rejected.value.problems] == [
        (2, "Ntry/Amt", "386,75")
    ]


def test_malformed_xml_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(camt_document(2, camt_entry(2, *MOVEMENTS[0]))[:400], encoding="utf-8")
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path)
    problem = rejected.value.problems[0]
    assert problem.row is not None and problem.row > 5
    assert "not well-formed XML" in problem.message


def test_another_iso_20022_message_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "camt054.xml"
    path.write_text(camt_document(2, "").replace("camt.053", "camt.054"), encoding="utf-8")
    with pytest.raises(ImportRejected, match="1 problem") as rejected:
        read_statement(path)
    assert rejected.value.problems[0].value == "camt.054.001.02"


# --- CFONB 120 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "decimals", "cents"),
    [
        ("0000000012345{", 2, 123_450),  # 0000000012345 then {=+0: 123450 hundredths
        ("0000000012345}", 2, -123_450),  # }=-0
        ("0000000012345E", 2, 123_455),  # E=+5: 1234.55
        ("0000000012345N", 2, -123_455),  # N=-5
        ("0000000000012A", 0, 12_100),  # A=+1, no decimals: 121 euros
        ("0000000012345}", 3, -12_345),  # 3 decimals: -123.450 €
    ],
)
def test_cfonb_amounts_carry_their_sign_in_the_last_character(
    field: str, decimals: int, cents: int
) -> None:
    assert signed_amount(field, decimals) == cents


def test_cfonb_amounts_below_the_cent_or_badly_signed_are_refused() -> None:
    for field, decimals in (("0000000012345R", 3), ("0000000012345X", 2), ("00000000123451", 2)):
        with pytest.raises(ValueError):
            signed_amount(field, decimals)
    assert signed_amount("0000000012340}", 3) == -12_340  # -123.400 € is whole cents


def test_a_bad_cfonb_record_is_named_with_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    write_cfonb(path, "\n")
    records = path.read_text(encoding="latin-1").splitlines()
    records[4] = records[4][:103] + "X" + records[4][104:]  # B2's sign character
    records[7] = "09" + records[7][2:]  # no such record
    path.write_text("\n".join(records) + "\n", encoding="latin-1")
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path, "cfonb120")
    assert [(p.row, p.field) for p in rejected.value.problems] == [
        (5, "amount (91-104)"),
        (8, "record"),
    ]


def test_cfonb_lines_cut_of_their_trailing_blanks_are_read(tmp_path: Path) -> None:
    path = tmp_path / "trimmed.txt"
    write_cfonb(path, "\r\n")
    trimmed = "\r\n".join(r.rstrip() for r in path.read_text(encoding="latin-1").splitlines())
    path.write_text(trimmed, encoding="latin-1")
    assert detect_format(path.read_bytes()) == "cfonb120"
    assert matches(read_statement(path).lines) == EXPECTED


# --- MT940 -----------------------------------------------------------------------------


def test_mt940_reversals_are_skipped_with_a_note(tmp_path: Path) -> None:
    path = written(tmp_path, "mt940")
    text = path.read_text(encoding="ascii").replace(
        ":62F:", ":61:2406280628RD12,50NMSC//R1\r\n:62F:"
    )
    text = text.replace(":62F:", ":61:2406280628RC20,00NTRF//R2\r\n:62F:", 1)
    path.write_text(text, encoding="ascii")
    statement = read_statement(path)
    assert len(statement.lines) == 3
    assert [n.split(": ")[1] for n in statement.notes] == [
        "a reversal (RD), skipped",
        "a reversal (RC), skipped",
    ]


@pytest.mark.parametrize(
    ("details", "label"),
    [
        (
            "?00VIREMENT?20F0000201?21/F0000203?30BNPAFRPP?31FR76300?32DUPONT MOREAU",
            "VIREMENT F0000201 /F0000203 DUPONT MOREAU",
        ),
        (
            "166?00SEPA-GUTSCHRIFT?20F0000130?32BOULANGERIE MARTIN",
            "SEPA-GUTSCHRIFT F0000130 BOULANGERIE MARTIN",
        ),
        ("VIR SEPA BOULANGERIE\nMARTIN F0000130", "VIR SEPA BOULANGERIE MARTIN F0000130"),
        ("X" * 59 + "F00001\n30", "X" * 59 + "F0000130"),  # wrapped at 65 mid-number
    ],
)
def test_mt940_details_keep_the_remittance_and_the_name(details: str, label: str) -> None:
    assert details_label(details) == label


def test_a_bad_mt940_line_is_named(tmp_path: Path) -> None:
    path = written(tmp_path, "mt940")
    text = path.read_text(encoding="ascii").replace(":61:2406280628D12,50", ":61:24XX280628D12,50")
    path.write_text(text, encoding="ascii")
    with pytest.raises(ImportRejected) as rejected:
        read_statement(path)
    problem = rejected.value.problems[0]
    assert (problem.row, problem.field) == (11, ":61:")
    assert "24XX28" in str(problem)


# --- the command -----------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A migrated SQLite database holding :func:`ledger`, as the CLI's settings point."""
    url = f"sqlite:///{tmp_path}/ledger.db"
    monkeypatch.setenv("ENCOURS_DATABASE_URL", url)
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    get_settings.cache_clear()
    engine = make_engine(url)
    migrate(engine)
    save_ledger(engine, ledger())
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_lettrage_of_a_camt_file_end_to_end(database, tmp_path: Path) -> None:
    path = written(tmp_path, "camt053 v08")
    runner = CliRunner()
    result = runner.invoke(app, ["lettrage", str(path), "--json"])
    assert result.exit_code == 0, result.output
    run = json.loads(result.output)
    assert run["statement"] == {
        "format": "camt053",
        "detail": "camt.053.001.08",
        "debits_skipped": 1,
        "notes": [],
    }
    assert run["lines"] == 3 and run["applied"] == 4
    applied = {(p["line_id"], p["invoice_id"]) for p in run["proposals"]}
    assert applied == {
        ("B1", "F0000130"),
        ("B2", "F0000201"),
        ("B2", "F0000203"),
        ("B3", "F0000301"),
    }
    payments = load_ledger(database).payments
    assert payments["amount_cents"].sum() == 45_678 + 38_675 + 98_765

    again = json.loads(runner.invoke(app, ["lettrage", str(path), "--json"]).output)
    assert (again["applied"], again["skipped"]) == (0, 3)

    human = runner.invoke(app, ["lettrage", str(path), "--format", "camt053"])
    assert human.exit_code == 0 and "read camt053 (camt.053.001.08)" in human.output


def test_lettrage_of_a_bad_file_applies_nothing(database, tmp_path: Path) -> None:
    path = tmp_path / "evil.xml"
    path.write_text(XXE, encoding="utf-8")
    result = CliRunner().invoke(app, ["lettrage", str(path), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["rejected"] is True
    assert load_ledger(database).payments.empty
