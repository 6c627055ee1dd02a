"""A model card in words: Markdown and HTML, in French or English.

The sentences are made here, once, from the card's data (:class:`ModelCard`), in the
language asked (:class:`config.language.Words`, their French in :mod:`config.french`);
the two Jinja2 templates of ``training/templates/`` lay them out, as Markdown for the
terminal (``encours models --card``) and as one self-contained HTML page (its calibration
plot drawn in SVG from the card's table, or the run's PNG inlined for an older version)
for the browser and MLflow's artifact view.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from config.language import LANGUAGES, MISSING, Language, Words
from training.model_card import CARD_JSON, FIGURES, ModelCard, card_file
from training.models import LATE_MODEL, ONBOARDING_MODEL, TIME_MODEL

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"
Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")
SMALL_LEDGER = 1_000
"""Fewer training invoices with a known outcome than this, and a card calls the ledger
small: its figures move by points from one test month to the next."""
SHARES = frozenset({"coverage_p10_p90"})
DAYS = frozenset({"mae_days", "rmse_days"})
MODEL_WORDS = {
    LATE_MODEL: "late-payment model",
    TIME_MODEL: "payment-time model",
    ONBOARDING_MODEL: "onboarding model",
}
BASELINE_WORDS = {
    "logistic_regression": "baseline: logistic regression",
    "client_last_delay": "baseline: client's last delay",
    "due_date": "baseline: paid on the due date",
    "kaplan_meier": "baseline: Kaplan–Meier",
    LATE_MODEL: "late-payment model",
}
DIRECTION_WORDS = {
    1: "up: likelier late as it grows",
    -1: "down: less likely late as it grows",
    0: "free",
    None: "no constraint (payment-time model)",
}
SINGLE_WORDS = {
    TIME_MODEL: "Not chosen among candidates: one model of its kind is trained, a discrete-time "
    "hazard LightGBM model, the open invoices counted as censored, its P10–P90 band "
    "recalibrated on held-back months.",
    ONBOARDING_MODEL: "Not chosen among candidates: one model of its kind is trained, a "
    "LightGBM model on the client's attributes and the invoice alone.",
}
"""What the models trained without a choice are, in English words."""
MISSING_WORDS = {
    "report": "the evaluation report (evaluation.json)",
    "window": "the first and last issue dates of the training and test invoices",
    "cutoff": "the cut-off",
    "counts": "the numbers of training invoices and of clients",
    "calibration": "the calibration table (the plot, if logged, is shown)",
    "features": "the features (features.json)",
    "directions": "the monotone directions of the features",
    "settlements": "how far apart clients' settlements were",
    "figures": "the out-of-time figures",
    "choice": "the rolling-origin choice of the model",
}
"""What an older run did not log, by :attr:`ModelCard.missing` code, in English words."""


@dataclass(frozen=True)
class CardText:
    """The sentences and formatted figures of ``card`` in the language of ``w``."""

    card: ModelCard
    w: Words

    # --- figures ------------------------------------------------------------------------

    def figure(self, key: str, value: float | None) -> str:
        """A figure as the models page writes it: shares in %, days to 0.1, else 0.001."""
        if key in SHARES:
            return self.w.percent(value, 1)
        return self.w.number(value, 1 if key in DAYS else 3)

    def date(self, iso: str | None) -> str:
        """An ISO date in the language's way; ``—`` when missing."""
        import datetime as dt

        return self.w.date(dt.date.fromisoformat(iso)) if iso else MISSING

    def count(self, key: str) -> str:
        """A count of the card; ``—`` when missing."""
        value = self.card.counts.get(key)
        return self.w.number(value) if value is not None else MISSING

    @property
    def keys(self) -> tuple[str, ...]:
        """The figures shown of this model."""
        return FIGURES[self.card.name]

    def figure_rows(self) -> list[tuple[str, list[str]]]:
        """The figures table: the model, its baselines, unseen clients, the truth."""
        card, w = self.card, self.w
        rows = [(w("this model"), [self.figure(k, card.figures.get(k)) for k in self.keys])]
        for name, figs in card.baselines.items():
            label = w(BASELINE_WORDS[name]) if name in BASELINE_WORDS else name
            rows.append((label, [self.figure(k, figs.get(k)) for k in self.keys]))
        if card.name != ONBOARDING_MODEL and any(v is not None for v in card.unseen.values()):
            cells = [self.figure(k, card.unseen.get(k)) for k in self.keys]
            rows.append((w("this model, clients unseen in training"), cells))
        if any(v is not None for v in card.oracle.values()):
            cells = [self.figure(k, card.oracle.get(k)) for k in self.keys]
            rows.append((w("simulator's truth (best possible)"), cells))
        return rows

    # --- sentences ----------------------------------------------------------------------

    def title(self) -> str:
        """``Model card: late-payment v3``."""
        card = self.card
        return self.w("Model card: {name} v{version}", name=card.name, version=card.version)

    def kind(self) -> str:
        """What the model is, in a few words."""
        return self.w(MODEL_WORDS[self.card.name])

    def registration(self) -> str | None:
        """Whether the version became champion when registered, and on what loss."""
        reg, w = self.card.registration, self.w
        if not reg:
            return None
        loss = str(reg.get("loss", ""))
        mine = self.figure(loss, reg.get("score"))
        if reg.get("champion_score") is None:
            return w(
                "Champion when registered: no champion to beat ({loss} {mine}).",
                loss=loss,
                mine=mine,
            )
        theirs = self.figure(loss, reg["champion_score"])
        if reg.get("promoted"):
            return w(
                "Champion when registered: its {loss} {mine} beat the champion's {theirs} on "
                "the same test.",
                loss=loss,
                mine=mine,
                theirs=theirs,
            )
        return w(
            "Challenger when registered: its {loss} {mine} did not beat the champion's "
            "{theirs} on the same test.",
            loss=loss,
            mine=mine,
            theirs=theirs,
        )

    def data(self) -> list[str]:
        """The data window and the counts."""
        card, w = self.card, self.w
        win = card.window
        return [
            w(
                "Trained on {n} invoices ({labelled} with a known outcome) of {clients} clients, "
                "issued from {start} to {last}; cut-off {cutoff}.",
                n=self.count("train_invoices"),
                labelled=self.count("train_labelled"),
                clients=self.count("train_clients"),
                start=self.date(win.get("train_from")),
                last=self.date(win.get("train_to")),
                cutoff=self.date(win.get("cutoff")),
            ),
            w(
                "Tested out of time on {n} invoices of {clients} clients issued from {cutoff} to "
                "{last}, their outcomes as known on {known}; {unseen} of them from {new} "
                "clients unseen in training.",
                n=self.count("test_invoices"),
                clients=self.count("test_clients"),
                cutoff=self.date(win.get("cutoff")),
                last=self.date(win.get("test_to")),
                known=self.date(win.get("known_until")),
                unseen=self.count("unseen_invoices"),
                new=self.count("unseen_clients"),
            ),
        ]

    def calibration_note(self) -> str:
        """What the calibration section shows, or why it shows no table."""
        card, w = self.card, self.w
        if card.calibration:
            subject = (
                w("the test invoices of clients unseen in training")
                if card.name == ONBOARDING_MODEL
                else w("the test invoices whose outcome is known")
            )
            return w(
                "Predicted probability of paying late against the share observed late, in bins "
                "of as many invoices, on {subject}. Perfect calibration: the two columns equal.",
                subject=subject,
            )
        if card.name == TIME_MODEL:
            return w(
                "The payment dates' calibration is their P10–P90 coverage: {coverage} of payments "
                "fell inside the band (80 % expected).",
                coverage=self.figure("coverage_p10_p90", card.figures.get("coverage_p10_p90")),
            )
        return w("This run logged no calibration table.")

    def choice(self) -> str:
        """Which candidate the rolling-origin validation chose, and why."""
        card, w = self.card, self.w
        if card.name != LATE_MODEL:
            return w(SINGLE_WORDS[card.name])
        choice = card.choice
        if not choice:
            return w("This run did not log a rolling-origin choice.")
        validation: dict[str, dict[str, float]] = choice.get("validation") or {}
        chosen = str(choice.get("chosen"))
        if not validation:
            return w(
                "Too few invoices before the cut-off to validate the candidates: the linear model "
                "is served, the safest on few invoices."
            )
        loss = self.w.number(validation[chosen]["log_loss"], 4)
        origins = ", ".join(self.date(o) for o in choice.get("origins") or [])
        if chosen == "base_rate":
            return w(
                "No candidate beat the training period's late rate on the validation windows "
                "(log loss {loss}): this ledger is too small to learn from, and the late rate "
                "itself is served.",
                loss=loss,
            )
        others = sorted((f["log_loss"], n) for n, f in validation.items() if n != chosen)
        said = w(
            "Chosen by rolling-origin validation inside the training period (origins {origins}): "
            "{chosen} had the lowest log loss on the invoices after each origin, {loss}.",
            origins=origins,
            chosen=chosen,
            loss=loss,
        )
        if others:
            runner_loss, runner = others[0]
            runner = w("Next came {name}, {loss}.", name=runner, loss=w.number(runner_loss, 4))
            said = f"{said} {runner}"
        return said

    def choice_rows(self) -> list[tuple[str, list[str]]]:
        """Every candidate's validation figures, best log loss first."""
        validation = (self.card.choice or {}).get("validation") or {}
        ranked = sorted(validation.items(), key=lambda item: item[1].get("log_loss", 1e9))
        return [
            (name, [self.w.number(f.get(k), 4) for k in ("log_loss", "roc_auc", "brier")])
            for name, f in ranked
        ]

    def direction(self, sign: int | None) -> str:
        """How late payment may move with a feature."""
        return self.w(DIRECTION_WORDS[sign]) if sign in DIRECTION_WORDS else MISSING

    def meaning(self, name: str) -> str:
        """A feature's meaning in the language, from the registry (your own columns too)."""
        from features.registry import REGISTRY
        from features.user import is_user_feature

        if name in REGISTRY:
            return REGISTRY[name].describe(self.w.lang)
        return self.w("your own column {name}", name=name) if is_user_feature(name) else ""

    def limits(self) -> list[str]:
        """Where the model falls short: unseen clients, small ledgers, stale client effects,
        time, and (payment dates) what the figures count."""
        said = [self._unseen_limit(), self._size_limit(), self._effect_limit(), self._time_limit()]
        if self.card.name == TIME_MODEL:
            said.append(
                self.w(
                    "mae_days counts the paid test invoices only; c_index_ipcw and "
                    "integrated_brier count the open ones too (censored): read them for the "
                    "slowest payers."
                )
            )
        return [s for s in said if s]

    def _unseen_limit(self) -> str:
        card, w = self.card, self.w
        if card.name == ONBOARDING_MODEL:
            return w(
                "Built for clients with no history: its figures are those of the {n} test "
                "invoices of {clients} clients unseen in training; once a client has settled "
                "invoices, the late-payment model speaks for it.",
                n=self.count("unseen_invoices"),
                clients=self.count("unseen_clients"),
            )
        key = "roc_auc" if card.name == LATE_MODEL else "mae_days"
        return w(
            "Clients unseen in training: {n} test invoices of {clients} clients. The model knows "
            "nothing of them but their attributes, the invoice and what they settled since: "
            "{figure} {unseen} on them, against {overall} on every test invoice.",
            n=self.count("unseen_invoices"),
            clients=self.count("unseen_clients"),
            figure=key,
            unseen=self.figure(key, card.unseen.get(key)),
            overall=self.figure(key, card.figures.get(key)),
        )

    def _size_limit(self) -> str:
        w, labelled = self.w, self.card.counts.get("train_labelled")
        if labelled is None:
            return w("This run did not log how many invoices it learned from.")
        if labelled < SMALL_LEDGER:
            return w(
                "Small ledger: {n} invoices with a known outcome to learn from. Its figures move "
                "by several points from one test month to the next; the rolling-origin choice "
                "serves the late rate itself when no model beats it.",
                n=w.number(labelled),
            )
        return w(
            "Learned from {n} invoices with a known outcome; a ledger of a few hundred invoices "
            "would give far less certain figures, and the late rate may then be served instead.",
            n=w.number(labelled),
        )

    def _effect_limit(self) -> str:
        card, w = self.card, self.w
        effect, cutoff = card.client_effect, self.date(card.window.get("cutoff"))
        kind = effect.get("kind")
        if card.name == ONBOARDING_MODEL:
            return w("No client effect and no history: nothing of a client can go stale.")
        if kind == "updated":
            return w(
                "Client effects: a per-client intercept learned before {cutoff}, frozen until "
                "the next training. At scoring it is moved by what the client settled since its "
                "last training invoice (an empirical-Bayes update read off the point-in-time "
                "history), so it is never staler than the client's last settlement: in the "
                "training period a client's successive settlements were {median} days apart at "
                "the median, {p90} days at the 90th percentile. A client that settles nothing "
                "keeps its effect of {cutoff}; the feature weights stay those learned before "
                "{cutoff} until the next training.",
                cutoff=cutoff,
                median=w.number(effect.get("gap_median_days")),
                p90=w.number(effect.get("gap_p90_days")),
            )
        if kind == "static":
            return w(
                "Client effects: a per-client intercept learned before {cutoff} and not updated "
                "at scoring: it is as old as the model, every day since {cutoff}. Retrain to "
                "refresh it.",
                cutoff=cutoff,
            )
        if kind == "none":
            return w(
                "No client effect: the model reads a client's habits from its point-in-time "
                "history features, recomputed at each scoring, so nothing of a client is "
                "frozen; only the feature weights stay those learned before {cutoff}.",
                cutoff=cutoff,
            )
        return w(
            "This run did not log which candidate it chose: whether a client effect ages is "
            "unknown."
        )

    def _time_limit(self) -> str:
        win = self.card.window
        return self.w(
            "Measured on invoices issued from {cutoff} to {last}: a downturn or a change of "
            "terms after that is not in these figures; retrain as the ledger moves on.",
            cutoff=self.date(win.get("cutoff")),
            last=self.date(win.get("test_to")),
        )

    def missing(self) -> list[str]:
        """What this (older) run did not log, in words."""
        return [self.w(MISSING_WORDS[m]) for m in self.card.missing if m in MISSING_WORDS]


