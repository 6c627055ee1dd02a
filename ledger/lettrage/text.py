"""Bank labels and names read for lettrage: invoice numbers, payer names, clients from names."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable

import pandas as pd
from rapidfuzz import fuzz, process

from ledger.lettrage.rules import _MIN_NAME_CHARS, LettrageConfig

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
