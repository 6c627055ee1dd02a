"""``/ui/models``: each model's champion and challenger, their figures beside the
baselines, their calibration and ROC pictures, who promoted what when, each version's
model card (``/ui/models/cards/{name}/{version}``, the HTML its training logged) and the
alerts of the late-payment champion's monitoring (``GET /v1/monitoring``).

The registry's versions are :func:`serving.services.model_boards`'s (the registry that
``encours models`` lists); the version served is the API's (``GET /v1/models``). The
pictures are the PNG files each training run logged (``plots/`` in MLflow), served from the
registry by this process: the runs log their curves as pictures only, not as data, so the
page shows them as they were drawn rather than redrawing them.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from serving import services
from serving.api.deps import StateDep, get_snapshot
from serving.api.state import AppState
from serving.pages.views import Page, PageDep, PageError, render, require_page_role
from serving.services import Context, ModelUnavailable
from serving.services.monitoring import ALERT_WORDS, Monitoring, kept_monitoring, watched_day
from training.models import LATE_MODEL, ONBOARDING_MODEL, TIME_MODEL
from training.registry import NoChampion, NoSuchVersion, RegistryError

router = APIRouter(prefix="/ui", include_in_schema=False)
MODEL_WORDS = {
    LATE_MODEL: "Late payment",
    TIME_MODEL: "Payment time",
    ONBOARDING_MODEL: "Onboarding",
}
"""The models' names in English words."""
FIGURE_WORDS = {
    "roc_auc": "ROC AUC (higher is better)",
    "pr_auc": "PR AUC (higher is better)",
    "brier": "Brier score (lower is better)",
    "ece": "calibration error (lower is better)",
    "mae_days": "MAE in days (lower is better)",
    "rmse_days": "RMSE in days (lower is better)",
    "coverage_p10_p90": "P10–P90 coverage (80 % expected)",
}
"""The figures' names in English words."""
BASELINE_WORDS = {
    "logistic_regression": "logistic regression",
    "client_last_delay": "client's last delay",
    "due_date": "paid on the due date",
}
"""The baselines' names in English words."""
PLOT_WORDS = {
    "calibration.png": "Calibration curve",
    "roc.png": "ROC curve",
    "payment_dates.png": "Payment dates, expected and actual",
    "lift.png": "Worklist lift",
    "shap_summary.png": "SHAP summary",
}
"""The pictures a training run logs (:mod:`training.plots`), in English words."""
ALIAS_WORDS = {"champion": "champion", "challenger": "challenger"}
"""The registry's aliases in English words."""
SHARES = frozenset({"coverage_p10_p90"})
DAYS = frozenset({"mae_days", "rmse_days"})


def _monitoring(ctx: Context, state: AppState) -> Monitoring | None:
    """The champion's monitoring at the ledger's last issue date (today on a ledger kept up
    to date; a past ledger's own today), kept as ``GET /v1/monitoring`` keeps it, with the
    gauges set; None when no late-payment model is served or the database cannot say."""
    try:
        made = kept_monitoring(ctx, state.engine, watched_day(ctx.ledger))
    except (ModelUnavailable, SQLAlchemyError):
        return None
    state.metrics.show_monitoring(made.gauges(), made.feature_psi)
    return made


def _unreadable(page: Page, exc: RegistryError) -> PageError:
    return PageError(503, page.words("The model registry cannot be read: {error}", error=str(exc)))


@router.get("/models")
async def models_page(page: PageDep, state: StateDep) -> Response:
    """Every model's champion and challenger, read from the registry off the event loop."""
    require_page_role(page, "viewer")
    served = state.models
    try:
        boards = await run_in_threadpool(
            services.model_boards, state.settings, served, state.registry_reads
        )
    except RegistryError as exc:
        raise _unreadable(page, exc) from None
    ctx = Context(await get_snapshot(state), served, state.settings, state.score_log)
    watched = await run_in_threadpool(_monitoring, ctx, state)
    return render(
        page,
        "models.html",
        monitoring=watched,
        alert_words=ALERT_WORDS,
        boards=boards,
        served=served,
        model_words=MODEL_WORDS,
        figure_words=FIGURE_WORDS,
        baseline_words=BASELINE_WORDS,
        plot_words=PLOT_WORDS,
        alias_words=ALIAS_WORDS,
        shares=SHARES,
        days=DAYS,
        shown_plots=services.models.SHOWN_PLOTS,
    )


@router.get("/models/plots/{name}/{version}/{file}")
async def model_plot(
    page: PageDep, state: StateDep, name: str, version: str, file: str
) -> Response:
    """A picture a model's training run logged (calibration, ROC...), from the registry."""
    require_page_role(page, "viewer")
    try:
        content = await run_in_threadpool(services.model_plot, state.settings, name, version, file)
    except KeyError:
        raise PageError(404, page.words("No such picture: {file}.", file=file)) from None
    except RegistryError as exc:
        raise _unreadable(page, exc) from None
    return Response(
        content, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/models/cards/{name}/{version}")
async def model_card(page: PageDep, state: StateDep, name: str, version: str) -> Response:
    """The model card of a version (a number, or ``champion``, ``challenger``) as one HTML
    page in the page's language: the one its training logged, else one built from its run."""
    require_page_role(page, "viewer")
    lang = page.words.lang
    try:
        found = await run_in_threadpool(services.model_card, state.settings, name, version, lang)
    except (KeyError, NoSuchVersion, NoChampion):
        message = page.words(
            "No model card: {name} has no version {version}.", name=name, version=version
        )
        raise PageError(404, message) from None
    except RegistryError as exc:
        raise _unreadable(page, exc) from None
    return HTMLResponse(found.html, headers={"Cache-Control": "private, no-cache"})
