"""Request and response bodies of the API, every field described."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from ledger.contract import DEFAULT_CURRENCY, MAX_ID_LENGTH, USER_COLUMN_PREFIX, id_problem
from serving.scoring import LoadedModel

MAX_AMOUNT = Decimal("1e13")
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY)]
"""A date the API takes: 1900-01-01 to 2199-12-31. The ledger's timestamps hold 1677 to
2262 only; the margin leaves room for the terms, horizons and delays added to a date."""


def _an_id(value: str) -> str:
    """``value`` if it may be an id (:func:`ledger.contract.id_problem`), else why not."""
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


Id = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH), AfterValidator(_an_id)
]
"""An id sent to the API (a path parameter): the ledger's one rule for ids. Its problem is
said in plain words without echoing the value (a 5,000-character id comes back as its
length)."""
# The length is checked twice, by the constraint (which documents it in the schema) and by
# the rule: the constraint stops a long value before the rule sees it.

MAX_USER_COLUMNS = 50
"""Most ``x_`` columns one invoice or client may carry in a request."""
MAX_TEXT = 200
"""Longest text value of an ``x_`` column, and of other free text in requests."""
USER_COLUMN = re.compile(rf"{USER_COLUMN_PREFIX}[\w-]{{1,62}}")
"""A user column's name in a request: ``x_`` then 1 to 62 letters, digits, ``_`` or ``-``
(64 characters at most, as an id)."""


def _user_column(name: str) -> str:
    """``name`` if it may name a user column in a request (:data:`USER_COLUMN`)."""
    if USER_COLUMN.fullmatch(name) is None:
        raise ValueError("your own columns are named x_ then up to 62 letters, digits, _ or -")
    return name


def _short_text(value: str | float | None) -> str | float | None:
    """``value`` unless it is a text over :data:`MAX_TEXT` characters."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise ValueError(f"a text value has at most {MAX_TEXT} characters, not {len(value):,}")
    return value


UserColumns = Annotated[
    dict[
        Annotated[
            str,
            StringConstraints(max_length=MAX_ID_LENGTH),
            AfterValidator(_user_column),
            WithJsonSchema(
                {"type": "string", "pattern": f"^{USER_COLUMN.pattern}$", "maxLength": 64}
            ),
        ],
        Annotated[str | float | None, AfterValidator(_short_text)],
    ],
    Field(max_length=MAX_USER_COLUMNS, json_schema_extra={"additionalProperties": False}),
]
"""The user's own columns sent with an invoice or a client (``x_channel``...).

Counted, then checked, by pydantic's own code as it reads the JSON: a dict of thousands
of keys stops at the 51st. A check of the whole dict in Python first, as tried, doubled the
event loop's longest pause under a flood of 64 invoices × 2,000 keys (45-60 ms against
21-22 ms, in the thread pool all the same: pydantic holds the GIL as it reads)."""
USER_COLUMNS_RULE = (
    f"at most {MAX_USER_COLUMNS}, each named x_ then up to 62 letters, digits, _ or -, a "
    f"text value at most {MAX_TEXT} characters. A column the served model does not know "
    "(one that is not in your imported files) is ignored"
)


class InvoiceIn(BaseModel):
    """An invoice to score: a stored one, or one about to be issued.

    Your own invoice columns (``x_channel``, ``x_sales_rep``...) may be sent in ``x``: they
    are features, as in the imported files. Any unknown field is an error.
    """

    model_config = ConfigDict(extra="forbid")

    invoice_id: Id | None = Field(
        default=None,
        description="invoice number, echoed back",
        examples=["F2025-0042"],
    )
    client_id: Id = Field(
        description="client billed; must be in the ledger",
        examples=["C00001"],
    )
    issue_date: Day = Field(description="date of issue (YYYY-MM-DD)", examples=["2025-03-03"])
    due_date: Day = Field(
        description="due date (YYYY-MM-DD), on or after the issue date", examples=["2025-04-02"]
    )
    amount: Decimal = Field(
        gt=0,
        lt=MAX_AMOUNT,
        decimal_places=2,
        description="amount TTC, greater than zero",
        examples=["12500.00"],
    )
    currency: str = Field(
        default=DEFAULT_CURRENCY, pattern="^[A-Z]{3}$", description="ISO 4217 currency"
    )
    disputed: bool = Field(default=False, description="the client disputes the invoice")
    x: UserColumns = Field(
        default_factory=dict,
        description="your own invoice columns, named as in the invoices file (x_*): "
        + USER_COLUMNS_RULE,
        examples=[{"x_channel": "email"}],
    )

    @model_validator(mode="after")
    def due_after_issue(self) -> Self:
        """A due date before the issue date is a typing error, not an invoice."""
        if self.due_date < self.issue_date:
            raise ValueError(f"due_date {self.due_date} is before issue_date {self.issue_date}")
        return self


class ScoreRequest(BaseModel):
    """Invoices to score, seen at one date."""

    model_config = ConfigDict(extra="forbid")

    invoices: list[InvoiceIn] = Field(min_length=1, description="the invoices to score")
    as_of: Day | None = Field(
        default=None,
        description="date the invoices are seen at: only payments settled before it count "
        "as history; defaults to today",
    )


class ReasonOut(BaseModel):
    """One feature's push on the late-payment score (a signed TreeSHAP contribution)."""

    feature: str = Field(description="feature name, as in `encours features --list`")
    description: str = Field(description="what the feature means, from the registry")
    family: str = Field(description="feature family: history, exposure, invoice, client...")
    value: float | str | None = Field(description="the feature's value for this invoice")
    contribution: float = Field(
        description="push on the log-odds of late payment: > 0 raises the risk, < 0 lowers it",
        examples=[0.21],
    )


