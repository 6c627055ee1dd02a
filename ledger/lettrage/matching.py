"""The rules applied line by line, and the greedy allocation of lines to invoices.

Each rule proposes groups (a line, the invoices it pays, a confidence); :class:`_Matcher`
accepts them most confident first, never allocating a line more than its amount nor an
invoice more than its open amount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA

from ledger.lettrage.candidates import _Book, _Lines, settling_subsets
from ledger.lettrage.rules import (
    _AMBIGUOUS,
    _CLIENT_FACTOR,
    _CONFLICT,
    _EXACT_AMOUNT,
    _FEW,
    _FEW_HOMONYMS,
    _FUZZY_PARTIAL,
    _FUZZY_RULES,
    _MANY_HOMONYMS,
    _MIN_FUZZY_DIGITS,
    _NAMED_ELSEWHERE,
    _NAMING_RULES,
    _PARTIAL,
    _PARTIAL_SHORT,
    _PARTIAL_SPLIT,
    _REFERENCE_OTHER_CLIENT,
    _REFERENCE_RULES,
    _SUBSET,
    _SUBSET_TOLERANCE,
    _TOLERANCE,
    PROPOSAL_COLUMNS,
    IndexArray,
    IntArray,
    LettrageConfig,
    _Confidences,
)
from ledger.lettrage.text import _NOT_DIGITS, number_keys

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
