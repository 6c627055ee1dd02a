"""Model cards: their window and counts by hand, their figures the run's own, logged at
training, shown by ``encours models --card`` and linked from ``/ui/models``.

The trained store (:mod:`tests.serving.trained_store`) holds version 1 of each model, as
``encours train`` leaves it (its card logged), and late-payment version 2 registered
without a card, as a version trained before cards existed.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from config.french import FRENCH
from config.language import Language, Words
from encours.cli import app
from encours.settings import get_settings
from ledger.contract import Ledger
from tests.ledger.factories import dates, small_ledger
from tests.serving.conftest import Store, keys_for
from training import card_text
from training.dataset import out_of_time_split
from training.model_card import (
    CARD_JSON,
    FIGURES,
    ModelCard,
    RegisteredCard,
    calibration_table,
    card_file,
    data_counts,
    data_window,
    registered_card,
    settlement_gaps,
)
from training.models import LATE_MODEL, MODEL_NAMES, ONBOARDING_MODEL, TIME_MODEL

runner = CliRunner()


# --- by hand, on a small ledger -----------------------------------------------------------


def _ledger() -> Ledger:
    """Three clients, six invoices and a credit note; C3 first buys after the cut-off."""
    base = small_ledger()
    clients = pd.concat(
        [base.clients, base.clients.iloc[[1]].assign(client_id="C3")], ignore_index=True
    )
    n = 7
    invoices = pd.DataFrame(
        {
            "invoice_id": ["F6", "F1", "F3", "A1", "F2", "F4", "F5"],
            "client_id": ["C1", "C1", "C1", "C1", "C2", "C2", "C3"],
            "issue_date": dates(
                "2024-01-05",
                "2024-01-10",
                "2024-01-20",
                "2024-01-20",
                "2024-02-01",
                "2024-02-20",
                "2024-03-01",
            ),
            "due_date": dates(
                "2024-01-20",
                "2024-02-09",
                "2024-02-05",
                "2024-02-19",
                "2024-03-02",
                "2024-03-20",
                "2024-03-31",
            ),
            "amount_cents": pd.array([50_000, 120_000, 80_000, 10_000, 55_050, 30_000, 20_000]),
            "currency": ["EUR"] * n,
            "doc_type": ["invoice"] * 3 + ["credit_note"] + ["invoice"] * 3,
            "disputed": [False] * n,
            "paid_date": dates(
                "2024-01-22",
                "2024-02-20",
                "2024-02-01",
                "2024-02-20",
                None,
                "2024-03-25",
                "2024-03-15",
            ),
            "written_off": [False] * n,
            "credited_invoice_id": [None, None, None, "F1", None, None, None],
            "x_channel": ["edi"] * n,
        }
    )
    invoices["amount_cents"] = invoices["amount_cents"].astype("Int64")
    return Ledger(clients, invoices, base.payments, base.advances, base.unbilled, base.actions)


def test_the_card_names_the_window_and_counts_computed_by_hand() -> None:
    ledger = _ledger()
    # The ledger's last date is F4's payment, 2024-03-25: outcomes known until then.
    split = out_of_time_split(ledger, pd.Timestamp("2024-02-15"), pd.Timestamp("2024-03-26"))
    assert data_window(split) == {
        "train_from": "2024-01-05",  # F6
        "train_to": "2024-02-01",  # F2 (the credit note A1 is no invoice)
        "cutoff": "2024-02-15",
        "test_to": "2024-03-01",  # F5
        "known_until": "2024-03-25",
    }
    assert data_counts(split) == {
        "train_invoices": 4,  # F6, F1, F3, F2
        # due before the cut-off: F6 (paid 01-22, late), F1 (open at the cut-off: late),
        # F3 (paid 02-01, on time); F2 falls due after it
        "train_labelled": 3,
        "train_clients": 2,  # C1, C2
        "test_invoices": 2,  # F4, F5
        "test_clients": 2,  # C2, C3
        "unseen_invoices": 1,  # F5
        "unseen_clients": 1,  # C3
    }
    # C1 settled on 01-22 and 02-01 before the cut-off (F1 on 02-20, after): one gap of 10
    # days; C2 settled nothing before it.
    assert settlement_gaps(split.train, split.cutoff) == {
        "gap_median_days": 10.0,
        "gap_p90_days": 10.0,
    }


def test_the_calibration_table_bins_by_hand() -> None:
    y = np.array([0, 1, 0, 1, 1, np.nan])
    p = np.array([0.1, 0.3, 0.6, 0.7, 0.9, 0.5])  # the unknown outcome is left out
    # Two bins of equal size over the five known: {0.1, 0.3} and {0.6, 0.7, 0.9} (the median,
    # 0.6, opens the second).
    table = calibration_table(y, p, bins=2)
    assert table == [
        {"predicted": pytest.approx(0.2), "observed": 0.5, "n": 2},
        {"predicted": pytest.approx(2.2 / 3), "observed": pytest.approx(2 / 3), "n": 3},
    ]


# --- every text has its French ------------------------------------------------------------


def _translated(tree: ast.AST) -> set[str]:
    """The English texts given to ``w(...)`` or ``self.w(...)``."""
    found = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        func = node.func
        named = isinstance(func, ast.Name) and func.id == "w"
        named |= isinstance(func, ast.Attribute) and func.attr == "w"
        first = node.args[0]
        if named and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


def test_every_text_of_the_cards_has_its_french() -> None:
    texts = _translated(ast.parse(Path(card_text.__file__).read_text()))
    assert "Model card: {name} v{version}" in texts and len(texts) > 30
    pattern = re.compile(r"(?<![\w.])w\(\s*([\"'])((?:(?!\1).)*)\1", re.S)
    for template in card_text.TEMPLATES.iterdir():
        texts |= {m.group(2) for m in pattern.finditer(template.read_text())}
    words = (
        card_text.MODEL_WORDS,
        card_text.BASELINE_WORDS,
        card_text.DIRECTION_WORDS,
        card_text.MISSING_WORDS,
        card_text.SINGLE_WORDS,
    )
    texts |= {t for d in words for t in d.values()}
    assert sorted(texts - set(FRENCH)) == []


# --- on the trained store -----------------------------------------------------------------


@pytest.fixture(scope="module")
def card_of(
    trained_store: Store,
) -> Callable[[str, str, Language], RegisteredCard]:
    """The registered card of a version in a language, read from the store once."""
    read: dict[tuple[str, str, Language], RegisteredCard] = {}

    def card(name: str, version: str, lang: Language = "en") -> RegisteredCard:
        if (name, version, lang) not in read:
            uri = trained_store.settings.tracking_uri
            read[name, version, lang] = registered_card(name, version, lang, uri)
        return read[name, version, lang]

    return card


def _run(store: Store, name: str, version: str) -> Any:
    uri = store.settings.tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    return client.get_run(client.get_model_version(name, version).run_id)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_the_cards_figures_are_the_runs_logged_metrics(
    trained_store: Store,
    card_of: Callable[..., RegisteredCard],
    name: str,
) -> None:
    found = card_of(name, "1")
    assert found.logged
    card, run = found.card, _run(trained_store, name, "1")
    logged = run.data.metrics
    assert card.figures == {k: logged.get(k) for k in FIGURES[name]}
    assert any(v is not None for v in card.figures.values())
    if name != ONBOARDING_MODEL:
        assert card.baselines["due_date"] == {k: logged.get(f"due_date_{k}") for k in FIGURES[name]}
    assert card.window["cutoff"] == run.data.params["cutoff"]
    assert card.counts["test_invoices"] + card.counts["train_invoices"] > 0
    assert card.missing == []
    # the Markdown shows them as the models page does, three decimals
    shown = card_text.CardText(card, Words("en"))
    key = FIGURES[name][0]
    assert f"| {shown.figure(key, logged[key])} |" in found.markdown


@pytest.mark.slow
def test_the_late_payment_card_says_which_candidate_won_and_how_stale_effects_get(
    trained_store: Store,
    card_of: Callable[..., RegisteredCard],
) -> None:
    found = card_of(LATE_MODEL, "1")
    card, params = found.card, _run(trained_store, LATE_MODEL, "1").data.params
    assert card.choice is not None and card.choice["chosen"] == params["chosen_model"]
    assert f"{card.choice['chosen']} had the lowest log loss" in found.markdown
    assert card.client_effect["kind"] in ("updated", "static", "none")
    assert "Client effect" in found.markdown or "No client effect" in found.markdown
    # the test's counts are the evaluation report's
    report = json.loads(
        Path(_run(trained_store, LATE_MODEL, "1").info.artifact_uri.removeprefix("file://"))
        .joinpath("evaluation.json")
        .read_text()
    )
    assert card.counts["test_invoices"] == report["n"]
    assert (
        len(card.calibration) > 1
        and sum(b["n"] for b in card.calibration) == report["n_late_known"]
    )
    directions = {f["name"]: f["direction"] for f in card.features}
    assert directions["hist_share_late"] == 1 and directions["hist_days_since_last_late"] == -1


@pytest.mark.slow
def test_the_card_is_logged_in_both_languages(
    trained_store: Store,
    card_of: Callable[..., RegisteredCard],
) -> None:
    uri = trained_store.settings.tracking_uri
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    run_id = client.get_model_version(TIME_MODEL, "1").run_id
    logged = {a.path for a in client.list_artifacts(run_id, "card")}
    wanted = {card_file(lang, fmt) for lang in ("fr", "en") for fmt in ("md", "html")}
    assert {CARD_JSON, *wanted} <= logged
    french = card_of(TIME_MODEL, "1", "fr")
    assert french.markdown.startswith("# Fiche modèle : payment-time v1")
    assert "Limites connues" in french.html and 'lang="fr"' in french.html


@pytest.mark.slow
def test_a_version_from_before_cards_gets_one_built_from_its_run(
    trained_store: Store,
    card_of: Callable[..., RegisteredCard],
) -> None:
    found = card_of(LATE_MODEL, "2")
    assert not found.logged
    logged = _run(trained_store, LATE_MODEL, "2").data.metrics
    assert found.card.figures == {k: logged.get(k) for k in FIGURES[LATE_MODEL]}
    # its run logged figures and features, not the report, the split nor the directions
    assert {"report", "window", "counts", "directions", "choice"} <= set(found.card.missing)
    assert "features" not in found.card.missing and found.card.features
    assert "registered before model cards existed" in found.markdown
    assert "the numbers of training invoices and of clients" in found.html
    assert ModelCard.from_json(found.card.as_json()) == found.card


@pytest.fixture(scope="module")
def cli_env(
    trained_store: Store,
) -> Iterator[dict[str, str]]:
    """The commands' environment on the trained store."""
    settings = trained_store.settings
    env = {
        "ENCOURS_DATABASE_URL": settings.database_url,
        "ENCOURS_MODELS_DIR": str(settings.models_dir),
        "COLUMNS": "160",
    }
    get_settings.cache_clear()
    yield env
    get_settings.cache_clear()