class BucketsOut(BaseModel):
    """Probability of each days-late bucket; they sum to 1."""

    on_time: float = Field(ge=0, le=1, description="paid on or before the due date")
    d1_30: float = Field(ge=0, le=1, description="paid 1 to 30 days late")
    d31_60: float = Field(ge=0, le=1, description="paid 31 to 60 days late")
    d61_90: float = Field(ge=0, le=1, description="paid 61 to 90 days late")
    over_90: float = Field(ge=0, le=1, description="over 90 days late, or never paid")


class InvoiceScore(BaseModel):
    """The models' view of one invoice."""

    invoice_id: str | None = Field(description="invoice number, as sent")
    client_id: str = Field(description="client billed")
    p_late: float = Field(ge=0, le=1, description="probability of payment after the due date")
    buckets: BucketsOut | None = Field(
        default=None, description="days-late buckets; null until a payment-time model is served"
    )
    expected_payment_date: dt.date | None = Field(
        default=None, description="mean payment date (within a year of the due date)"
    )
    p10_date: dt.date | None = Field(default=None, description="paid by then with 10 % chance")
    p50_date: dt.date | None = Field(default=None, description="median payment date")
    p90_date: dt.date | None = Field(
        default=None, description="paid by then with 90 % chance; null if later than a year"
    )
    reasons: list[ReasonOut] | None = Field(
        default=None, description="the largest contributions, strongest first (when asked)"
    )


class ModelRef(BaseModel):
    """Which registered model answered."""

    name: str = Field(description="registered model name", examples=["late-payment"])
    version: str = Field(description="registered model version", examples=["3"])


def model_ref(model: LoadedModel) -> ModelRef:
    """Which model answered, as the responses name it."""
    return ModelRef(name=model.name, version=model.version)


class ServedModel(ModelRef):
    """A champion model the API serves now."""

    loaded_at: dt.datetime = Field(description="when this version was loaded (UTC)")


class ModelsOut(BaseModel):
    """The champion models served, and why the last (re)load failed if it did."""

    models: list[ServedModel] = Field(
        description="champions served now; a model without a champion is absent"
    )
    failure: str | None = Field(
        description="why the last load or reload from the registry failed, while the models "
        "above are still served; empty once one succeeds",
        examples=[None],
    )


class ScoreResponse(BaseModel):
    """Scores of the invoices sent, in the order sent."""

    model: ModelRef
    as_of: dt.date = Field(description="date the invoices were seen at")
    scores: list[InvoiceScore]


class Health(BaseModel):
    """Liveness and readiness."""

    status: str = Field(description="ok, or not_ready", examples=["ok"])
    detail: dict[str, str] = Field(default_factory=dict, description="what is loaded, or missing")


class AgedBalanceOut(BaseModel):
    """Open amounts by days past due (balance âgée)."""

    not_due: float = Field(description="not yet due")
    d1_30: float = Field(description="1 to 30 days past due")
    d31_60: float = Field(description="31 to 60 days past due")
    d61_90: float = Field(description="61 to 90 days past due")
    over_90: float = Field(description="more than 90 days past due")
    non_affecte: float = Field(
        0.0,
        description="unapplied cash, in its own column: payments and credit notes that no "
        "invoice has absorbed yet (they lower the encours, not the buckets)",
    )


class CurrencyAgedBalanceOut(AgedBalanceOut):
    """The balance âgée of one currency, in its units."""

    currency: str = Field(description="ISO 4217 currency of the amounts", examples=["EUR"])
    total: float = Field(
        description="open amount of the invoices: the sum of the buckets (non_affecte apart)"
    )


class AgedBalancesOut(BaseModel):
    """The balance âgée at one date, currency by currency (never added across currencies)."""

    as_of: dt.date = Field(description="date of the figures (end of that day)")
    balances: list[CurrencyAgedBalanceOut] = Field(
        description="one per currency, sorted by currency"
    )


class KpisOut(BaseModel):
    """Receivables KPIs of one currency at one date; money in currency units."""

    as_of: dt.date = Field(description="date of the figures (end of that day)")
    currency: str = Field(description="currency of the money figures", examples=["EUR"])
    encours: float = Field(
        description="encours client: échu + non échu + à émettre + effets escomptés non "
        "échus − avances − non affecté: what the client accounts hold on the books, with the "
        "discounted bills not yet due"
    )
    echu: float = Field(description="open amounts of invoices past their due date")
    non_echu: float = Field(description="open amounts of invoices not yet due")
    a_emettre: float = Field(description="factures à émettre: delivered, not yet invoiced")
    avances: float = Field(description="avances et acomptes reçus still held (compte 419)")
    non_affecte: float = Field(
        0.0,
        description="unapplied cash: payments not matched to an invoice (or beyond it) and "
        "open credit notes; they lower the encours until lettrage sets them against invoices",
    )
    effets_escomptes_non_echus: float = Field(
        0.0,
        description="effets escomptés non échus: bills (LCR, billets à ordre) discounted at "
        "the bank and not yet due; the client has not paid them yet, so they count in the "
        "encours until their due date",
    )
    dso: float | None = Field(description="encours × 365 / CA TTC of the last 12 months, days")
    dso_countback: float | None = Field(description="count-back DSO, days")
    taux_recouvrement: float | None = Field(
        description="montant recouvré / montant total des créances × 100 over 12 months"
    )
    taux_creances_douteuses: float | None = Field(
        description="créances douteuses (over 90 days, disputed or written off) / encours × 100"
    )
    encours_moyen_par_client: float | None = Field(
        description="encours client / number of clients with an encours"
    )
    liquidite_immediate: float | None = Field(
        description="(disponibilités + encours) / dettes à court terme, when both are given"
    )
    aged_balance: AgedBalanceOut
