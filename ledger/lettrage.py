"""Lettrage (cash application): which open invoices each bank-statement line settles.

Pure functions: bank lines, open invoices and client names in, one row per proposed
allocation ``(line_id, invoice_id, amount_cents)`` out; nothing is read or written
(:mod:`ledger.lettrage_store` stores and applies the proposals).

Each allocation names the rule that made it and a confidence in [0, 1]: the estimated
probability that the line really pays that invoice, calibrated on simulated statements
(``bench/lettrage.py`` prints the precision of each rule). Allocations at or above
``auto_threshold`` are applied automatically, the others go to a review queue. The
rules, most reliable first, with their confidence when the bank gives the client:

==================  ====  ==========================================================
``reference``       0.99  invoice numbers in the label (spaces, prefixes such as
                          ``FAC`` or ``INV``, zero-padding ignored), the amount
                          settles them; 0.97 within the tolerance (bank fees,
                          rounding), 0.96 a subset of them, 0.96 more paid than named
``reference_fuzzy`` 0.96  a number one typo (digit substituted, dropped, doubled, two
                          swapped) from exactly one of the client's own open invoices,
                          the amount settles it; 0.93 within the tolerance
``partial``         0.97  a number found, the amount below its open amount; 0.93
                          spread over several numbers, oldest first
``exact_amount``    0.96  no usable number; the only open invoice of the client with
                          this amount
``subset_sum``      0.94  no usable number; the only set of 2 to ``max_subset_size``
                          invoices of one client (among the ``max_candidates`` due
                          nearest the line) summing to the amount
``tolerance``       0.92  no usable number; the only open invoice of the client within
                          the tolerance of the amount
==================  ====  ==========================================================

Where the client comes from is recorded apart, in ``client_from``, and multiplies the
confidence: ``line`` (the bank gave it, x1), ``name`` (the payer's name in the label is
a client's name once legal forms, accents and spacing are set aside, x0.98),
``name_fuzzy`` (a truncated, abbreviated or misspelt name, x0.95) or ``reference`` (no
client: the numbers and the amount alone identify the invoices, x0.97). A name several
clients share gives all of them as candidates; the match must then be unique across all
of them, and near amounts (``tolerance``) count for less.

Ambiguity sends a proposal to review (0.5): two invoices with the amount, two subsets,
an amount equal to what lettrage left of an invoice another line paid part of (that
remainder is an artefact of the other line's amount), an amount-only match on a line
whose label names invoices the amount does not fit.

Allocation is greedy by confidence, in two passes: the allocations at or above the
threshold first, rule by rule, then, for what is left, those below it. A line is never
allocated more than its amount, an invoice never more than its open amount, across all
lines.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.days import day_numbers
from ledger.kpis import open_amounts

IntArray = npt.NDArray[np.int64]
IndexArray = npt.NDArray[np.intp]

RULES: dict[str, str] = {
    "reference": "invoice number in the label; the amount settles it (within the tolerance)",
    "reference_fuzzy": "invoice number in the label with a one-character typo; the amount "
    "settles it",
    "partial": "invoice number in the label; the amount is less than its open amount",
    "exact_amount": "no usable number; the only open invoice of the client with this amount",
    "tolerance": "no usable number; the only open invoice of the client within the tolerance",
    "subset_sum": "no usable number; the only set of open invoices of the client summing to "
    "the amount",
}
"""The rules, most reliable first, each with what it found."""

CLIENT_SOURCES: dict[str, str] = {
    "line": "the client id given with the bank line",
    "name": "the payer's name in the label, as the client's name",
    "name_fuzzy": "the payer's name in the label, truncated, abbreviated or misspelt",
    "reference": "no client known: the invoice numbers and the amount identify the invoice",
}
"""Where the client of an allocation comes from."""

PROPOSAL_COLUMNS = (
    "line_id",
    "invoice_id",
    "client_id",
    "amount_cents",
    "rule",
    "confidence",
    "client_from",
)

# Confidence of each rule when the bank gives the client; calibrated on simulated
# statements (bench/lettrage.py prints the precision of each rule).
_REFERENCE = 0.99
_REFERENCE_TOLERANCE = 0.97
_REFERENCE_SUBSET = 0.96
_REFERENCE_OVERPAID = 0.96  # more paid than the numbers named: they are taken whole
_REFERENCE_OTHER_CLIENT = 0.85  # a number of another client than the bank's: review
_FUZZY = 0.96
_FUZZY_TOLERANCE = 0.93
_FUZZY_SUBSET = 0.94
_PARTIAL = 0.97
_FUZZY_PARTIAL = 0.75
# Several numbers, no subset settles the amount: oldest first, the last one in part;
# surer when every invoice named gets some of the amount than when some get nothing.
_PARTIAL_SPLIT = 0.93
_PARTIAL_SHORT = 0.7
_EXACT_AMOUNT = 0.96
_TOLERANCE = 0.92
_SUBSET = 0.94
_SUBSET_TOLERANCE = 0.8
_AMBIGUOUS = 0.5  # several candidates fit equally: the best guess, for review
_CONFLICT = 0.5  # clipped because another line took part of the invoice first
_NAMED_ELSEWHERE = 0.5  # the label names invoices the amount does not fit
_Confidences = tuple[str, float, float, float, float]
# (rule, if the amount settles the named invoices exactly, within the tolerance, settles
# a subset of them, or exceeds them all)
_REFERENCE_RULES: _Confidences = (
    "reference",
    _REFERENCE,
    _REFERENCE_TOLERANCE,
    _REFERENCE_SUBSET,
    _REFERENCE_OVERPAID,
)
_FUZZY_RULES: _Confidences = (
    "reference_fuzzy",
    _FUZZY,
    _FUZZY_TOLERANCE,
    _FUZZY_SUBSET,
    _FUZZY_PARTIAL,
)
# Times the confidence of the tolerance rule when the payer's name is several clients'.
_FEW = 5
_FEW_HOMONYMS = 0.97
_MANY_HOMONYMS = 0.8
# Times the rule's confidence, by where the client comes from.
_CLIENT_FACTOR = {"line": 1.0, "name": 0.98, "name_fuzzy": 0.95, "reference": 0.97}

_NAMING_RULES = ("reference", "reference_fuzzy", "partial")  # the label names the invoices
SEPA_LABEL_WIDTH = 140  # characters of remittance information a SEPA transfer carries
_MIN_FUZZY_DIGITS = 3  # shorter numbers are dates and counters, not invoice numbers
_MIN_NAME_CHARS = 5  # shorter payer names match too many clients by prefix

BANK_WORDS = frozenset(
    "VIR VIREMENT VIRT SEPA RECU EMIS INST REF REFERENCE REFS FAC FACT FACTURE FACTURES FA "  # noqa: SIM905
    "F INV INVOICE REGLEMENT REGLT RGLT REGL LCR ECH ECHEANCE PAIEMENT PMT PARTIEL ACOMPTE "
    "SOLDE N NO NUM NR E2E ID AU CPT COMPTE ORDRE MOTIF".split()
)
"""Words of bank labels that are not part of the payer's name."""

