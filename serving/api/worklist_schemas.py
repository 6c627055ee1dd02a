"""Request and response bodies of the worklist and actions routes, every field described."""

from __future__ import annotations

import datetime as dt
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from serving.api.schemas import FIRST_DAY, Day, Id, ModelRef
from serving.scenarios import ACTION_LABELS

Channel = Literal["email", "call", "letter", "formal_notice", "legal"]
Outcome = Literal["promise_to_pay", "dispute", "no_answer", "paid"]
StepName = Literal["preventive_reminder", "email", "call", "letter", "formal_notice", "legal"]
_STEPS_HELP = ", ".join(f"`{k}` ({v})" for k, v in ACTION_LABELS.items())


class WorklistRow(BaseModel):
    """One invoice to chase; money in the invoice's currency unless said otherwise."""

    invoice_id: str = Field(description="invoice number", examples=["F0001234"])
    reference: str | None = Field(
        None,
        description="number printed on the invoice when the id is another (a FEC's PieceRef)",
        examples=["VE  0123"],
    )
    client_id: str = Field(description="client billed", examples=["C00042"])
    client_name: str | None = Field(description="client name", examples=["Boulangerie Martin"])
    currency: str = Field(description="ISO 4217 currency of the money fields", examples=["EUR"])
    open: float = Field(description="amount still open (restant dû) TTC", examples=[12500.0])
    issue_date: dt.date = Field(description="date of issue")
    due_date: dt.date = Field(description="due date")
    days_past_due: int = Field(description="as_of − due date in days; negative before it")
    disputed: bool = Field(description="the client disputes the invoice (litige)")
    p_late: float = Field(
        ge=0, le=1, description="the late-payment model's probability of payment after the due date"
    )
    risk: float = Field(
        ge=0,
        le=1,
        description="probability used for the amount at risk: `p_late` before the due date; "
        "once overdue, the probability of being still unpaid in 30 days (payment-time model), "
        "or `p_late` without that model",
    )
    risk_basis: Literal["p_late", "unpaid_in_30_days"] = Field(description="which risk applies")
    amount_at_risk: float = Field(description="open × risk: the ranking key", examples=[8750.0])
    profile: Literal["strategic", "public_sector", "risky", "standard"] = Field(
        description="client profile that picks the relance scenario"
    )
    recommended_step: StepName | None = Field(
        description=f"relance to do now: {_STEPS_HELP}; empty when the steps due are done or "
        "a promise to pay is pending"
    )
    next_step: StepName | None = Field(description="the scenario's next step, if any")
    next_step_date: dt.date | None = Field(description="date the next step becomes due")
    promised_date: dt.date | None = Field(description="pending promise to pay, if any")
    penalties: float = Field(
        description="pénalités de retard so far: open × rate × days past due / 365 (ECB rate "
        "+ 10 points, public buyers + 8)",
        examples=[124.71],
    )
    indemnity_eur: float = Field(
        description="indemnité forfaitaire pour frais de recouvrement, in euros: 40 once overdue",
        examples=[40.0],
    )
    expected_payment_date: dt.date | None = Field(
        description="median payment date given the invoice is open today (payment-time model)"
    )
    payment_p10_date: dt.date | None = Field(
        None,
        description="date by which the invoice is paid with probability 10 %, given it is "
        "open today (payment-time model); empty where the median is",
    )
    payment_p90_date: dt.date | None = Field(
        None,
        description="date by which the invoice is paid with probability 90 %, given it is "
        "open today (payment-time model); empty past the model's horizon",
    )
    collector: str | None = Field(
        None,
        description="who chases the client: the clients' own column `x_collector`, if any",
        examples=["Sophie"],
    )
    uplift_action: str | None = Field(
        None,
        description="the action of highest expected cash gained within 30 days per minute of "
        "collector time, from the effects estimated on the action history by profile; empty "
        "when no effects are loaded or no action is expected to gain anything",
        examples=["call"],
    )
    uplift_gain: float = Field(
        0.0,
        description="expected extra cash paid within 30 days if `uplift_action` is taken, in "
        "the invoice's currency",
        examples=[412.5],
    )
    uplift_gain_per_minute: float = Field(
        0.0,
        description="`uplift_gain` per minute of collector time the action takes",
        examples=[41.25],
    )


class WorklistOut(BaseModel):
    """The worklist at one date, largest amount at risk first."""

    as_of: dt.date = Field(description="date of the worklist (open amounts at the end of it)")
    model: ModelRef = Field(description="late-payment model that gave `p_late`")
    payment_time_model: bool = Field(
        description="whether the payment-time model gave the overdue risks and expected dates"
    )
    total: int = Field(description="invoices on the worklist before the filters and the limit")
    matching: int = Field(
        description="invoices the filters keep, before `offset` and `limit`: "
        "pages = ceil(matching / limit)"
    )
    rows: list[WorklistRow] = Field(
        description="the invoices matching the filters, from rank `offset` + 1, at most `limit`"
    )


class ActionIn(BaseModel):
    """A relance the collector did on an invoice, and what came of it."""

    model_config = ConfigDict(extra="forbid")

    invoice_id: Id = Field(description="invoice chased", examples=["F0001234"])
    # No upper bound but today's, checked below with a clearer message than a range's.
    action_date: dt.date = Field(
        ge=FIRST_DAY, description="date of the action", examples=["2025-06-02"]
    )
    channel: Channel = Field(
        description="email (also for a preventive reminder), call, letter, formal_notice "
        "(mise en demeure) or legal (contentieux)",
        examples=["call"],
    )
    outcome: Outcome | None = Field(
        default=None,
        description="promise_to_pay, dispute, no_answer or paid",
        examples=["promise_to_pay"],
    )
    promised_date: Day | None = Field(
        default=None,
        description="date the client promised to pay by; required with promise_to_pay",
        examples=["2025-06-15"],
    )

    @model_validator(mode="after")
    def promise_has_a_date(self) -> Self:
        """A promise names its date; a date without a promise means nothing."""
        # A day of slack: the collector's today may be the server's tomorrow.
        if self.action_date > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("action_date is in the future: record actions once done")
        if self.outcome == "promise_to_pay" and self.promised_date is None:
            raise ValueError("promise_to_pay needs a promised_date")
        if self.outcome != "promise_to_pay" and self.promised_date is not None:
            raise ValueError("promised_date goes with outcome promise_to_pay only")
        if self.promised_date is not None and self.promised_date < self.action_date:
            raise ValueError("promised_date is before action_date")
        return self


class ActionOut(BaseModel):
    """The action as stored in the ledger's actions table."""

    invoice_id: str = Field(description="invoice chased")
    action_date: dt.date = Field(description="date of the action")
    channel: Channel = Field(description="channel used")
    outcome: Outcome | None = Field(description="what came of it")
    promised_date: dt.date | None = Field(description="date promised, with promise_to_pay")
    created: bool = Field(
        description="false when the very same action was already recorded (nothing written)"
    )