def _cards(env: dict[str, str], *args: str, lang: str = "en") -> Any:
    get_settings.cache_clear()
    return runner.invoke(app, ["models", *args], env=env | {"ENCOURS_LANG": lang})


@pytest.mark.slow
def test_encours_models_card_prints_it(cli_env: dict[str, str]) -> None:
    shown = _cards(cli_env, "--card", "1")
    assert shown.exit_code == 0, shown.output
    assert "Model card: late-payment v1" in shown.output
    assert "Known limits" in shown.output and "hist_share_late" in shown.output
    french = _cards(cli_env, "--card", "champion", "--model", "payment-time", lang="fr")
    assert french.exit_code == 0, french.output
    assert "Fiche modèle : payment-time v1" in french.output
    as_json = json.loads(_cards(cli_env, "--card", "2", "--json").stdout)
    assert as_json["version"] == "2" and as_json["logged"] is False
    assert "window" in as_json["missing"]


@pytest.mark.slow
def test_an_unknown_version_or_model_gets_a_clear_error(cli_env: dict[str, str]) -> None:
    shown = _cards(cli_env, "--card", "9")
    assert shown.exit_code == 1
    assert "late-payment has no version 9; its versions: 1, 2." in shown.output
    french = _cards(cli_env, "--card", "nine", "--model", "onboarding", lang="fr")
    assert french.exit_code == 1
    assert "onboarding n'a pas de version nine ; ses versions : 1." in french.output
    wrong = _cards(cli_env, "--card", "1", "--model", "late")
    assert wrong.exit_code == 2 and "Unknown model: late" in wrong.output


