"""Model cards: what each registered version learned from, how it scored, where it falls short.

A card is built from what the version's run logs, so that its figures are the run's own:
the metrics MLflow holds (the model's and the baselines', ``<baseline>_<figure>``), the
evaluation report (clients unseen in training, the simulator's truth, the rolling-origin
choice) and the parameters (cut-off, chosen candidate). At training time the split adds
what the run does not log as figures (:func:`training_facts`): the data window, the
numbers of invoices and clients, every feature and its monotone direction, a calibration
table and how far apart a client's settlements were. The card travels with the model
(``card/card.json`` and its Markdown and HTML in each language, :mod:`training.card_text`).

A version registered before cards existed gets its card from what its run logged
(:func:`card_from_logged`), and the card lists what is missing (:attr:`ModelCard.missing`).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from training.models import LATE_MODEL, ONBOARDING_MODEL, TIME_MODEL

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from config.language import Language
    from training.dataset import Split
    from training.evaluation import Evaluation
    from training.models import FittedModels
    from training.registry import Registration, RunRecord

CARD_FOLDER = "card"
CARD_JSON = f"{CARD_FOLDER}/card.json"
EVALUATION_JSON = "evaluation.json"
CALIBRATION_PLOT = "plots/calibration.png"
FIGURES: dict[str, tuple[str, ...]] = {
    LATE_MODEL: ("roc_auc", "pr_auc", "brier", "ece", "accuracy"),
    TIME_MODEL: ("mae_days", "rmse_days", "coverage_p10_p90", "c_index_ipcw", "integrated_brier"),
    ONBOARDING_MODEL: ("roc_auc", "brier", "ece", "mae_days", "coverage_p10_p90"),
}
"""The figures a card shows of each model, as its run logs them."""
BASELINES = ("logistic_regression", "client_last_delay", "due_date", "kaplan_meier")
"""The baselines a run logs beside the model (``<baseline>_<figure>``)."""
ONBOARDING_BESIDE = ("due_date", "late-payment")
"""What the onboarding model is compared with, on the clients unseen in training."""
LOSSES = {LATE_MODEL: "brier", TIME_MODEL: "mae_days", ONBOARDING_MODEL: "brier"}
"""The loss on which a version is promoted (:mod:`training.train`)."""
CALIBRATION_BINS = 10
EFFECT_KINDS = {"client_effect": "updated", "client_effect_static": "static"}
"""The candidates that carry a per-client effect, and whether scoring updates it."""


def card_file(lang: str, fmt: str) -> str:
    """Where a run keeps its card in ``lang`` (``fr``, ``en``) as ``fmt`` (``md``, ``html``)."""
    return f"{CARD_FOLDER}/model_card.{lang}.{fmt}"


@dataclass(frozen=True)
class ModelCard:
    """One registered version's card, as data (``card.json``); words come at rendering."""

    name: str
    version: str
    window: dict[str, str | None]
    """``train_from``, ``train_to`` (issue dates of the training invoices), ``cutoff``,
    ``test_to`` (last test issue date), ``known_until`` (last day whose outcomes are known)."""
    counts: dict[str, int | None]
    features: list[dict[str, Any]]
    """``name``, ``family``, ``kind`` (number, category), ``direction`` (1, -1, 0 or None
    when the model keeps to none)."""
    figures: dict[str, float | None]
    baselines: dict[str, dict[str, float | None]]
    unseen: dict[str, float | None]
    """The model's figures on the test invoices of clients unseen in training."""
    oracle: dict[str, float | None]
    calibration: list[dict[str, float]]
    """Bins of the predicted late probability: ``predicted`` (mean), ``observed`` (share
    late), ``n`` (invoices)."""
    plots: list[str]
    choice: dict[str, Any] | None
    client_effect: dict[str, Any]
    """``kind`` (updated, static, none or None when not logged) and the settlements' gaps."""
    registration: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    """What the run did not log, by code (``window``, ``counts``...): older versions."""

    def as_json(self) -> dict[str, Any]:
        """The card as one JSON-ready object (a figure that is not finite is None)."""
        return dict(_finite(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ModelCard:
        """The card of ``card.json`` (fields it lacks take their defaults)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# --- at training time: the split's facts ------------------------------------------------


def _day(value: Any) -> str | None:
    """An ISO date, None for a missing one."""
    import pandas as pd

    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def data_window(split: Split) -> dict[str, str | None]:
    """The training and test windows of ``split``, as ISO dates."""
    import pandas as pd

    return {
        "train_from": _day(split.train["issue_date"].min()),
        "train_to": _day(split.train["issue_date"].max()),
        "cutoff": _day(split.cutoff),
        "test_to": _day(split.test["issue_date"].max()),
        "known_until": _day(split.end - pd.Timedelta(days=1)),
    }


def data_counts(split: Split) -> dict[str, int | None]:
    """Invoices (credit notes apart) and clients on each side of the cut-off; ``labelled``
    the training invoices whose outcome (late or not) was known at the cut-off."""
    from training.targets import late_outcome

    train, test = split.train, split.test
    unseen = split.unseen_test.to_numpy()
    return {
        "train_invoices": len(train),
        "train_labelled": int(late_outcome(train, split.cutoff).notna().sum()),
        "train_clients": int(train["client_id"].nunique()),
        "test_invoices": len(test),
        "test_clients": int(test["client_id"].nunique()),
        "unseen_invoices": int(unseen.sum()),
        "unseen_clients": int(test.loc[unseen, "client_id"].nunique()),
    }


def feature_lines(
    columns: list[str], constrained: bool, kinds: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Each column's name, family, kind (``number``, ``category``, as ``kinds`` says) and
    direction (None when the model is not ``constrained`` to the registered directions)."""
    from features.registry import REGISTRY, directions
    from features.user import FAMILY, is_user_feature

    signs = directions(columns)
    return [
        {
            "name": name,
            "family": REGISTRY[name].family
            if name in REGISTRY
            else (FAMILY if is_user_feature(name) else ""),
            "kind": (kinds or {}).get(name),
            "direction": sign if constrained else None,
        }
        for name, sign in zip(columns, signs, strict=True)
    ]


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Mean predicted probability against the observed late share, in ``bins`` bins of
    equal numbers of invoices (outcomes unknown, NaN, left out), as the calibration plot."""
    import numpy as np

    known = ~np.isnan(y)
    y, p = y[known], p[known]
    if len(y) == 0:
        return []
    edges = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
    return [
        {
            "predicted": float(p[which == b].mean()),
            "observed": float(y[which == b].mean()),
            "n": int((which == b).sum()),
        }
        for b in np.unique(which)
    ]


def settlement_gaps(train: pd.DataFrame, cutoff: pd.Timestamp) -> dict[str, float | None]:
    """Days between a client's successive settlement days before the cut-off: median and
    90th percentile, over every client. The updated client effect is as stale as the
    client's last settlement: these say how stale that is, in the training period."""
    paid = train.loc[train["paid_date"] < cutoff, ["client_id", "paid_date"]].drop_duplicates()
    gaps = paid.sort_values(["client_id", "paid_date"]).groupby("client_id")["paid_date"].diff()
    days = gaps.dropna().dt.days
    if days.empty:
        return {"gap_median_days": None, "gap_p90_days": None}
    return {
        "gap_median_days": float(days.median()),
        "gap_p90_days": float(days.quantile(0.9)),
    }


def effect_kind(model: Any) -> str:
    """``updated``, ``static`` or ``none``: whether ``model`` carries a per-client effect,
    and whether scoring moves it by what the client did since."""
    from training.client_effect import ClientEffectModel

    inner = getattr(model, "model", model)  # a calibrated candidate wraps its model
    if isinstance(inner, ClientEffectModel):
        return "updated" if inner.update else "static"
    return "none"


def training_facts(
    name: str, split: Split, evaluation: Evaluation, models: FittedModels
) -> dict[str, Any]:
    """What a card says beyond the run's figures: the window, the counts, the features
    and their directions, the calibration table and the client effect's staleness."""
    import numpy as np

    from training.registry import manifest

    out = evaluation.outcomes
    kinds = manifest(split.x_train)["kinds"]
    facts: dict[str, Any] = {"window": data_window(split), "counts": data_counts(split)}
    if name == LATE_MODEL:
        facts["features"] = feature_lines(list(split.x_train.columns), True, kinds)
        late = out.late
        facts["calibration"] = calibration_table(late, evaluation.compared["model"].p_late)
        facts["client_effect"] = {"kind": effect_kind(models.late)} | settlement_gaps(
            split.train, split.cutoff
        )
    elif name == ONBOARDING_MODEL:
        facts["features"] = feature_lines(split.onboarding_features, True, kinds)
        unseen = split.unseen_test.to_numpy()
        p = models.onboarding.predict_proba(split.x_test)[:, 1]
        facts["calibration"] = calibration_table(np.where(unseen, out.late, np.nan), p)
        facts["client_effect"] = {"kind": "none"}
    else:
        facts["features"] = feature_lines(list(split.x_train.columns), False, kinds)
        facts["calibration"] = []
        facts["client_effect"] = {"kind": "none"}
    return facts


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, however deep, replaced by None."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


# --- from what a run logged ---------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A figure as a float; None when missing or not finite."""
    import math

    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _keep(figures: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, float | None]:
    """``keys`` of ``figures``, each a float or None."""
    return {k: _number((figures or {}).get(k)) for k in keys}


def logged_baselines(
    name: str, metrics: Mapping[str, float], report: Mapping[str, Any]
) -> dict[str, dict[str, float | None]]:
    """The baselines' figures beside the model's, as the run logged them."""
    keys = FIGURES[name]
    if name == ONBOARDING_MODEL:
        unseen = report.get("unseen_clients") or {}
        return {b: _keep(unseen.get(b), keys) for b in ONBOARDING_BESIDE if b in unseen}
    return {
        b: {k: _number(metrics.get(f"{b}_{k}")) for k in keys}
        for b in BASELINES
        if any(f"{b}_{k}" in metrics for k in keys)
    }


def _logged_directions(params: Mapping[str, str]) -> dict[str, int] | None:
    """The monotone constraints a late-payment run logged (only the non-zero ones)."""
    text = params.get("monotone_constraints")
    if not text:
        return None
    try:
        logged = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return {str(k): int(v) for k, v in logged.items()} if isinstance(logged, dict) else None


def _logged_features(
    name: str, params: Mapping[str, str], features: Mapping[str, Any] | None
) -> tuple[list[dict[str, Any]], list[str]]:
    """The features of an older run (its ``features.json``), with the directions it logged."""
    if not features:
        return [], ["features"]
    columns = [str(c) for c in features.get("features", [])]
    kinds: Mapping[str, str] = features.get("kinds") or {}
    lines = feature_lines(columns, name != TIME_MODEL, kinds)
    missing = []
    if name == LATE_MODEL:
        logged = _logged_directions(params)
        for line in lines:
            line["direction"] = None if logged is None else logged.get(line["name"], 0)
        if logged is None:
            missing.append("directions")
    return lines, missing


def _logged_effect(name: str, params: Mapping[str, str]) -> dict[str, Any]:
    """The client effect of an older run, from the candidate it chose (when it said)."""
    if name != LATE_MODEL:
        return {"kind": "none"}
    chosen = params.get("chosen_model")
    if not chosen:
        return {"kind": None}
    return {"kind": EFFECT_KINDS.get(chosen.removesuffix("_calibrated"), "none")}


def _report_n(report: Mapping[str, Any]) -> int | None:
    """The number of test invoices an evaluation report counted, when it did."""
    n = report.get("n")
    return int(n) if isinstance(n, int | float) else None


def card_from_logged(
    name: str,
    version: str,
    params: Mapping[str, str],
    metrics: Mapping[str, float],
    report: Mapping[str, Any] | None,
    plots: list[str],
    facts: Mapping[str, Any] | None = None,
    features: Mapping[str, Any] | None = None,
) -> ModelCard:
    """The card of ``name`` v``version`` from what its run logged; ``facts`` those of
    :func:`training_facts` (at training time), else taken from the run where it can be,
    and listed in :attr:`ModelCard.missing` where it cannot."""
    report = report or {}
    keys = FIGURES[name]
    missing: list[str] = [] if report else ["report"]
    if facts is None:
        window = dict.fromkeys(("train_from", "train_to", "cutoff", "test_to", "known_until"))
        window["cutoff"] = params.get("cutoff")
        missing += ["window", "counts", "calibration"]
        if not window["cutoff"]:
            missing.append("cutoff")
        lines, gone = _logged_features(name, params, features)
        missing += gone
        counts = {"test_invoices": _report_n(report)}
        effect = _logged_effect(name, params)
        if effect["kind"] in ("updated", "static"):
            missing.append("settlements")
        facts = {"window": window, "counts": counts, "features": lines, "calibration": []}
        facts |= {"client_effect": effect}
    if not any(k in metrics for k in keys):
        missing.append("figures")
    if name == LATE_MODEL and not report.get("late_model_choice"):
        missing.append("choice")
    unseen = (report.get("unseen_clients") or {}).get(
        ONBOARDING_MODEL if name == ONBOARDING_MODEL else LATE_MODEL
    )
    return ModelCard(
        name=name,
        version=version,
        window=dict(facts["window"]),
        counts=dict(facts["counts"]),
        features=list(facts["features"]),
        figures={k: _number(metrics.get(k)) for k in keys},
        baselines=logged_baselines(name, metrics, report),
        unseen=_keep(unseen, keys),
        oracle=_keep(report.get("oracle"), keys) if report.get("oracle") else {},
        calibration=list(facts["calibration"]),
        plots=sorted(plots),
        choice=report.get("late_model_choice") if name == LATE_MODEL else None,
        client_effect=dict(facts["client_effect"]),
        missing=missing,
    )


# --- logged with the model ----------------------------------------------------------------


def log_cards(
    split: Split,
    evaluation: Evaluation,
    models: FittedModels,
    records: Mapping[str, RunRecord],
    registrations: list[Registration],
) -> dict[str, ModelCard]:
    """Build the card of each version just registered and log it into its run: ``card.json``
    and its Markdown and HTML in each language. Returns the cards by model name."""
    from training.card_text import card_files
    from training.logged_run import log_texts

    cards = {}
    for reg in registrations:
        record = records[reg.name]
        card = card_from_logged(
            reg.name,
            reg.version,
            {k: str(v) for k, v in record.params.items()},
            {k: v for k, v in record.metrics.items() if v == v},  # as MLflow keeps them
            record.report,
            [p.name for p in record.plots],
            training_facts(reg.name, split, evaluation, models),
        )
        loss = LOSSES[reg.name]
        unseen = evaluation.unseen_clients.get(ONBOARDING_MODEL) or {}
        score = (unseen if reg.name == ONBOARDING_MODEL else evaluation.metrics).get(loss)
        registration = {"promoted": reg.promoted, "loss": loss, "score": score}
        card = dataclasses.replace(
            card, registration=registration | {"champion_score": reg.champion_score}
        )
        log_texts(reg.run_id, card_files(card))
        cards[reg.name] = card
    return cards


# --- read back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisteredCard:
    """A registered version's card, and its Markdown and HTML in one language; ``logged``
    whether its run logged the card (else it was built from what the run logged)."""

    card: ModelCard
    markdown: str
    html: str
    logged: bool


def registered_card(
    name: str, version: str, lang: Language, tracking_uri: str | None = None
) -> RegisteredCard:
    """The card of ``name`` v``version`` (or of the version an alias names) in ``lang``: the
    one its run logged, else one built from its figures, report and features.

    Raises:
        NoSuchVersion: ``name`` has no such version.
        NoChampion: no version carries the alias asked for.
        RegistryUnavailable: the store or the files cannot be read.
    """
    import json

    from training.card_text import render_card
    from training.logged_run import logged_run
    from training.registry import FEATURES_FILE

    md, html = card_file(lang, "md"), card_file(lang, "html")
    wanted = (CARD_JSON, md, html, EVALUATION_JSON, FEATURES_FILE, CALIBRATION_PLOT)
    run = logged_run(name, version, wanted, tracking_uri)
    files = run.files
    if CARD_JSON in files:
        card = ModelCard.from_json(json.loads(files[CARD_JSON]))
        return RegisteredCard(
            card,
            files[md].decode() if md in files else render_card(card, lang, "md"),
            files[html].decode() if html in files else render_card(card, lang, "html"),
            logged=True,
        )
    card = card_from_logged(
        name,
        run.version,
        run.params,
        run.metrics,
        json.loads(files[EVALUATION_JSON]) if EVALUATION_JSON in files else None,
        [p.removeprefix("plots/") for p in run.paths if p.startswith("plots/")],
        features=json.loads(files[FEATURES_FILE]) if FEATURES_FILE in files else None,
    )
    png = files.get(CALIBRATION_PLOT)
    return RegisteredCard(
        card,
        render_card(card, lang, "md"),
        render_card(card, lang, "html", png),
        logged=False,
    )
