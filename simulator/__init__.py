"""Simulate a French B2B receivables ledger whose payment behaviour is known exactly.

The simulated ledger follows the data contract (:mod:`ledger.contract`) and comes with
the *truth*: for every invoice, the distribution its payment date was drawn from, so
that models can be scored against the best achievable predictions.

How one invoice is paid (all times in whole days, every step is in the truth):

1. **Intention.** The client aims at an *anchor*: its last payment day on or before the
   due date (see 3; the day after issue if that day comes earlier). With probability
   ``on_time_prob`` it pays on time, on ``anchor - E`` with
   ``E ~ Uniform(0, early_days)``; otherwise late, on ``anchor + X`` with ``X``
   log-logistic (scale ``late_scale``, shape ``late_shape``, CDF
   ``1 / (1 + (X / scale) ** -shape)``). The parameters come from the client's latent
   behaviour (sector, country, public sector, segment) and from what is known when the
   invoice is issued: August / December issue or due dates, dispute, billing channel
   (paper is slower), amount versus the client's usual amount, and deterioration (for
   some clients delays drift upward from a given date).
2. **Dunning** (relance). The collection policy is fixed at issue (``dunning_plan``,
   see :data:`DUNNING_PLANS`: email at due + 1, call at + 15, formal notice at + 30,
   legal at + 75 for large amounts...). Each action taken while the invoice is unpaid
   multiplies the remaining delay by a factor below one. This turns ``X`` into
   ``g(X)``, a continuous increasing piecewise-linear map, so dunning *is* in the
   truth: ``P(g(X) <= x) = F(g⁻¹(x))``. The intended day is ``anchor + ceil(g(X))``.
3. **Payment calendar** (``pay_calendar``). Transfers land on business days (no
   weekends, French public holidays or TARGET2 closing days: see
   :mod:`ledger.day_calendar`); many clients pay only in month-end runs (last business
   day), on the 10th (or the next business day), or both. The paid date is
   the first calendar day on or after the intended day, hence ``paid <= t`` exactly
   when ``intended <= prev_run(t)``: the snapping is in the truth too (an invoice that
   misses the run before its due date waits for the next one, late).
4. **Default.** A few clients fail on ``default_date`` (and are invoiced no more):
   invoices not paid by then are never paid, and flagged ``written_off`` once
   ``write_off_lag_days`` have passed by the end of the window. The truth carries this
   mass at infinity (``p_never_paid``).

So :func:`true_paid_by` gives ``P(paid within d days of issue)`` in closed form for any
``d``, and the bucket probabilities (``p_on_time``, ``p_1_30``, ``p_31_60``,
``p_61_90``, ``p_over_90`` which includes never paid) and ``p_late = 1 - p_on_time``
follow from it. The truth is conditional on the client's latent parameters, including a
future default date, which no model can know: it is the best achievable score, not a
reachable one.

Not in the truth (they do not change payment dates): partial payments (a share of paid
invoices is settled in two instalments, the last one on the drawn date), credit notes
(a partial credit issued before the invoice is settled, reducing what is paid; a credit
note's ``paid_date`` is the date it is set against its invoice, i.e. the invoice's
settlement date), the outcomes recorded on dunning actions (derived from the drawn date:
a promise to pay names a date near it, or an earlier, broken one), advances (compte 419:
received before the invoice whose net amount they reduce, ``applied_date`` = its issue
date; a few still held at the end) and unbilled deliveries near the end.

The window runs from the first day of ``start``'s month for ``n_months`` months; its
last day is ``Simulation.end`` (the "today" of the ledger). Invoices whose drawn payment
date falls after it are open (right-censored) and their later payments are not written;
the uncensored draw is kept in the truth as ``drawn_paid_date``.

The simulation is vectorised with numpy (one loop per month) and deterministic for a
seed. Its modules follow the steps: :mod:`simulator.parameters` (what is asked, the
fixed laws), :mod:`simulator.clients` (clients drawn), :mod:`simulator.month` (a month
of invoices and their payment dates), :mod:`simulator.payments` (credit notes,
instalments, relances, advances), :mod:`simulator.truth` (the closed-form truth),
:mod:`simulator.tables` (the contract tables), :mod:`simulator.run` (:func:`simulate`),
:mod:`simulator.files` (writing them) and :mod:`simulator.bank_statement` (a bank
statement of a simulated ledger, for lettrage). The simulator imports the ledger, never
the reverse.
"""

from simulator.files import write_simulation
from simulator.parameters import (
    DUNNING_PLANS,
    KEY_ACCOUNT_SLOWER,
    PAY_CALENDARS,
    PUBLIC_SLOWER,
    TENDENCY_CENTRE,
    TENDENCY_SD,
    Simulation,
    SimulationConfig,
)
from simulator.run import expected_invoices, simulate
from simulator.truth import tendency_mean, true_p_late_shifted, true_paid_by

__all__ = [
    "DUNNING_PLANS",
    "KEY_ACCOUNT_SLOWER",
    "PAY_CALENDARS",
    "PUBLIC_SLOWER",
    "TENDENCY_CENTRE",
    "TENDENCY_SD",
    "Simulation",
    "SimulationConfig",
    "expected_invoices",
    "simulate",
    "tendency_mean",
    "true_p_late_shifted",
    "true_paid_by",
    "write_simulation",
]