@pytest.mark.slow
def test_the_models_page_links_each_versions_card(
    trained_store: Store,
    tmp_path: Path,
) -> None:
    from tests.serving.test_pages import client_of, signed_in

    source = trained_store.settings.database_url.removeprefix("sqlite:///")
    shutil.copy(source, tmp_path / "ledger.db")
    settings = trained_store.settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path}/ledger.db"}
    )
    keys = keys_for(settings)
    with client_of(settings) as client:
        signed_in(client, keys["viewer"])
        page = client.get("/ui/models?lang=en")
        assert page.status_code == 200
        for name, version in ((LATE_MODEL, "1"), (LATE_MODEL, "2"), (TIME_MODEL, "1")):
            assert f'href="/ui/models/cards/{name}/{version}"' in page.text
        card = client.get(f"/ui/models/cards/{LATE_MODEL}/1?lang=fr")
        assert card.status_code == 200 and card.headers["content-type"].startswith("text/html")
        assert "Fiche modèle : late-payment v1" in card.text and "<svg" in card.text
        logged = _run(trained_store, LATE_MODEL, "1").data.metrics
        cell = re.search(r'data-figure="roc_auc">([^<]+)<', card.text)
        assert cell is not None
        assert cell.group(1) == Words("fr").number(logged["roc_auc"], 3)
        missing = client.get(f"/ui/models/cards/{LATE_MODEL}/7?lang=en")
        assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
        assert "No model card: late-payment has no version 7." in missing.text
        assert client.get("/ui/models/cards/nothing/1").status_code == 404


