"""A simulated bank statement: a simulated ledger's payments as a bank prints them.

It turns the payments of a period of a simulated ledger into the lines a bank would
print, with the noise lettrage must get through (all deterministic for a seed):

- **grouped transfers**: a client paying several invoices on one day usually sends one
  transfer for all of them (the label lists their numbers until it is full, 140
  characters as in SEPA remittance information);
- **references** written each payer's way: ``F0000123``, ``F 0000123``, ``FAC 123``,
  ``FACT0000123``, ``INV-0000123``, ``123``; sometimes one digit wrong (substituted,
  dropped, doubled, two swapped); sometimes no reference at all;
- **payer names** as the bank spells them: upper case, no accents, legal form (SAS,
  SARL...) often dropped, hyphens dropped or kept, long words abbreviated, truncated;
- **other numbers** in labels: a date, a bank transaction id;
- **amounts**: bank fees taken off some transfers (foreign payers mostly), rounding to
  the euro;
- **client ids** known for some lines only (``client_known_rate``).

The truth stays apart: ``(line_id, invoice_id, amount_cents)`` for every payment of
every line. The statement comes with the ledger as it stood before lettrage: the
period's payments removed and its settlements not yet known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ledger.bank_statement import BANK_LINE_COLUMNS
from ledger.contract import DEFAULT_CURRENCY, Ledger
from ledger.lettrage import LettrageConfig, plain_upper
from simulator import Simulation

_ID_PATTERN = re.compile(r"^([A-Za-z]*)[-_ ]?(\d+)$")


@dataclass(frozen=True)
class StatementConfig:
    """How noisy the simulated statement is; rates are shares of lines unless stated.

    Attributes:
        seed: random seed; the same ledger and config give the same statement.
        client_known_rate: lines whose client id is given.
        group_rate: share of (client, day) with several payments sent as one transfer.
        max_group_size: most invoices one transfer pays (bigger runs are split).
        no_reference_rate: lines whose label names no invoice.
        typo_rate: lines with one digit wrong in one of their invoice numbers.
        fee_rate_domestic: transfers from French clients with bank fees taken off.
        fee_rate_foreign: the same from foreign clients.
        max_fee_cents: largest fee (drawn uniformly from 1 € up to it).
        rounding_rate: transfers rounded down to the euro.
        other_numbers_rate: labels also carrying a date or a bank transaction id.
        label_width: characters the bank keeps of a label.
    """

    seed: int = 7
    client_known_rate: float = 0.6
    group_rate: float = 0.8
    max_group_size: int = 12
    no_reference_rate: float = 0.06
    typo_rate: float = 0.06
    fee_rate_domestic: float = 0.02
    fee_rate_foreign: float = 0.3
    max_fee_cents: int = 700
    rounding_rate: float = 0.02
    other_numbers_rate: float = 0.15
    label_width: int = 140


@dataclass
class BankStatement:
    """A simulated statement, the truth about it and the ledger it is matched against.

    Attributes:
        lines: one row per transfer, :data:`BANK_LINE_COLUMNS`.
        truth: ``line_id, invoice_id, amount_cents``: what each line really paid.
        ledger: the ledger before lettrage: the statement's payments are not in it and the
            invoices they settled are still open.
        as_of: the statement's last day.
    """

    lines: pd.DataFrame
    truth: pd.DataFrame
    ledger: Ledger
    as_of: pd.Timestamp

    def true_matches(self) -> dict[str, list[tuple[str, int]]]:
        """``line_id -> [(invoice_id, amount_cents), ...]``."""
        out: dict[str, list[tuple[str, int]]] = {}
        for line, invoice, cents in self.truth.itertuples(index=False):
            out.setdefault(str(line), []).append((str(invoice), int(cents)))
        return out


# --- simulating a statement ----------------------------------------------------------


def simulate_statement(
    sim: Simulation, since: date | None = None, config: StatementConfig | None = None
) -> BankStatement:
    """The bank statement of ``sim``'s payments from ``since`` (default: last 30 days)."""
    end = sim.end.date()
    return statement_from_ledger(sim.ledger, end, since, config)


def statement_from_ledger(
    ledger: Ledger,
    end: date,
    since: date | None = None,
    config: StatementConfig | None = None,
) -> BankStatement:
    """The bank statement of the matched payments of ``ledger`` dated ``since`` .. ``end``."""
    config = config or StatementConfig()
    since = since or (pd.Timestamp(end) - pd.Timedelta(days=29)).date()
    rng = np.random.default_rng(config.seed)
    payments = _statement_payments(ledger, since, end)
    line_of = _transfers(payments, rng, config)
    truth = _truth(payments, line_of)
    lines = _lines(payments, line_of, ledger.clients, rng, config)
    return BankStatement(
        lines=lines,
        truth=truth,
        ledger=ledger_before(ledger, payments["payment_id"], since),
        as_of=pd.Timestamp(end).as_unit("ns"),
    )


