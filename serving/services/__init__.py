"""The service layer: one function per use, for the command line, the API and the pages.

A :class:`Context` holds what the uses read (a ledger snapshot, the features fitted on it,
the champions, the settings); each use computes and returns plain results, which the
commands and the routes only format. Where a use lives:

- :mod:`~serving.services.scores`: score invoices, sent or stored;
- :mod:`~serving.services.clients`: a client's risk, a prospect's first-order score;
- :mod:`~serving.services.client_sheet`: the client's sheet (fiche client) the pages show;
- :mod:`~serving.services.collection`: the relance worklist, the cash-in forecast;
- :mod:`~serving.services.ledger`: the KPIs and balance âgée (at a date, over the month
  ends, per client), the lettrage;
- :mod:`~serving.services.actions`: record a relance done;
- :mod:`~serving.services.models`: the registry's champions and challengers, their figures;
- :mod:`~serving.services.monitoring`: drift, matured performance and alerts of the champion;
- :mod:`~serving.services.retraining`: retrain on an alert, through the promotion gate.
"""

from __future__ import annotations

from serving.services.actions import Action, ActionBeforeInvoice, record_action
from serving.services.client_sheet import ClientSheet, client_sheet
from serving.services.clients import ClientRisk, ProspectScore, client_risk, prospect_score
from serving.services.collection import (
    ForecastAt,
    WorklistAt,
    forecast,
    forecast_backtest,
    worklist,
    worklist_collectors,
)
from serving.services.context import (
    Context,
    ModelUnavailable,
    champion,
    context_of,
    load_champions,
)
from serving.services.ledger import (
    aged_balance_clients,
    aged_balance_rows,
    aged_balance_trend,
    aged_balances,
    client_open_invoices,
    currencies,
    kpis,
    kpis_trend,
    lettrage,
    month_ends,
)
from serving.services.models import (
    ModelBoard,
    ModelVersion,
    model_boards,
    model_card,
    model_plot,
)
from serving.services.scores import (
    StoredScore,
    open_invoice_scores,
    score_invoices,
    score_stored,
)
from serving.worklist_filter import WorklistFilter

__all__ = [
    "Action",
    "ActionBeforeInvoice",
    "ClientRisk",
    "ClientSheet",
    "Context",
    "ForecastAt",
    "ModelBoard",
    "ModelUnavailable",
    "ModelVersion",
    "ProspectScore",
    "StoredScore",
    "WorklistAt",
    "WorklistFilter",
    "aged_balance_clients",
    "aged_balance_rows",
    "aged_balance_trend",
    "aged_balances",
    "champion",
    "client_open_invoices",
    "client_risk",
    "client_sheet",
    "context_of",
    "currencies",
    "forecast",
    "forecast_backtest",
    "kpis",
    "kpis_trend",
    "lettrage",
    "load_champions",
    "model_boards",
    "model_card",
    "model_plot",
    "month_ends",
    "open_invoice_scores",
    "prospect_score",
    "record_action",
    "score_invoices",
    "score_stored",
    "worklist",
    "worklist_collectors",
]