def _card(**changes: Any) -> ModelCard:
    """A late-payment card of a small ledger, as :func:`card_from_logged` would make it."""
    base: dict[str, Any] = {
        "name": LATE_MODEL,
        "version": "4",
        "window": {"cutoff": "2025-07-01", "test_to": "2025-12-30"},
        "counts": {"train_labelled": 380, "unseen_invoices": 12, "unseen_clients": 2},
        "features": [],
        "figures": {"roc_auc": 0.81},
        "baselines": {},
        "unseen": {"roc_auc": 0.7},
        "oracle": {},
        "calibration": [],
        "plots": [],
        "choice": None,
        "client_effect": {"kind": "none"},
    }
    return ModelCard.from_json(base | changes)


def test_the_limits_say_how_stale_a_client_effect_gets_and_what_the_update_does() -> None:
    effect = {"kind": "updated", "gap_median_days": 21.0, "gap_p90_days": 64.0}
    limits = card_text.CardText(_card(client_effect=effect), Words("en")).limits()
    said = next(s for s in limits if s.startswith("Client effects"))
    assert "never staler than the client's last settlement" in said
    assert "21 days apart at the median, 64 days at the 90th percentile" in said
    assert "keeps its effect of 2025-07-01" in said
    static = card_text.CardText(_card(client_effect={"kind": "static"}), Words("fr")).limits()
    assert any("non mise à jour" in s and "01/07/2025" in s for s in static)
    assert any(s.startswith("Small ledger: 380 invoices") for s in limits)


def test_a_ledger_too_small_to_learn_from_says_the_late_rate_is_served() -> None:
    validation = {
        "base_rate": {"log_loss": 0.61, "roc_auc": 0.5, "brier": 0.21},
        "linear": {"log_loss": 0.66, "roc_auc": 0.58, "brier": 0.23},
    }
    choice = {"chosen": "base_rate", "origins": ["2025-03-01"], "validation": validation}
    text = card_text.CardText(_card(choice=choice), Words("en"))
    assert text.choice().startswith("No candidate beat the training period's late rate")
    assert "(log loss 0.6100)" in text.choice()
    assert [name for name, _ in text.choice_rows()] == ["base_rate", "linear"]
