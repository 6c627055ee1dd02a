"""Check a contract table read as text and turn it into its typed in-memory form.

Plain vectorised pandas rather than pandera: each check here also converts (a money
text is parsed to cents once, a date once), the messages quote the offending value
and sometimes a second column, and the reference rules span several files. Written
as boolean masks over whole columns, the happy path has no Python loop per row; only
the bad rows, at most ``MAX_PROBLEMS_PER_RULE`` of them per rule, are put into words.
Where pandas would go through Python objects (parsing dates and integers), the Arrow
kernels under pandas' ``str`` columns do the work instead.

Text frames come from ``ledger.reading``: every column is a pandas ``str`` column,
stripped, with missing (empty) values as NaN, indexed by the row number a person
counts in the file (1 = the first row after the header).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ledger.contract import (
    MAX_ID_LENGTH,
    TABLES,
    USER_COLUMN_PREFIX,
    Column,
    TableSpec,
    id_problem,
    user_columns,
)
from ledger.conventions import (
    CONTRACT,
    DATE_LAYOUTS,
    ISO,
    READABLE,
    SHORT_YEAR,
    Conventions,
    DateFormat,
    DecimalMark,
    amount_shapes,
    canonical_amounts,
    date_layouts,
    detect_conventions,
)
from ledger.errors import RowProblem

MAX_PROBLEMS_PER_RULE = 1000
ROWS_NAMED = 10  # rows listed in "appears 3 times (rows 3, 7 and 9)"
TRUE_WORDS = ("true", "1", "yes", "oui", "vrai")
FALSE_WORDS = ("false", "0", "no", "non", "faux")
FIRST_YEAR, LAST_YEAR = 1900, 2200
MAX_WHOLE_DIGITS = 16  # what Numeric(18, 2) holds before the point; int64 cents too
NON_NEGATIVE_MONEY = frozenset({"credit_limit"})  # every other money column must be > 0
CURRENCY_COLUMNS = frozenset({"currency"})  # text columns holding an ISO 4217 code

# (later, earlier): the later date, when given, may not fall before the earlier one.
DATE_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    "invoices": (("due_date", "issue_date"), ("paid_date", "issue_date")),
    "effets": (("due_date", "drawn_date"), ("remitted_date", "drawn_date")),
}

# [0-9], not \d: a regex engine may take other scripts' digits for \d.
NUMBER = r"[+-]?[0-9]+(?:\.[0-9]*)?"
AT_MOST_CENTS = r"[+-]?[0-9]+(?:\.[0-9]{0,2}0*)?"  # zeros beyond the cents are harmless
NOT_TOO_LARGE = rf"[+-]?0*[0-9]{{1,{MAX_WHOLE_DIGITS}}}(?:\.[0-9]*)?"
WHOLE_NUMBER = r"[+-]?[0-9]{1,12}(?:\.0*)?"
# Ids that ledger.contract.id_problem surely lets through: at most MAX_ID_LENGTH characters,
# no space at either end, each printable ASCII or a Latin letter or sign (U+00A1 to U+024F
# but the invisible soft hyphen: é, ç, œ...). The rule itself judges every other id.
PLAIN_ID_CHAR = "!-~\u00a1-\u00ac\u00ae-\u024f"
PLAIN_ID = f"[{PLAIN_ID_CHAR}](?:[ {PLAIN_ID_CHAR}]{{0,{MAX_ID_LENGTH - 2}}}[{PLAIN_ID_CHAR}])?"


@dataclass(frozen=True)
class Reference:
    """A column of ``table`` naming a row of ``target`` by its id."""

    table: str
    column: str
    target: str


REFERENCES = (
    Reference("invoices", "client_id", "clients"),
    Reference("payments", "client_id", "clients"),
    Reference("advances", "client_id", "clients"),
    Reference("unbilled", "client_id", "clients"),
    Reference("effets", "client_id", "clients"),
    Reference("effets", "invoice_id", "invoices"),
    Reference("actions", "invoice_id", "invoices"),
    Reference("payments", "invoice_id", "invoices"),
    Reference("invoices", "credited_invoice_id", "invoices"),
)


@dataclass(frozen=True)
class Failure:
    """The rows of one file that break one rule, and how to tell each of them."""

    field: str | None
    rule: str  # the rule in a few words: "... and 12 more rows where <rule>"
    rows: pd.Index  # row numbers
    explain: Callable[[int], str]  # the plain-words message for one row number
    values: pd.Series | None = None  # the offending text, by row number

    def value_at(self, row: int) -> str | None:
        """The offending text of ``row``, if the rule is about a value."""
        if self.values is None:
            return None
        value = self.values.at[row]
        return value if isinstance(value, str) else None


@dataclass
class CheckedTable:
    """One file checked: its typed frame (by row number) and everything wrong with it."""

    spec: TableSpec
    file: str
    text: pd.DataFrame
    frame: pd.DataFrame
    problems: list[RowProblem] = field(default_factory=list)  # about the whole file
    failures: list[Failure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    conventions: Conventions = CONTRACT  # how the file writes its amounts and dates

    def report(self) -> list[RowProblem]:
        """Every problem of the file: whole-file ones, then by row and column, then overflows."""
        order = {name: i for i, name in enumerate(self.spec.column_names)}
        shown: list[RowProblem] = []
        overflow: list[RowProblem] = []
        for failure in self.failures:
            rows = failure.rows
            for row in rows[:MAX_PROBLEMS_PER_RULE]:
                r = int(row)
                shown.append(
                    RowProblem(self.file, r, failure.field, failure.explain(r), failure.value_at(r))
                )
            extra = len(rows) - MAX_PROBLEMS_PER_RULE
            if extra > 0:
                message = f"... and {extra} more rows where {failure.rule}"
                overflow.append(RowProblem(self.file, None, failure.field, message))
        shown.sort(key=lambda p: (p.row or 0, order.get(p.field or "", -1)))
        return [*self.problems, *shown, *overflow]


def words(name: str) -> str:
    """A column name as words: ``due_date`` -> ``due date``."""
    return name.replace("_", " ")


def failures_where(
    field: str | None,
    bad: pd.Series,
    rule: str,
    explain: Callable[[int], str],
    values: pd.Series | None = None,
) -> list[Failure]:
    """A one-item list with the failure of ``rule`` on the rows where ``bad``, or ``[]``."""
    mask = bad.to_numpy(dtype=bool, na_value=False)
    if not mask.any():
        return []
    return [Failure(field, rule, bad.index[mask], explain, values)]


def arrow_of(text: pd.Series) -> pa.Array:
    """The Arrow strings of a text column (no copy for pandas' own ``str`` columns)."""
    return pa.array(text, type=pa.large_string())


def mask_of(flags: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    """An Arrow boolean result as a ``bool`` Series (missing is false)."""
    return pd.Series(pc.fill_null(flags, False).to_numpy(zero_copy_only=False), index=index)


def as_objects(text: pd.Series) -> pd.Series:
    """A text column as plain Python ``str`` objects, ``None`` where missing."""
    objects = arrow_of(text).to_numpy(zero_copy_only=False)
    return pd.Series(objects, index=text.index, dtype="object")


def integers_of(text: pd.Series) -> pd.Series:
    """Texts already checked to be whole numbers (``-12``, ``+3``) as ``Int64``."""
    numbers = pc.cast(arrow_of(text.str.lstrip("+")), pa.int64())
    return numbers.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).set_axis(text.index)


def quoted(values: pd.Series) -> Callable[[int], str]:
    """A function quoting the value of a row: ``'12,50'``."""
    return lambda row: f"'{values.at[row]}'"


Parsed = tuple[pd.Series, list[Failure]]


def id_failures(field: str, ids: pd.Series) -> list[Failure]:
    """The rows whose id breaks :func:`ledger.contract.id_problem`, each with its reason.

    Vectorised: a regular expression clears the plain ASCII ids, and the rule itself
    judges only the distinct other values (accents, control characters, too long), so a
    file of a million ids costs one pass of the Arrow regex engine.
    """
    suspect = ids.notna() & ~ids.str.fullmatch(PLAIN_ID).fillna(False).astype(bool)
    if not suspect.any():
        return []
    problems = {v: id_problem(str(v)) for v in ids[suspect].unique()}
    why = ids.where(suspect).map(problems)
    return failures_where(
        field,
        why.notna(),
        "the id cannot be stored",
        lambda row: str(why.at[row]),
        ids,
    )


def parse_id(col: Column, text: pd.Series) -> Parsed:
    """An id, kept as given, that the database can hold and a person can read."""
    return as_objects(text), id_failures(col.name, text)


def parse_text(col: Column, text: pd.Series) -> Parsed:
    """Free text, kept as given (a currency must be an ISO 4217 code)."""
    if col.name not in CURRENCY_COLUMNS:
        return as_objects(text), []
    return parse_code(col, text, 3, "EUR")


def parse_country(col: Column, text: pd.Series) -> Parsed:
    """A country as an ISO 3166 alpha-2 code, in capitals."""
    return parse_code(col, text, 2, "FR")


def parse_code(col: Column, text: pd.Series, length: int, example: str) -> Parsed:
    """An ISO code of ``length`` letters, in capitals (``fr`` is read as ``FR``)."""
    upper = text.str.upper()
    bad = text.notna() & ~upper.str.fullmatch(f"[A-Z]{{{length}}}")
    rule = f"{words(col.name)} must be a {length}-letter ISO code such as {example}"
    return as_objects(upper), failures_where(col.name, bad, rule, lambda _: rule, text)


def strict_dates(text: pd.Series, column: str, fmt: DateFormat) -> Parsed:
    """Dates in layout ``fmt`` as ``datetime64[ns]``; every bad one named (missing: NaT)."""
    shaped = text.str.fullmatch(fmt.shape)
    given = arrow_of(text.where(shaped))
    parsed = pc.strptime(given, format=fmt.strptime, unit="s", error_is_null=True)
    # strptime rolls 2023-02-29 over to 03-01: a real date keeps the day it was given.
    day = pc.cast(pc.utf8_slice_codeunits(given, fmt.day_at, fmt.day_at + 2), pa.int64())
    real = mask_of(pc.equal(pc.day(parsed), day), text.index)
    year = pc.year(parsed)
    in_range = pc.and_(pc.greater_equal(year, FIRST_YEAR), pc.less_equal(year, LAST_YEAR))
    out_of_range = real & ~mask_of(in_range, text.index)
    kept = pc.if_else(pa.array(real & ~out_of_range), parsed, pa.scalar(None, parsed.type))
    dates = kept.cast(pa.timestamp("ns")).to_pandas().set_axis(text.index)
    show = quoted(text)
    failures = [
        *failures_where(
            column,
            text.notna() & ~shaped,
            f"the date is not in the {fmt.layout} format",
            lambda r: f"{show(r)} is not a date in {fmt.name} (e.g. {fmt.example})",
            text,
        ),
        *failures_where(
            column,
            shaped & ~real,
            "the date does not exist in the calendar",
            lambda r: f"{show(r)} is not a real calendar date",
            text,
        ),
        *failures_where(
            column,
            out_of_range,
            f"the year is not between {FIRST_YEAR} and {LAST_YEAR}",
            lambda r: f"{show(r)} is not between the years {FIRST_YEAR} and {LAST_YEAR}",
            text,
        ),
    ]
    return dates.astype("datetime64[ns]"), failures


def parse_date(col: Column, text: pd.Series, fmt: DateFormat = ISO) -> Parsed:
    """A strict date in the file's layout ``fmt`` as ``datetime64[ns]`` at midnight.

    Dates in another layout than the file's, with a 2-digit year, or that only make
    sense month first (``01/31/2024`` in a day-first file) are named as such.
    """
    layouts = date_layouts(text)
    other_layout = (layouts >= 0) & (layouts != DATE_LAYOUTS.index(fmt))
    short_year = text.str.fullmatch(SHORT_YEAR).fillna(False).astype(bool)
    month_first = pd.Series(False, index=text.index)
    if fmt.month_at is not None:
        ours = text.where(text.str.fullmatch(fmt.shape).fillna(False).astype(bool))
        day = pd.to_numeric(ours.str.slice(0, 2))
        month = pd.to_numeric(ours.str.slice(fmt.month_at, fmt.month_at + 2))
        month_first = ((month > 12) & (day <= 12)).fillna(False).astype(bool)
    named = other_layout | short_year | month_first
    dates, failures = strict_dates(text.where(~named), col.name, fmt)
    show = quoted(text)
    failures += [
        *failures_where(
            col.name,
            other_layout,
            f"the date is not in {fmt.name} of the file's other dates",
            lambda r: (
                f"{show(r)} is not a date in {fmt.name} like the other dates of this file: "
                f"write every date one way, e.g. {fmt.example}"
            ),
            text,
        ),
        *failures_where(
            col.name,
            short_year,
            "the year has 2 digits",
            lambda r: f"{show(r)} has a 2-digit year: write the year in full, e.g. {fmt.example}",
            text,
        ),
        *failures_where(
            col.name,
            month_first,
            "the date looks month first",
            lambda r: (
                f"{show(r)} has no month {str(text.at[r])[3:5]}: dates in this file are read "
                f"day first ({fmt.layout}) and this one looks month first"
            ),
            text,
        ),
    ]
    return dates, failures


def parse_money(col: Column, text: pd.Series, mark: DecimalMark | None = ".") -> Parsed:
    """A decimal amount with at most 2 decimals, as ``Int64`` cents.

    ``mark`` is the file's decimal mark (``None``: no amount of the file shows one); the
    amount is first brought to the contract's form (``1 234,50`` -> ``1234.50``).
    """
    shapes = amount_shapes(text)
    canonical = canonical_amounts(text, shapes, mark)
    refused = shapes.notna() & ~shapes.isin(READABLE[mark] | {"other"})
    present = text.notna()
    number = canonical.str.fullmatch(NUMBER).fillna(False).astype(bool) & ~refused
    cents_only = canonical.str.fullmatch(AT_MOST_CENTS)
    too_large = number & ~canonical.str.fullmatch(NOT_TOO_LARGE)
    valid = number & cents_only & ~too_large
    cents = cents_of(canonical.where(valid))
    show = quoted(text)
    example = "1234,50" if mark == "," else "1234.50"
    failures = [
        *refused_amount_failures(col, text, shapes.where(refused), mark),
        *failures_where(
            col.name,
            present & ~number & ~refused,
            "the amount is not a number",
            lambda r: f"{show(r)} is not an amount: write a number such as {example}",
            text,
        ),
        *failures_where(
            col.name,
            number & ~cents_only,
            "the amount has more than 2 decimals",
            lambda r: f"{show(r)} has more than 2 decimals",
            text,
        ),
        *failures_where(
            col.name,
            too_large,
            "the amount is too large",
            lambda r: f"{show(r)} is too large an amount",
            text,
        ),
    ]
    if col.name in NON_NEGATIVE_MONEY:
        rule = f"{words(col.name)} cannot be negative"
        failures += failures_where(col.name, cents < 0, rule, lambda _: rule, text)
    else:
        rule = f"{words(col.name)} must be greater than zero"
        failures += failures_where(col.name, cents <= 0, rule, lambda _: rule, text)
    return cents, failures


def refused_amount_failures(
    col: Column, text: pd.Series, shapes: pd.Series, mark: DecimalMark | None
) -> list[Failure]:
    """Amounts written so that the file's decimal mark cannot read them without a guess."""
    show = quoted(text)
    ours = {",": "comma", ".": "point"}.get(mark or ".", "point")
    theirs = "point" if ours == "comma" else "comma"
    example = "1234,50" if mark == "," else "1234.50"
    return [
        *failures_where(
            col.name,
            shapes == "english",
            "the amount groups thousands with commas",
            lambda r: (
                f"{show(r)} groups thousands with commas, the English way: write it {example}"
            ),
            text,
        ),
        *failures_where(
            col.name,
            shapes.isin(["point", "comma"]),
            f"the amount has a decimal {theirs} unlike the file's other amounts",
            lambda r: (
                f"{show(r)} has a decimal {theirs} while the other amounts of this file have a "
                f"decimal {ours}: write decimals with a {'dot' if ours == 'point' else 'comma'}"
                f", e.g. {example}"
            ),
            text,
        ),
        *failures_where(
            col.name,
            shapes.isin(["dot_group", "comma_group"]),
            "the amount could be read two ways",
            lambda r: (
                f"{show(r)} could be a thousands separator or 3 decimals, and no other amount "
                "of this file shows its decimal mark: write it without a thousands separator"
            ),
            text,
        ),
    ]


def cents_of(text: pd.Series) -> pd.Series:
    """Valid amount texts (``"-12.5"``, ``"3"``, ``"4.2500"``) as exact ``Int64`` cents."""
    if not text.notna().any():
        return pd.Series(pd.NA, index=text.index, dtype="Int64")
    trimmed = text.str.replace(r"(\.[0-9][0-9])0+$", r"\1", regex=True).str.rstrip(".")
    dot = trimmed.str.find(".").to_numpy(dtype="float64", na_value=np.nan)
    length = trimmed.str.len().to_numpy(dtype="float64", na_value=np.nan)
    decimals = np.where(dot < 0, 0, length - dot - 1)
    padding = np.where(decimals == 0, "00", np.where(decimals == 1, "0", ""))
    digits: pd.Series = trimmed.str.replace(".", "", regex=False) + padding
    return integers_of(digits)


def parse_int(col: Column, text: pd.Series) -> Parsed:
    """A whole number of zero or more, as ``Int64``."""
    whole = text.str.fullmatch(WHOLE_NUMBER)
    values = integers_of(text.where(whole).str.replace(r"\.0*$", "", regex=True))
    show = quoted(text)
    negative = f"{words(col.name)} cannot be negative"
    failures = [
        *failures_where(
            col.name,
            text.notna() & ~whole,
            "the value is not a whole number",
            lambda r: f"{show(r)} is not a whole number",
            text,
        ),
        *failures_where(col.name, values < 0, negative, lambda _: negative, text),
    ]
    return values, failures


def parse_bool(col: Column, text: pd.Series) -> Parsed:
    """true/false, yes/no, oui/non, vrai/faux or 1/0 in any case, as ``bool`` (missing: false)."""
    lower = text.str.lower()
    true = lower.isin(TRUE_WORDS)
    bad = text.notna() & ~true & ~lower.isin(FALSE_WORDS)
    show = quoted(text)
    failures = failures_where(
        col.name,
        bad,
        "the value is not true or false",
        lambda r: (
            f"{show(r)} is not true or false (write true/false, yes/no, oui/non, vrai/faux or 1/0)"
        ),
        text,
    )
    return true.astype(bool), failures


def parse_choice(col: Column, text: pd.Series) -> Parsed:
    """One of the column's choices, in lower case."""
    lower = text.str.lower()
    bad = text.notna() & ~lower.isin(col.choices)
    show = quoted(text)
    allowed = ", ".join(col.choices)
    failures = failures_where(
        col.name,
        bad,
        f"the value is not one of {allowed}",
        lambda r: f"{show(r)} is not one of {allowed}",
        text,
    )
    return as_objects(lower), failures


PARSERS: dict[str, Callable[[Column, pd.Series], Parsed]] = {
    "id": parse_id,
    "text": parse_text,
    "country": parse_country,
    "int": parse_int,
    "bool": parse_bool,
    "choice": parse_choice,
}


def default_text(default: object) -> str:
    """A column default as the text a file would hold."""
    if isinstance(default, bool):
        return "true" if default else "false"
    return str(default)


def typed_column(
    col: Column,
    text: pd.Series,
    *,
    check_required: bool = True,
    conventions: Conventions = CONTRACT,
) -> Parsed:
    """A column in its in-memory type, defaults filled in, with the rules it breaks.

    Amounts and dates are read in the file's ``conventions`` (decimal mark, date layout).
    """
    failures: list[Failure] = []
    if col.required and check_required:
        failures += failures_where(
            col.name,
            text.isna(),
            "a required value is empty",
            lambda _: "required value is empty",
        )
    if col.default is not None:
        text = text.fillna(default_text(col.default))
    if col.kind == "money":
        values, more = parse_money(col, text, conventions.decimal)
    elif col.kind == "date":
        values, more = parse_date(col, text, conventions.dates)
    else:
        values, more = PARSERS[col.kind](col, text)
    return values, failures + more


def missing_column(index: pd.Index) -> pd.Series:
    """An all-missing text column."""
    return pd.Series(np.nan, index=index, dtype="str")


def duplicate_failures(spec: TableSpec, text: pd.DataFrame) -> list[Failure]:
    """Rows whose id appears more than once in the file."""
    id_column = spec.id_column
    if id_column is None or id_column not in text:
        return []
    ids = text[id_column]
    repeated = ids.notna() & ids.duplicated(keep=False)
    if not repeated.any():
        return []
    # Spell out the rows only for the ids that will be shown, not for a whole bad file.
    shown = ids[repeated].iloc[:MAX_PROBLEMS_PER_RULE]
    among = ids[repeated & ids.isin(shown.unique())]
    counts = among.value_counts()
    first = among[among.groupby(among).cumcount() < ROWS_NAMED]
    rows_of = {str(k): [int(r) for r in v] for k, v in first.groupby(first).groups.items()}
    noun = id_column.removesuffix("_id")

    def explain(row: int) -> str:
        value = str(ids.at[row])
        total = int(counts[value])
        times = "twice" if total == 2 else f"{total} times"
        return (
            f"{noun} {value} appears {times} in this file ({rows_in_words(rows_of[value], total)})"
        )

    return failures_where(
        id_column, repeated, f"the {noun} appears more than once in this file", explain, ids
    )


def rows_in_words(rows: list[int], total: int) -> str:
    """``[3, 7, 9]`` -> ``rows 3, 7 and 9``; beyond the rows given, ``and N more``."""
    numbers = [str(r) for r in rows]
    if total > len(numbers):
        return f"rows {', '.join(numbers)} and {total - len(numbers)} more"
    return f"rows {', '.join(numbers[:-1])} and {numbers[-1]}"


def date_order_failures(
    spec: TableSpec, text: pd.DataFrame, typed: Mapping[str, pd.Series]
) -> list[Failure]:
    """Rows where a date falls before the date it must follow (due before issue)."""
    failures: list[Failure] = []
    for later, earlier in DATE_ORDER.get(spec.name, ()):
        if later not in text or earlier not in text:
            continue
        failures += failures_where(
            later,
            typed[later] < typed[earlier],
            f"the {words(later)} is before the {words(earlier)}",
            date_order_message(text[later], text[earlier]),
            text[later],
        )
    return failures


def date_order_message(later: pd.Series, earlier: pd.Series) -> Callable[[int], str]:
    """A function telling, for a row, that one date comes before the other."""
    return lambda row: (
        f"{words(str(later.name))} {later.at[row]} is before the "
        f"{words(str(earlier.name))} {earlier.at[row]}"
    )


def unknown_columns(spec: TableSpec, text: pd.DataFrame) -> list[str]:
    """Columns that are neither in the contract nor the user's own ``x_*``."""
    known = set(spec.column_names)
    return [
        str(c) for c in text.columns if c not in known and not str(c).startswith(USER_COLUMN_PREFIX)
    ]


def check_table(spec: TableSpec, text: pd.DataFrame, file: str) -> CheckedTable:
    """Check every column and row of one file and type it into its in-memory form.

    Amounts and dates are read in the conventions the file shows (``ledger.conventions``).
    """
    conventions = detect_conventions(spec, text)
    missing = [c.name for c in spec.columns if c.required and c.name not in text]
    problems = [
        RowProblem(file, None, name, f"required column {name} is missing") for name in missing
    ]
    warnings = []
    if extra := unknown_columns(spec, text):
        warnings.append(
            f"{file}: column(s) {', '.join(extra)} are not in the data contract and were "
            f"ignored (name your own columns {USER_COLUMN_PREFIX}... to keep them)"
        )
    typed: dict[str, pd.Series] = {}
    failures: list[Failure] = []
    for col in spec.columns:
        present = col.name in text
        column = text[col.name] if present else missing_column(text.index)
        typed[col.name], col_failures = typed_column(
            col, column, check_required=present, conventions=conventions
        )
        failures += col_failures
    failures += duplicate_failures(spec, text)
    failures += date_order_failures(spec, text, typed)
    frame = pd.DataFrame({c.memory_name: typed[c.name] for c in spec.columns}, index=text.index)
    for name in user_columns(text):
        frame[name] = as_objects(text[name])
    return CheckedTable(spec, file, text, frame, problems, failures, warnings, conventions)


def reference_failures(
    checked: Mapping[str, CheckedTable],
    known_ids: Mapping[str, AbstractSet[str]],
    given: AbstractSet[str],
) -> dict[str, list[Failure]]:
    """The rows naming a client or invoice that exists nowhere, by table name.

    Args:
        checked: the files read, by table name.
        known_ids: ids already in the ledger, by target table name.
        given: the tables that had a file, read or not. A reference to a table whose
            file could not be read is not checked: it would only repeat that problem.
    """
    found: dict[str, list[Failure]] = {}
    for ref in REFERENCES:
        table = checked.get(ref.table)
        if table is None or ref.column not in table.text:
            continue
        id_column = TABLES[ref.target].id_column
        assert id_column is not None
        target = checked.get(ref.target)
        if ref.target in given and (target is None or id_column not in target.text):
            continue
        ids = table.text[ref.column]
        unknown = ids.notna() & ~ids.isin(list(known_ids.get(ref.target, ())))
        if target is None:
            where = f"is not already in the ledger and no {ref.target} file was given"
        else:
            unknown &= ~ids.isin(target.text[id_column].dropna())
            where = f"is not in the {ref.target} file nor already in the ledger"
        noun = id_column.removesuffix("_id")
        found.setdefault(ref.table, []).extend(
            failures_where(
                ref.column,
                unknown,
                f"the {noun} {where}",
                unknown_id_message(ids, noun, where),
                ids,
            )
        )
    return found


def unknown_id_message(ids: pd.Series, noun: str, where: str) -> Callable[[int], str]:
    """A function telling, for a row, that its id exists nowhere."""
    return lambda row: f"{noun} {ids.at[row]} {where}"