LEGAL_FORMS = frozenset(
    "SAS SASU SARL SA EURL SNC SCI SCOP SELARL GIE EI GMBH SRL SL BV AG LDA SPA NV "  # noqa: SIM905
    "LTD LLC INC STE SOCIETE ETS ETABLISSEMENTS CIE".split()
)
"""Legal forms and company words that banks drop or abbreviate: not used to match."""

_NAME_STOPWORDS = frozenset(("DE", "DU", "DES", "LA", "LE", "LES", "L", "D", "ET", "EN"))
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_NUMBERS = re.compile(r"\d+(?:[-.]\d+)*")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")
_NOT_DIGITS = re.compile(r"[^0-9]")


@dataclass(frozen=True)
class LettrageConfig:
    """How matches are proposed and which are applied without review.

    Attributes:
        auto_threshold: allocations with at least this confidence are applied.
        tolerance_cents: largest difference between the amount and what it settles that
            counts as bank fees or rounding (the invoice is then deemed settled).
        tolerance_ratio: the difference must also be at most this share of the amount
            settled (so that 5 € of fees do not settle a 20 € invoice paid 15 €).
        max_subset_size: largest number of invoices one amount-only payment may settle.
        max_candidates: open invoices of the client tried by the subset sum (those due
            nearest the line's date); bounds its cost, ``C(n, k)`` sums per line.
        max_name_clients: a payer name matching more clients than this identifies none.
        name_score_cutoff: lowest rapidfuzz ratio (0-100) for a misspelt payer name.
    """

    auto_threshold: float = 0.9
    tolerance_cents: int = 500
    tolerance_ratio: float = 0.05
    max_subset_size: int = 5
    max_candidates: int = 16
    max_name_clients: int = 50
    name_score_cutoff: float = 88.0

    def gap(self, cents: int) -> int:
        """Largest tolerated difference when settling ``cents``."""
        return min(self.tolerance_cents, int(self.tolerance_ratio * cents))

    def gaps(self, cents: IntArray) -> IntArray:
        """Largest tolerated difference when settling each of ``cents``."""
        return np.minimum(self.tolerance_cents, (self.tolerance_ratio * cents).astype(np.int64))


# --- text normalisation --------------------------------------------------------------


def plain_upper(text: str) -> str:
    """``"Société Générale"`` -> ``"SOCIETE GENERALE"``: upper case, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", text.upper())
    return decomposed.encode("ascii", "ignore").decode("ascii")


def invoice_key(text: str) -> str:
    """The digits of an invoice number, each run without its leading zeros.

    ``"F0000123"``, ``"FAC 123"`` and ``"INV-000123"`` all give ``"123"``;
    ``"FA-2024-00123"`` gives ``"2024123"``. Prefixes, separators and padding vary from
    payer to payer; the significant digits do not.
    """
    return _NOT_DIGITS.sub("", _LEADING_ZEROS.sub("", text))


def label_numbers(label: str) -> list[str]:
    """The numbers written in a label, runs joined by ``-`` or ``.`` kept whole, in order."""
    return _NUMBERS.findall(label)


def number_keys(number: str) -> list[str]:
    """Invoice keys a written number may stand for: itself, and each of its runs."""
    runs = re.split(r"[-.]", number)
    keys = [invoice_key(number)]
    if len(runs) > 1:
        keys.extend(invoice_key(r) for r in runs)
    return [k for k in dict.fromkeys(keys) if k]


def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a company name that identify it: no legal form, accent or article."""
    words = _NON_ALNUM.split(plain_upper(name))
    return tuple(w for w in words if w and w not in LEGAL_FORMS and w not in _NAME_STOPWORDS)