def _statement_payments(ledger: Ledger, since: date, end: date) -> pd.DataFrame:
    """The matched payments of the period, by client, day and invoice."""
    p = ledger.payments
    day = p["payment_date"]
    keep = (day >= pd.Timestamp(since)) & (day <= pd.Timestamp(end)) & p["invoice_id"].notna()
    columns = ["payment_id", "client_id", "payment_date", "amount_cents", "invoice_id"]
    out = p.loc[keep, columns].sort_values(["payment_date", "client_id", "invoice_id"])
    return out.reset_index(drop=True)


def _transfers(
    payments: pd.DataFrame, rng: np.random.Generator, config: StatementConfig
) -> np.ndarray:
    """The line number of each payment: a client's payments of one day grouped, mostly."""
    keys = payments["client_id"].astype(str) + "|" + payments["payment_date"].astype(str)
    group, _ = pd.factorize(keys)
    grouped = rng.random(int(group.max()) + 1 if len(group) else 0) < config.group_rate
    position = pd.Series(group).groupby(group).cumcount().to_numpy()
    chunk = np.where(grouped[group], position // config.max_group_size, position)
    line, _ = pd.factorize(pd.Series(group).astype(str) + "-" + pd.Series(chunk).astype(str))
    return np.asarray(line, dtype=np.int64)


def _line_ids(count: int) -> pd.Series:
    width = max(6, len(str(count)))
    return "L" + pd.Series(np.arange(1, count + 1)).astype(str).str.zfill(width)


def _truth(payments: pd.DataFrame, line_of: np.ndarray) -> pd.DataFrame:
    """What each line paid, one row per (line, invoice)."""
    ids = _line_ids(int(line_of.max()) + 1 if len(line_of) else 0)
    frame = pd.DataFrame(
        {
            "line_id": ids.to_numpy(dtype=object)[line_of],
            "invoice_id": payments["invoice_id"].astype(str).to_numpy(dtype=object),
            "amount_cents": payments["amount_cents"].to_numpy(dtype=np.int64),
        }
    )
    totals = frame.groupby(["line_id", "invoice_id"], sort=True)["amount_cents"].sum()
    return totals.reset_index()


def _lines(
    payments: pd.DataFrame,
    line_of: np.ndarray,
    clients: pd.DataFrame,
    rng: np.random.Generator,
    config: StatementConfig,
) -> pd.DataFrame:
    """One bank line per transfer: the amount as credited, the label as printed."""
    n = int(line_of.max()) + 1 if len(line_of) else 0
    first = np.unique(line_of, return_index=True)[1]
    client = payments["client_id"].astype(str).to_numpy(dtype=object)[first]
    day = payments["payment_date"].to_numpy()[first]
    paid = payments["amount_cents"].groupby(line_of).sum().to_numpy(dtype=np.int64)
    country = clients.set_index("client_id")["country"].reindex(client).to_numpy(dtype=object)
    amount = _credited(paid, country != "FR", rng, config)
    invoices: list[list[str]] = [[] for _ in range(n)]
    for line, invoice in zip(line_of.tolist(), payments["invoice_id"].astype(str), strict=True):
        if invoice not in invoices[line]:
            invoices[line].append(invoice)
    spelling = _bank_names(clients, rng)
    labels = _labels(invoices, [spelling.get(c, "") for c in client], day, rng, config)
    known = rng.random(n) < config.client_known_rate
    return pd.DataFrame(
        {
            "line_id": _line_ids(n).to_numpy(dtype=object),
            "date": pd.Series(day, dtype="datetime64[ns]"),
            "amount_cents": amount,
            "label": pd.Series(labels, dtype=object),
            "client_id": [c if k else None for c, k in zip(client, known, strict=True)],
            "currency": DEFAULT_CURRENCY,
        },
        columns=list(BANK_LINE_COLUMNS),
    )


def _credited(
    paid: np.ndarray, foreign: np.ndarray, rng: np.random.Generator, config: StatementConfig
) -> np.ndarray:
    """The amounts credited: some less bank fees, some rounded down to the euro."""
    n = len(paid)
    fee_rate = np.where(foreign, config.fee_rate_foreign, config.fee_rate_domestic)
    fee = np.where(rng.random(n) < fee_rate, rng.integers(100, config.max_fee_cents + 1, n), 0)
    rounded = rng.random(n) < config.rounding_rate
    amount = np.where(rounded, paid // 100 * 100, paid) - fee
    return np.maximum(amount, 1).astype(np.int64)


# --- labels --------------------------------------------------------------------------

_NAME_FORMATS = (
    "VIR SEPA {name} REF {refs}",
    "VIR {name} {refs}",
    "VIREMENT DE {name} FACTURE {refs}",
    "{name} REGLEMENT {refs}",
    "LCR ECH {refs}",
    "VIR SEPA {refs} {name}",
)
_NAME_FORMAT_P = (0.35, 0.2, 0.15, 0.1, 0.1, 0.1)
_NO_REFERENCE_FORMATS = ("VIR SEPA {name}", "VIR {name} REGLEMENT", "VIREMENT {name}")
_PREFIXES = ("FAC ", "FACT", "FACT ", "INV-", "FA", "N ")
_SEPARATORS = (" ", "/", ", ", " + ")
_LEGAL_WORDS = frozenset(("SAS", "SARL", "SA", "SRL", "GMBH", "SL", "BV", "LDA", "AG"))


def _bank_names(clients: pd.DataFrame, rng: np.random.Generator) -> dict[str, str]:
    """Each client's name as its bank prints it: the same on every transfer."""
    ids = clients["client_id"].astype(str).tolist()
    names = clients["name"].fillna("").astype(str).tolist()
    draws = rng.random((len(ids), 5))
    return {c: _bank_name(name, d) for c, name, d in zip(ids, names, draws, strict=True)}


def _bank_name(name: str, u: np.ndarray) -> str:
    """A name upper-cased, legal form often dropped, hyphens and long words shortened."""
    words = plain_upper(name).replace("'", " ").split()
    if u[0] < 0.6:
        words = [w for w in words if w not in _LEGAL_WORDS]
    hyphen = " " if u[1] < 0.5 else ("" if u[1] < 0.7 else "-")
    words = [w.replace("-", hyphen) for w in words]
    long = [k for k, w in enumerate(words) if len(w) >= 8]
    if long and u[2] < 0.2:
        k = long[int(u[3] * len(long))]
        words[k] = words[k][: 4 + int(u[3] * 3)]
    text = " ".join(words)
    return text[: 18 + int(u[4] * 10)].strip() if u[4] < 0.25 else text


def _written(invoice_id: str, style: int, prefix: str) -> str:
    """An invoice number as a payer writes it, in one of six styles."""
    match = _ID_PATTERN.match(invoice_id)
    if not match:
        return invoice_id
    letters, digits = match.groups()
    bare = digits.lstrip("0") or "0"
    return (
        invoice_id,
        f"{letters} {digits}",
        bare,
        f"{letters}{bare}",
        f"{prefix}{digits}",
        f"{prefix.strip()} {bare}",
    )[style]


def _typo(text: str, u: np.ndarray) -> str:
    """``text`` with one of its digits substituted, dropped, doubled or swapped."""
    positions = [k for k, c in enumerate(text) if c.isdigit()]
    if len(positions) < 2:
        return text
    k = positions[int(u[0] * len(positions))]
    kind = int(u[1] * 4)
    if kind == 0:
        other = str((int(text[k]) + 1 + int(u[2] * 9)) % 10)
        return text[:k] + other + text[k + 1 :]
    if kind == 1:
        return text[:k] + text[k + 1 :]
    if kind == 2:
        return text[:k] + text[k] + text[k:]
    j = positions[positions.index(k) - 1] if k != positions[0] else positions[1]
    a, b = sorted((k, j))
    return text[:a] + text[b] + text[a + 1 : b] + text[a] + text[b + 1 :]


def _labels(
    invoices: list[list[str]],
    names: list[str],
    day: np.ndarray,
    rng: np.random.Generator,
    config: StatementConfig,
) -> list[str]:
    """The label of each line, from its invoices and the payer's name."""
    n = len(invoices)
    no_ref = rng.random(n) < config.no_reference_rate
    fmt = rng.choice(len(_NAME_FORMATS), size=n, p=_NAME_FORMAT_P)
    plain = rng.integers(0, len(_NO_REFERENCE_FORMATS), n)
    style = rng.choice(6, size=n, p=[0.45, 0.1, 0.1, 0.1, 0.15, 0.1])
    prefix = rng.integers(0, len(_PREFIXES), n)
    separator = rng.integers(0, len(_SEPARATORS), n)
    typo = rng.random(n) < config.typo_rate
    typo_draws = rng.random((n, 4))
    glued = rng.random(n) < 0.1
    other = rng.random(n)
    transaction = rng.integers(10**9, 10**10, n)
    dates = pd.DatetimeIndex(day).strftime("%d/%m/%y").tolist()
    labels = []
    for i in range(n):
        if no_ref[i]:
            text = _NO_REFERENCE_FORMATS[plain[i]].format(name=names[i])
        else:
            refs = [_written(inv, int(style[i]), _PREFIXES[prefix[i]]) for inv in invoices[i]]
            if typo[i]:
                k = int(typo_draws[i, 3] * len(refs))
                refs[k] = _typo(refs[k], typo_draws[i])
            text = _NAME_FORMATS[fmt[i]].format(
                name=names[i], refs=_SEPARATORS[separator[i]].join(refs)
            )
            if glued[i]:
                text = text.replace("REF ", "REF", 1).replace("FACTURE ", "FACTURE", 1)
        if other[i] < config.other_numbers_rate / 2:
            text += f" DU {dates[i]}"
        elif other[i] < config.other_numbers_rate:
            text += f" E2E {transaction[i]}"
        labels.append(" ".join(text.split())[: config.label_width])
    return labels


# --- the ledger before lettrage ------------------------------------------------------


def ledger_before(ledger: Ledger, payment_ids: pd.Series, since: date) -> Ledger:
    """``ledger`` as it stood before its payments ``payment_ids`` were matched.

    Those payments are removed, and documents settled from ``since`` on are open again:
    the settlements were learnt from the payments that lettrage has to match.
    """
    invoices = ledger.invoices.copy()
    settled = invoices["paid_date"] >= pd.Timestamp(since)
    invoices["paid_date"] = invoices["paid_date"].mask(settled)
    payments = ledger.payments[~ledger.payments["payment_id"].isin(payment_ids)]
    return Ledger(
        clients=ledger.clients,
        invoices=invoices,
        payments=payments.reset_index(drop=True),
        advances=ledger.advances,
        unbilled=ledger.unbilled,
        actions=ledger.actions,
    )


# --- how well lettrage did -----------------------------------------------------------


@dataclass
class MatchScores:
    """Automatic lettrage against the truth of a simulated statement.

    Attributes:
        lines: lines in the statement.
        auto_share: lines fully matched automatically: their applied allocations cover
            the amount, up to the tolerance.
        precision: applied allocations that pair a line with an invoice it really paid.
        recall: true (line, invoice) pairs that were applied.
        by_rule: per rule (index): allocations ``proposed``, ``applied``, and the
            ``precision`` of those applied.
    """

    lines: int
    auto_share: float
    precision: float
    recall: float
    by_rule: pd.DataFrame = field(default_factory=pd.DataFrame)


def match_scores(
    statement: BankStatement, proposals: pd.DataFrame, config: LettrageConfig
) -> MatchScores:
    """How the proposals for ``statement`` compare with its truth."""
    truth = set(zip(statement.truth["line_id"], statement.truth["invoice_id"], strict=True))
    pairs = zip(proposals["line_id"], proposals["invoice_id"], strict=True)
    correct = np.fromiter((p in truth for p in pairs), dtype=bool, count=len(proposals))
    auto = (proposals["confidence"] >= config.auto_threshold).to_numpy()
    lines = statement.lines.set_index("line_id")["amount_cents"]
    applied = proposals[auto].groupby("line_id")["amount_cents"].sum()
    covered = applied.reindex(lines.index).fillna(0).to_numpy(dtype=np.int64)
    amount = lines.to_numpy(dtype=np.int64)
    full = (covered > 0) & (amount - covered <= config.gaps(amount))
    counts = (
        pd.DataFrame({"rule": proposals["rule"], "applied": auto, "right": auto & correct})
        .groupby("rule")
        .agg(proposed=("applied", "size"), applied=("applied", "sum"), right=("right", "sum"))
    )
    by_rule = counts.assign(precision=counts["right"] / counts["applied"])
    by_rule = by_rule.drop(columns="right")
    n_auto = int(auto.sum())
    return MatchScores(
        lines=len(lines),
        auto_share=float(full.mean()) if len(lines) else 0.0,
        precision=float(correct[auto].mean()) if n_auto else 1.0,
        recall=float((auto & correct).sum() / len(truth)) if truth else 1.0,
        by_rule=by_rule,
    )
