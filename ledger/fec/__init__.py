"""Read and write a FEC, the French legal ledger export (article A47 A-1 du LPF).

A FEC lists every line of every accounting entry (écriture) in 18 columns, separated
by tabs or pipes, dates ``YYYYMMDD``, amounts with a decimal comma, often in
ISO-8859-15. The receivables ledger of the data contract is derived from it:

- **clients**: the client accounts, i.e. the lines on 411 (and 413 effets à recevoir,
  416 clients douteux) accounts with their auxiliary account (``CompAuxNum``,
  ``CompAuxLib``), or the 411 sub-account itself (``411DUPONT``, ``CompteLib``) when a
  line has no auxiliary (a 413/416 line without one belongs to its entry's 411 client);
- **invoices**: debits on client accounts, dated by ``PieceDate``; **credit notes**:
  credits on client accounts in sales entries (entries with a 70x or 4457x line and no
  bank line). Where ``PieceRef`` numbers invoices, an invoice is the lines of one number
  (installments summed); where it numbers batches (one piece a month for every
  client's invoices), an invoice is one client's lines within one entry (see
  :func:`_document_ids`);
- **payments**: the other credits on client accounts: bank receipts, and also advances
  or compensations set against an invoice, which lower what the client owes just the
  same. Credits in entries with a 654 line are write-offs (pertes sur créances): they
  become payment rows too (the client account is credited, the books no longer hold the
  amount), and a group they settle marks its invoices written off. Debits in bank
  entries (refunds, rejected payments) are amounts owed again, keyed by their entry;
- **à-nouveaux** (opening entries: journal ``AN``/``RAN`` or labelled "à nouveaux"):
  their debits are last year's open invoices, dated by their ``PieceDate``, their
  credits open payments;
- **advances** (compte 419): credits on 4191 accounts, applied once 4191 debits of the
  same client (and lettrage code) cover them, first in first out;
- **lettrage**: the lines of a client account sharing an ``EcritureLet`` code form a
  group. A group that balances is settled: its invoices and credit notes are settled on
  its latest ``DateLet``, or when ``DateLet`` is empty on the date of its latest line
  (the lettered payment), never before a line of the group. In every group, payments are
  set against invoices in date order, so that one invoice settled by two payments and
  one payment settling two invoices (split into one payment row per invoice) both come
  out; a group with a write-off marks its invoices written off.

Amounts are the book's euros (``Debit``, ``Credit``); an invoice in another currency keeps
``Idevise`` and ``Montantdevise`` as the user columns ``x_idevise``, ``x_montantdevise``.
Due dates are not in a FEC: an invoice is due its client's ``payment_terms_days`` after
its date when the clients are given, else after ``default_terms_days`` (30, the legal
default). Ids: invoices from ``PieceRef`` or from their entry
(``<JournalCode>-<EcritureNum>-<EcritureDate>-<client>``), clients from ``CompAuxNum``
(or the 411 sub-account), payments from the entry
(``<JournalCode>-<EcritureNum>-<EcritureDate>``), stable from one export of the same
books to the next.

Variants real packages write, all read (each has a fixture in
``tests/ledger/test_fec_variants.py`` or ``tests/ledger/test_fec.py``):

- tab or pipe separators; UTF-8 (with or without BOM), ISO-8859-15 or CP1252; header
  names in any case; fields quoted or not; CRLF or LF;
- 18 columns, or ``Montant`` + ``Sens`` instead of ``Debit`` + ``Credit``, or 19 to 22
  with the cash-regime columns ``DateRglt``, ``ModeRglt``, ``NatOp``, ``IdClient``;
  other columns ignored with a warning;
- a trailing separator on every line, with or without one on the header;
- fields space-padded; amounts zero-padded (``0000000074,70``), with a comma or a dot,
  a sign, or fewer than two decimals;
- journal codes in any case; ``EcritureNum`` numbering entries (restarting each year:
  ids carry the date), or constant (``0`` on every line: entries known by ``PieceRef``
  and ``PieceDate``); ``PieceRef`` numbering invoices, batches, or empty;
- ``EcritureLet`` with ``DateLet`` empty; à-nouveaux on 411 lettered or not, detailed
  (one line per open invoice) or one line per client;
- counter takings on 411 pseudo-clients (``RECETTE CB``): imported, named in a warning,
  left out with ``exclude_clients``.

Rejected, with the row and the reason: a header that is not a FEC's (``;`` or ``,``
separators: a FEC is tab or pipe separated by law), a required column missing, a line
with fewer fields than the header, dates other than ``YYYYMMDD`` (the legal format:
another would be guessed, not read), amounts that are not numbers, with thousands
separators or more than two decimals, entries whose debits and credits differ, ids
longer than the database holds. Not read: the XML FEC (rare, allowed by the same
article), the 4181 factures à établir: the accrual is most often booked on the general
account with no client, and reversed in bulk the next period, so it cannot be set against
one client's deliveries; a warning counts them, give them as ``unbilled``.

Effets à recevoir (413): see :mod:`ledger.fec.effets`; the bills become the ``effets``
table, and a transfer from 411 to 416 marks its invoice douteuse (``doubtful_date``).

A file with any problem is rejected whole; every problem names its row as in the other
imports: row 1 is the first line after the header, i.e. line 2 of the file.
"""

from ledger.conventions import detect_encoding
from ledger.fec.lines import FEC_COLUMNS, REGIME_COLUMNS
from ledger.fec.reading import FecRead, book_lines, import_fec, parse_fec, read_fec
from ledger.fec.tables import with_terms
from ledger.fec.writer import FecWritten, write_fec

__all__ = [
    "FEC_COLUMNS",
    "REGIME_COLUMNS",
    "FecRead",
    "FecWritten",
    "book_lines",
    "detect_encoding",
    "import_fec",
    "parse_fec",
    "read_fec",
    "with_terms",
    "write_fec",
]