def calibration_points(card: ModelCard, size: int = 300) -> list[tuple[float, float]]:
    """The calibration table as points of an SVG square of ``size`` (y grows downward)."""
    return [(b["predicted"] * size, (1 - b["observed"]) * size) for b in card.calibration]


@cache
def environment() -> Environment:
    """The templates' Jinja2 environment: HTML escaped, Markdown left as written."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_card(
    card: ModelCard, lang: Language, fmt: Format, calibration_png: bytes | None = None
) -> str:
    """``card`` as Markdown or HTML in ``lang``; ``calibration_png`` (the run's picture) is
    shown in the HTML where the card has no calibration table to draw."""
    text = CardText(card, Words(lang))
    picture = (
        "data:image/png;base64," + base64.b64encode(calibration_png).decode()
        if calibration_png and not card.calibration
        else None
    )
    values: dict[str, Any] = {
        "card": card,
        "t": text,
        "w": text.w,
        "lang": lang,
        "points": calibration_points(card),
        "picture": picture,
    }
    return environment().get_template(f"model_card.{fmt}").render(**values)


def card_files(card: ModelCard) -> dict[str, str]:
    """What a run logs of its card: ``card.json``, and its Markdown and HTML in each language."""
    import json

    files = {CARD_JSON: json.dumps(card.as_json(), indent=2, ensure_ascii=False, allow_nan=False)}
    for lang in LANGUAGES:
        for fmt in FORMATS:
            files[card_file(lang, fmt)] = render_card(card, lang, fmt)
    return files