def label_name(label: str) -> tuple[str, ...]:
    """The payer's name in a bank label: its words once numbers and bank words are gone."""
    words = _NON_ALNUM.split(plain_upper(label))
    kept = [w for w in words if w and not any(c.isdigit() for c in w) and w not in BANK_WORDS]
    return name_tokens(" ".join(kept))


# --- open invoices -------------------------------------------------------------------


def open_items(ledger: Ledger, as_of: date) -> pd.DataFrame:
    """The invoices open at ``as_of``, net of the open credit notes that credit them.

    Columns ``invoice_id, client_id, currency, issue_date, due_date, open_cents``, only
    invoices with something left to pay. A client pays an invoice less its credit notes:
    the amount to recognise is the net one. Credit notes naming no invoice are left out.
    """
    frame = open_amounts(ledger, as_of)
    notes = frame[frame["doc_type"] == "credit_note"]
    credited = ledger.invoices.set_index("invoice_id")["credited_invoice_id"]
    target = notes["invoice_id"].map(credited)
    credits = notes["open_cents"].groupby(target.to_numpy()).sum()
    invoices = frame[frame["doc_type"] == "invoice"]
    net = invoices["open_cents"] + invoices["invoice_id"].map(credits).fillna(0).astype("int64")
    out = invoices.assign(open_cents=net.astype("int64"))[net > 0]
    columns = ["invoice_id", "client_id", "currency", "issue_date", "due_date", "open_cents"]
    return out[columns].reset_index(drop=True)


@dataclass
class _Book:
    """Open invoices as arrays, with the indexes the rules look up.

    ``capacity`` is what is still unallocated of each invoice; rules decrement it.
    """

    invoice_id: npt.NDArray[np.object_]
    client_id: npt.NDArray[np.object_]
    currency: IntArray  # codes of ``currencies``
    currencies: dict[str, int]
    issue_day: IntArray
    due_day: IntArray
    open_cents: IntArray
    capacity: IntArray
    lettered: npt.NDArray[np.bool_]  # part of it was matched by an earlier lettrage
    digits: list[str]  # every digit of the number, padding kept: for typos
    by_key: dict[str, int]
    by_shared_key: dict[str, list[int]]
    by_client: dict[str, IndexArray]
    _client_sets: dict[tuple[str, ...], IndexArray] = field(default_factory=dict)

    def rows_of_key(self, key: str) -> list[int]:
        """Rows whose invoice number has this key."""
        row = self.by_key.get(key)
        return [row] if row is not None else self.by_shared_key.get(key, [])

    def rows_of_clients(self, clients: tuple[str, ...]) -> IndexArray:
        """Rows of the clients' open invoices, oldest due date first."""
        if len(clients) == 1:
            return self.by_client.get(clients[0], np.empty(0, dtype=np.intp))
        rows = self._client_sets.get(clients)
        if rows is None:
            parts = [self.by_client[c] for c in clients if c in self.by_client]
            rows = np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
            rows = rows[np.argsort(self.due_day[rows], kind="stable")]
            self._client_sets[clients] = rows
        return rows


def _book(open_invoices: pd.DataFrame) -> _Book:
    """The open invoices with something left to pay, indexed by number and by client."""
    frame = open_invoices[open_invoices["open_cents"] > 0]
    ids = frame["invoice_id"].astype(str)
    keys = ids.str.replace(_LEADING_ZEROS, "", regex=True).str.replace(_NOT_DIGITS, "", regex=True)
    shared = keys.duplicated(keep=False).to_numpy() | (keys == "").to_numpy()
    positions = np.arange(len(frame))
    by_key = dict(zip(keys[~shared].tolist(), positions[~shared].tolist(), strict=True))
    by_shared_key: dict[str, list[int]] = {}
    for key, row in zip(keys[shared].tolist(), positions[shared].tolist(), strict=True):
        if key:
            by_shared_key.setdefault(key, []).append(row)

    clients = frame["client_id"].astype(str).to_numpy(dtype=object)
    due = day_numbers(frame["due_date"])
    codes, uniques = pd.factorize(clients)
    order = np.lexsort((due, codes))
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    by_client = {
        str(c): order[bounds[k] : bounds[k + 1]].astype(np.intp) for k, c in enumerate(uniques)
    }
    currency = frame.get("currency", pd.Series(DEFAULT_CURRENCY, index=frame.index))
    currency_codes, currencies = pd.factorize(currency.fillna(DEFAULT_CURRENCY).astype(str))
    return _Book(
        invoice_id=ids.to_numpy(dtype=object),
        client_id=clients,
        currency=np.asarray(currency_codes, dtype=np.int64),
        currencies={str(c): k for k, c in enumerate(currencies)},
        issue_day=day_numbers(frame["issue_date"]),
        due_day=due,
        open_cents=frame["open_cents"].to_numpy(dtype=np.int64),
        capacity=frame["open_cents"].to_numpy(dtype=np.int64).copy(),
        lettered=frame.get("lettered", pd.Series(False, index=frame.index))
        .fillna(False)
        .to_numpy(dtype=bool),
        digits=ids.str.replace(_NOT_DIGITS, "", regex=True).tolist(),
        by_key=by_key,
        by_shared_key=by_shared_key,
        by_client=by_client,
    )


# --- clients from names --------------------------------------------------------------


class _NameIndex:
    """Client names normalised, looked up exactly, by prefix, word by word, then fuzzily."""

    def __init__(self, clients: pd.DataFrame, config: LettrageConfig) -> None:
        self.config = config
        self.by_key: dict[str, list[str]] = {}
        self.words: dict[str, tuple[str, ...]] = {}
        names = clients["name"] if "name" in clients else pd.Series(None, index=clients.index)
        for client_id, name in zip(clients["client_id"].tolist(), names.tolist(), strict=True):
            if not isinstance(name, str):
                continue
            tokens = name_tokens(name)
            key = "".join(tokens)
            if key:
                self.by_key.setdefault(key, []).append(str(client_id))
                self.words[key] = tokens
        self.keys = sorted(self.by_key)
        self.by_first: dict[str, list[str]] = {}
        for key, tokens in self.words.items():
            self.by_first.setdefault(tokens[0], []).append(key)
        self.first_words = sorted(self.by_first)
        self._resolved: dict[tuple[str, ...], tuple[tuple[str, ...], str]] = {}

    def resolve(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        """The clients a payer name designates and how it was found (``name``, ...)."""
        found = self._resolved.get(words)
        if found is None:
            found = self._lookup(words)
            self._resolved[words] = found
        return found

    def _lookup(self, words: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
        key = "".join(words)
        if len(key) < 2:
            return (), ""
        if key in self.by_key:
            return self._clients([key], "name")
        if len(key) >= _MIN_NAME_CHARS:
            for keys in (self._prefixed(key), self._abbreviated(words), self._misspelt(key)):
                if keys:
                    return self._clients(keys, "name_fuzzy")
        return (), ""

    def _clients(self, keys: Iterable[str], source: str) -> tuple[tuple[str, ...], str]:
        clients = tuple(sorted({c for k in keys for c in self.by_key[k]}))
        if len(clients) > self.config.max_name_clients:
            return (), ""
        return clients, source

    def _prefixed(self, key: str) -> list[str]:
        """Names the key begins (a name truncated by the bank: ``DUPONTMARTINCONSTR``)."""
        start = bisect_left(self.keys, key)
        end = bisect_left(self.keys, key + "\x7f")
        return self.keys[start:end]

    def _abbreviated(self, words: tuple[str, ...]) -> list[str]:
        """Names whose words begin with the payer's words, in order (``CENTRE HOSP``)."""
        first = words[0]
        start = bisect_left(self.first_words, first)
        end = bisect_left(self.first_words, first + "\x7f")
        return [
            key
            for head in self.first_words[start:end]
            for key in self.by_first[head]
            if len(self.words[key]) >= len(words)
            and all(w.startswith(p) for w, p in zip(self.words[key], words, strict=False))
        ]

    def _misspelt(self, key: str) -> list[str]:
        """The names nearest a misspelt one, ties included, above the score cutoff."""
        found = process.extract(
            key, self.keys, scorer=fuzz.ratio, score_cutoff=self.config.name_score_cutoff, limit=5
        )
        if not found:
            return []
        best = found[0][1]
        return [choice for choice, score, _ in found if score == best]


# --- the lines -----------------------------------------------------------------------


@dataclass
class _Lines:
    """Bank lines as arrays, with their client candidates and the numbers in their labels."""

    line_id: list[str]
    day: IntArray
    amount: IntArray
    remaining: IntArray
    currency: IntArray  # codes of the book's currencies, -1 for one it does not hold
    clients: list[tuple[str, ...]]
    client_from: list[str]
    numbers: list[list[str]]
    settled: npt.NDArray[np.bool_]
    named: npt.NDArray[np.bool_]  # the label names invoices left unallocated


def _complete_numbers(label: str) -> list[str]:
    """The numbers of a label, less a last one the bank may have cut at the label's width."""
    numbers = label_numbers(label)
    if numbers and len(label) >= SEPA_LABEL_WIDTH and label[-1].isdigit():
        numbers.pop()
    return numbers


def _lines(
    lines: pd.DataFrame, known: set[str], names: _NameIndex, currencies: dict[str, int]
) -> _Lines:
    """The lines with their client (given, or from the payer's name) and label numbers."""
    labels = lines["label"].fillna("").astype(str).tolist()
    given = lines["client_id"] if "client_id" in lines else pd.Series(None, index=lines.index)
    currency = lines.get("currency", pd.Series(DEFAULT_CURRENCY, index=lines.index))
    clients: list[tuple[str, ...]] = []
    client_from: list[str] = []
    for label, client in zip(labels, given.tolist(), strict=True):
        if isinstance(client, str) and client in known:
            clients.append((client,))
            client_from.append("line")
        else:
            found, source = names.resolve(label_name(label))
            clients.append(found)
            client_from.append(source)
    amount = lines["amount_cents"].to_numpy(dtype=np.int64)
    n = len(lines)
    return _Lines(
        line_id=lines["line_id"].astype(str).tolist(),
        day=day_numbers(lines["date"]),
        amount=amount,
        remaining=amount.copy(),
        currency=np.array(
            [currencies.get(c, -1) for c in currency.fillna(DEFAULT_CURRENCY).astype(str)],
            dtype=np.int64,
        ),
        clients=clients,
        client_from=client_from,
        numbers=[_complete_numbers(label) for label in labels],
        settled=np.zeros(n, dtype=bool),
        named=np.zeros(n, dtype=bool),
    )


# --- subsets -------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _combinations(n: int, k: int) -> IndexArray:
    """Every k-subset of ``range(n)``, one per row."""
    combos = np.fromiter(
        itertools.chain.from_iterable(itertools.combinations(range(n), k)), dtype=np.intp
    )
    return combos.reshape(-1, k)


def settling_subsets(
    amounts: IntArray, target: int, sizes: range, config: LettrageConfig
) -> tuple[list[IndexArray], bool]:
    """The subsets of ``amounts`` that settle ``target``, and whether they do so exactly.

    Exact subsets if there are any, else those within the tolerance of their total.
    """
    exact: list[IndexArray] = []
    near: list[IndexArray] = []
    for k in sizes:
        if k > len(amounts):
            break
        combos = _combinations(len(amounts), k)
        totals = amounts[combos].sum(axis=1)
        exact.extend(combos[totals == target])
        if not exact:
            near.extend(combos[np.abs(totals - target) <= config.gaps(totals)])
    return (exact, True) if exact else (near, False)


# --- the rules -----------------------------------------------------------------------


@dataclass
class _Group:
    """Allocations one rule proposes for one line, accepted or clipped together."""

    line: int
    rows: list[int]
    amounts: list[int]
    rule: str
    confidence: float
    client_from: str
    settles: bool = True  # the line is settled once these are allocated (tolerance used)
    touched: bool = False  # other lines took part of these invoices first


class _Matcher:
    """Runs the rules over the lines, keeping what is left of each line and invoice."""

    def __init__(self, book: _Book, lines: _Lines, config: LettrageConfig) -> None:
        self.book = book
        self.lines = lines
        self.config = config
        self.accepted: list[tuple[int, int, int, str, float, str]] = []

    # -- bookkeeping --

    def open_lines(self, with_client: bool = False) -> list[int]:
        """Lines with something left to allocate (and candidate clients)."""
        open_ = (self.lines.remaining > 0) & ~self.lines.settled
        found = np.flatnonzero(open_).tolist()
        return [i for i in found if self.lines.clients[i]] if with_client else found

    def candidates(self, i: int) -> IndexArray:
        """Open invoices of line ``i``'s clients it may pay: issued by then, same currency."""
        rows = self.book.rows_of_clients(self.lines.clients[i])
        if not len(rows):
            return rows
        ok = (
            (self.book.capacity[rows] > 0)
            & (self.book.issue_day[rows] <= self.lines.day[i])
            & (self.book.currency[rows] == self.lines.currency[i])
        )
        return rows[ok]

    def touched(self, rows: IndexArray) -> bool:
        """Whether lettrage placed part of these invoices already, in this run or before.

        What other lines left of an invoice is what they paid in total less what
        lettrage allocated them: an amount equal to it is no evidence by itself.
        """
        book = self.book
        return bool(((book.capacity[rows] < book.open_cents[rows]) | book.lettered[rows]).any())

    def accept(self, groups: list[_Group], min_confidence: float, clip: bool) -> None:
        """Allocate the groups, most confident first, within what lines and invoices have left.

        Groups below ``min_confidence`` wait for a later pass. A group that no longer fits
        whole waits too, or with ``clip`` is cut to what is left and demoted to review.
        """
        cap, rem = self.book.capacity, self.lines.remaining
        for g in sorted(groups, key=lambda g: -g.confidence):
            if g.confidence < min_confidence:
                if g.rule in _NAMING_RULES:
                    self.lines.named[g.line] = True
                continue
            fits = sum(g.amounts) <= rem[g.line] and all(
                a <= cap[r] for r, a in zip(g.rows, g.amounts, strict=True)
            )
            if not fits and not clip:
                continue
            confidence = g.confidence if fits else min(g.confidence, _CONFLICT)
            for row, amount in zip(g.rows, g.amounts, strict=True):
                take = min(amount, int(cap[row]), int(rem[g.line]))
                if take <= 0:
                    continue
                cap[row] -= take
                rem[g.line] -= take
                self.accepted.append((g.line, row, take, g.rule, confidence, g.client_from))
            self.lines.settled[g.line] |= g.settles and fits
            # What is left of a line after invoices others had started on is an artefact
            # of the other lines' amounts: amounts alone cannot place it.
            self.lines.named[g.line] |= g.touched or not fits

    def proposals(self) -> pd.DataFrame:
        """The accepted allocations as a frame, one row per (line, invoice), in line order."""
        merged: dict[tuple[int, int], tuple[int, str, float, str]] = {}
        for line, row, take, rule, confidence, source in self.accepted:
            seen = merged.get((line, row))
            if seen is not None:  # the same pair again in the review pass: one proposal
                take, confidence = take + seen[0], min(confidence, seen[2])
                rule, source = seen[1], seen[3]
            merged[(line, row)] = (take, rule, confidence, source)
        keys = sorted(merged, key=lambda k: (k[0], int(self.book.due_day[k[1]]), k[1]))
        values = [merged[k] for k in keys]
        return pd.DataFrame(
            {
                "line_id": pd.Series([self.lines.line_id[k[0]] for k in keys], dtype=object),
                "invoice_id": pd.Series([self.book.invoice_id[k[1]] for k in keys], dtype=object),
                "client_id": pd.Series([self.book.client_id[k[1]] for k in keys], dtype=object),
                "amount_cents": pd.Series([v[0] for v in values], dtype="int64"),
                "rule": pd.Series([v[1] for v in values], dtype=object),
                "confidence": pd.Series([round(v[2], 4) for v in values], dtype="float64"),
                "client_from": pd.Series([v[3] for v in values], dtype=object),
            },
            columns=list(PROPOSAL_COLUMNS),
        )

    def client_factor(self, i: int) -> float:
        """How much the client of line ``i`` is trusted, for a rule's confidence."""
        return _CLIENT_FACTOR[self.lines.client_from[i]]

    def amounts_factor(self, i: int, wide: bool = False) -> float:
        """The client factor of rules on amounts alone.

        Amounts alone are worth less on a line whose label names invoices they could not
        be placed on. A ``wide`` search (within the tolerance) finds coincidences among
        the invoices of a name shared by several clients: measured on simulated
        statements, exact amounts stay reliable there, near ones do not.
        """
        factor = self.client_factor(i) * (_NAMED_ELSEWHERE if self.lines.named[i] else 1.0)
        clients = len(self.lines.clients[i])
        if wide and clients > 1:
            factor *= _FEW_HOMONYMS if clients <= _FEW else _MANY_HOMONYMS
        return factor

    # -- settling a set of named invoices --

    def settle(self, i: int, rows: IndexArray, rules: _Confidences, source: str) -> _Group | None:
        """A group for invoices named in line ``i``'s label, by how the amount fits them.

        ``source`` says where their client comes from (see :data:`CLIENT_SOURCES`).
        """
        rule, exact, tolerant, subset, overpaid = rules
        factor = _CLIENT_FACTOR[source]
        target = int(self.lines.remaining[i])
        caps = self.book.capacity[rows]
        total = int(caps.sum())
        touched = self.touched(rows)
        if total == target:
            return _group(i, rows, caps, rule, exact * factor, source, False, touched)
        if abs(total - target) <= self.config.gap(total):
            amounts = _fitted(caps, target)
            return _group(i, rows, amounts, rule, tolerant * factor, source, True, touched)
        if total < target:
            return _group(i, rows, caps, rule, overpaid * factor, source, False, touched)
        if len(rows) > 1:
            sizes = range(1, min(len(rows) - 1, self.config.max_subset_size) + 1)
            found, is_exact = settling_subsets(caps, target, sizes, self.config)
            if len(found) == 1:
                pick = rows[found[0]]
                amounts = _fitted(self.book.capacity[pick], target)
                conf = (subset if is_exact else tolerant * 0.95) * factor
                return _group(i, pick, amounts, rule, conf, source, not is_exact, touched)
        return None

    def spread(self, i: int, rows: IndexArray, rule: str, single: float) -> _Group:
        """The line's amount spread over the named invoices, oldest due date first."""
        target = int(self.lines.remaining[i])
        caps = self.book.capacity[rows]
        before = np.concatenate([[0], np.cumsum(caps)[:-1]])
        amounts = np.clip(target - before, 0, caps)
        keep = amounts > 0
        split = _PARTIAL_SPLIT if keep.all() else _PARTIAL_SHORT
        source = self.lines.client_from[i]
        confidence = (single if len(rows) == 1 else split) * _CLIENT_FACTOR[source]
        touched = self.touched(rows)
        return _group(i, rows[keep], amounts[keep], rule, confidence, source, False, touched)

    # -- rule 1: invoice numbers --

    def references(self) -> list[_Group]:
        """Groups for the invoice numbers found in the labels."""
        found = (self._reference(i) for i in self.open_lines())
        return [g for g in found if g is not None]

    def _hits(self, i: int) -> IndexArray:
        """Open invoices whose number is in line ``i``'s label, usable by the line."""
        day, currency = self.lines.day[i], self.lines.currency[i]
        book = self.book
        found = dict.fromkeys(
            row
            for number in self.lines.numbers[i]
            for key in number_keys(number)
            for row in book.rows_of_key(key)
            if book.capacity[row] > 0
            and book.issue_day[row] <= day
            and book.currency[row] == currency
        )
        rows = np.fromiter(found, dtype=np.intp, count=len(found))
        return rows[np.argsort(book.due_day[rows], kind="stable")]

    def _reference(self, i: int) -> _Group | None:
        hits = self._hits(i)
        if not len(hits):
            return None
        clients = self.lines.clients[i]
        client_of = self.book.client_id
        own = np.array([h for h in hits if client_of[h] in clients], dtype=np.intp)
        rules = _REFERENCE_RULES
        if len(own):
            group = self.settle(i, own, rules, self.lines.client_from[i]) or self._typo_settling(i)
            return group or self.spread(i, own, "partial", _PARTIAL)
        # No client, or the numbers are another client's: only an amount that settles
        # the numbers of one client identifies the invoices.
        settling = []
        for client in dict.fromkeys(client_of[hits]):
            group = self.settle(i, hits[client_of[hits] == client], rules, "reference")
            total = sum(group.amounts) if group else 0
            if group and abs(total - int(self.lines.remaining[i])) <= self.config.gap(total):
                settling.append(group)
        if len(settling) != 1:
            return None
        if self.lines.client_from[i] == "line":
            settling[0].confidence = _REFERENCE_OTHER_CLIENT
        return settling[0]

    # -- rule 2: invoice numbers with a typo --

    def fuzzy_references(self) -> list[_Group]:
        """Groups for numbers one typo away from a number of the client's open invoices."""
        groups = []
        for i in self.open_lines(with_client=True):
            rows = self._near_misses(i)
            if not len(rows):
                continue
            group = self.settle(i, rows, _FUZZY_RULES, self.lines.client_from[i])
            if group is None and len(rows) == 1:
                group = self.spread(i, rows, "reference_fuzzy", _FUZZY_PARTIAL)
            if group is not None:
                groups.append(group)
        return groups

    def _near_misses(self, i: int) -> IndexArray:
        """Invoices of the line's clients each one typo from one number of the label.

        A number one typo from several invoices (numbers run in sequence) names none.
        """
        rows = self.candidates(i)
        if not len(rows):
            return rows
        digits = [self.book.digits[r] for r in rows]
        found: list[int] = []
        for number in self.lines.numbers[i]:
            written = _NOT_DIGITS.sub("", number)
            if len(written) < _MIN_FUZZY_DIGITS or self._is_invoice_number(i, number):
                continue
            near = [k for k, stored in enumerate(digits) if _one_typo(written, stored)]
            if len(near) == 1:
                found.append(int(rows[near[0]]))
        return np.array(sorted(set(found), key=found.index), dtype=np.intp)

    def _typo_settling(self, i: int) -> _Group | None:
        """The one invoice a typo away from a number of the label paid exactly by the amount.

        A number naming an invoice the amount does not settle may be a typo landing on
        the client's next invoice: a neighbour the amount pays to the cent is the
        likelier reading than a partial payment.
        """
        rows = self.candidates(i)
        target = int(self.lines.remaining[i])
        caps = self.book.capacity[rows]
        rows = rows[caps == target]
        found = {
            int(row)
            for number in self.lines.numbers[i]
            if len(written := _NOT_DIGITS.sub("", number)) >= _MIN_FUZZY_DIGITS
            for row in rows
            if _one_typo(written, self.book.digits[row])
        }
        if len(found) != 1:
            return None
        rows = np.array(sorted(found), dtype=np.intp)
        return self.settle(i, rows, _FUZZY_RULES, self.lines.client_from[i])

    def _is_invoice_number(self, i: int, number: str) -> bool:
        """Whether ``number`` is exactly an invoice's number, so no typo.

        Any invoice of the line's clients, even one already allocated: their other
        numbers, often consecutive, are one digit away. When the client is only guessed
        from the name, any client's invoice: the guess may be the wrong client.
        """
        clients = self.lines.clients[i]
        trusted = self.lines.client_from[i] == "line"
        return any(
            not trusted or self.book.client_id[row] in clients
            for key in number_keys(number)
            for row in self.book.rows_of_key(key)
        )

    # -- rules 3 to 5: amounts alone --

    def exact_amounts(self) -> list[_Group]:
        """Groups for the one open invoice of the client with the line's amount."""
        found = (self._exact_amount(i) for i in self.open_lines(with_client=True))
        return [g for g in found if g is not None]

    def _exact_amount(self, i: int) -> _Group | None:
        rows = self.candidates(i)
        target = int(self.lines.remaining[i])
        exact = rows[self.book.capacity[rows] == target]
        if not len(exact):
            return None
        pick = exact[:1]
        touched = self.touched(pick)
        base = _EXACT_AMOUNT if len(exact) == 1 and not touched else _AMBIGUOUS
        conf = base * self.amounts_factor(i)
        source = self.lines.client_from[i]
        return _group(i, pick, np.array([target]), "exact_amount", conf, source, False, touched)

    def subsets(self) -> list[_Group]:
        """Groups for the one set of a client's open invoices summing to the line's amount."""
        found = (self._subset(i) for i in self.open_lines(with_client=True))
        return [g for g in found if g is not None]

    def _subset(self, i: int) -> _Group | None:
        """The subset sum, client by client: one transfer pays one client's invoices."""
        target = int(self.lines.remaining[i])
        rows = self.candidates(i)
        rows = rows[self.book.capacity[rows] <= target + self.config.tolerance_cents]
        found: list[IndexArray] = []
        exact = False
        client_of = self.book.client_id[rows]
        for client in dict.fromkeys(client_of):
            mine = rows[client_of == client]
            reachable = int(self.book.capacity[mine].sum()) >= target - self.config.gap(target)
            if len(mine) < 2 or not reachable:
                continue
            mine = self._nearest(i, mine)
            sizes = range(2, self.config.max_subset_size + 1)
            caps = self.book.capacity[mine]
            subsets, is_exact = settling_subsets(caps, target, sizes, self.config)
            if subsets and is_exact and not exact:
                found, exact = [], True  # exact sums of one client beat near ones of another
            if subsets and is_exact == exact:
                found.extend(mine[s] for s in subsets)
        if not found:
            return None
        pick = found[0]
        touched = self.touched(pick)
        unique = len(found) == 1 and not touched
        base = (_SUBSET if exact else _SUBSET_TOLERANCE) if unique else _AMBIGUOUS
        conf = base * self.amounts_factor(i)
        amounts = _fitted(self.book.capacity[pick], target)
        source = self.lines.client_from[i]
        return _group(i, pick, amounts, "subset_sum", conf, source, not exact, touched)

    def _nearest(self, i: int, rows: IndexArray) -> IndexArray:
        """The ``max_candidates`` invoices due nearest the line's date, oldest first."""
        if len(rows) > self.config.max_candidates:
            distance = np.abs(self.book.due_day[rows] - self.lines.day[i])
            rows = rows[np.sort(np.argsort(distance, kind="stable")[: self.config.max_candidates])]
        return rows

    def tolerances(self) -> list[_Group]:
        """Groups for the one open invoice of the client within the tolerance of the amount."""
        found = (self._tolerance(i) for i in self.open_lines(with_client=True))
        return [g for g in found if g is not None]

    def _tolerance(self, i: int) -> _Group | None:
        rows = self.candidates(i)
        target = int(self.lines.remaining[i])
        caps = self.book.capacity[rows]
        diff = np.abs(caps - target)
        near = np.flatnonzero(diff <= self.config.gaps(caps))
        if not len(near):
            return None
        pick = rows[near[np.argmin(diff[near])]][None]
        touched = self.touched(pick)
        base = _TOLERANCE if len(near) == 1 and not touched else _AMBIGUOUS
        conf = base * self.amounts_factor(i, wide=True)
        amount = np.array([min(int(self.book.capacity[pick[0]]), target)])
        source = self.lines.client_from[i]
        return _group(i, pick, amount, "tolerance", conf, source, True, touched)


def _group(
    line: int,
    rows: IndexArray,
    amounts: IntArray,
    rule: str,
    confidence: float,
    source: str,
    settles: bool,
    touched: bool,
) -> _Group:
    return _Group(
        line=line,
        rows=[int(r) for r in rows],
        amounts=[int(a) for a in amounts],
        rule=rule,
        confidence=confidence,
        client_from=source,
        settles=settles,
        touched=touched,
    )


def _fitted(caps: IntArray, target: int) -> IntArray:
    """Open amounts, the last ones cut so that together they do not exceed ``target``."""
    after = np.cumsum(caps[::-1])[::-1] - caps  # open amounts of the invoices after each
    excess = max(int(caps.sum()) - target, 0)
    return caps - np.clip(excess - after, 0, caps)


def _one_typo(written: str, stored: str) -> bool:
    """Whether two digit strings differ by one typo, padding zeros aside."""
    a, b = written.lstrip("0"), stored.lstrip("0")
    if a == b:
        return False  # the same number: an exact match, not a typo
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return True
    width = max(len(written), len(stored))
    return bool(OSA.distance(written.zfill(width), stored.zfill(width), score_cutoff=1) <= 1)


def propose_matches(
    lines: pd.DataFrame,
    open_invoices: pd.DataFrame,
    clients: pd.DataFrame,
    config: LettrageConfig | None = None,
) -> pd.DataFrame:
    """Proposed allocations of bank lines to open invoices, each with its rule and confidence.

    Args:
        lines: ``line_id, date, amount_cents, label`` and optionally ``client_id`` (None
            when the bank does not give it) and ``currency`` (default EUR).
        open_invoices: ``invoice_id, client_id, open_cents, issue_date, due_date`` and
            optionally ``currency`` (as :func:`open_items` gives them) and ``lettered``
            (True when lettrage matched part of the invoice before: what is left of it
            is then no evidence for amount-only rules, as within a run).
        clients: ``client_id, name``: to find the client of lines that do not give it.
        config: thresholds and bounds; the defaults when None.

    Returns:
        One row per allocation: ``line_id, invoice_id, client_id, amount_cents, rule,
        confidence, client_from`` (see :data:`RULES` and :data:`CLIENT_SOURCES`), in the
        lines' order. Lines nothing was found for have no row.
    """
    config = config or LettrageConfig()
    book = _book(open_invoices)
    names = _NameIndex(clients, config)
    known = set(clients["client_id"].astype(str))
    matcher = _Matcher(book, _lines(lines, known, names, book.currencies), config)
    rules = (
        matcher.references,
        matcher.fuzzy_references,
        matcher.exact_amounts,
        matcher.subsets,
        matcher.tolerances,
    )
    # First what is applied automatically, then what is left, for review.
    for min_confidence, clip in ((config.auto_threshold, False), (0.0, True)):
        for rule in rules:
            matcher.accept(rule(), min_confidence, clip)
    return matcher.proposals()
