"""One language per output: every text the commands print has its French, figures follow
the language's conventions, and ``ENCOURS_LANG`` switches the whole of an output."""

from __future__ import annotations

import ast
import datetime as dt
import string
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config.french import FRENCH
from config.language import ACTION_WORDS, PROFILE_WORDS, Words, language_of
from encours.cli import app
from encours.settings import Settings, get_settings
from ledger.files import write_ledger
from serving.risk_score import DESCRIPTIONS
from tests.ledger.factories import small_ledger

CLI = Path(__file__).parents[2] / "encours" / "cli"
NARROW = "\u202f"  # CLDR's French thousands separator
NO_BREAK = "\xa0"  # and the space before its percent sign


def test_french_figures() -> None:
    w = Words("fr")
    assert w.money(Decimal("1234567.5")) == f"1{NARROW}234{NARROW}567,50"
    assert w.number(1234.56) == f"1{NARROW}235"
    assert w.percent(0.125) == f"12{NO_BREAK}%"  # 12.5 rounds half to even
    assert w.percent(0.125, 1) == f"12,5{NO_BREAK}%"
    assert w.date(dt.date(2026, 3, 7)) == "07/03/2026"
    assert w.moment(dt.datetime(2026, 3, 7, 9, 5)) == "07/03/2026 09:05"


def test_english_figures() -> None:
    w = Words("en")
    assert w.money(Decimal("1234567.5")) == "1,234,567.50"
    assert w.percent(0.125, 1) == "12.5%"
    assert w.date(dt.datetime(2026, 3, 7, 23, 59)) == "2026-03-07"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_missing_figure_is_a_dash(lang: str) -> None:
    w = Words(language_of(lang))
    assert w.money(None) == w.number(float("nan")) == w.percent(float("inf")) == "—"
    assert w.date(None) == w.date(float("nan")) == w.moment(None) == "—"


def test_words_are_translated_then_filled() -> None:
    french, english = Words("fr"), Words("en")
    assert french("{n} rows", n="3") == "3 lignes"
    assert english("{n} rows", n="3") == "3 rows"
    assert french.action("formal_notice") == "mise en demeure"
    assert english.profile("public_sector") == "public sector"
    with pytest.raises(KeyError):
        french("a text nobody translated")


@pytest.mark.parametrize(
    ("value", "lang"), [("fr", "fr"), ("en", "en"), ("en_GB", "en"), ("EN-us", "en"), ("de", "fr")]
)
def test_language_of(value: str, lang: str) -> None:
    assert language_of(value) == lang


def test_the_setting_is_french_by_default_and_refuses_other_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ENCOURS_LANG", raising=False)
    assert Settings(_env_file=None).lang == "fr"  # type: ignore[call-arg]
    monkeypatch.setenv("ENCOURS_LANG", "de")
    with pytest.raises(ValueError, match="lang"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def _texts_in(tree: ast.AST) -> set[str]:
    """English texts a module translates: the string given to ``w(...)`` or ``words()(...)``,
    and the strings of a tuple that a comprehension translates one by one (``w(h) for h in
    (...)``, the tuple written there or named in the same function)."""
    found: set[str] = set()
    tuples: dict[str, ast.Tuple] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    tuples[target.id] = node.value
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _translates(node) and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
        if isinstance(node, ast.GeneratorExp | ast.ListComp) and any(
            isinstance(n, ast.Call) and _translates(n) for n in ast.walk(node.elt)
        ):
            source = node.generators[0].iter
            if isinstance(source, ast.Name) and source.id in tuples:
                source = tuples[source.id]
            if isinstance(source, ast.Tuple):
                found |= {e.value for e in source.elts if isinstance(e, ast.Constant)}
    return found


def _translates(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id == "w"
    return (
        isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "words"
    )


def test_every_text_the_commands_translate_has_its_french() -> None:
    texts = set().union(*(_texts_in(ast.parse(p.read_text())) for p in CLI.glob("*.py")))
    assert len(texts) > 60  # the scan finds the commands' texts
    texts |= set(ACTION_WORDS.values()) | set(PROFILE_WORDS.values()) | set(DESCRIPTIONS.values())
    texts |= {"applied", "review", "rejected"}  # lettrage statuses
    assert sorted(texts - set(FRENCH)) == []


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_french_keeps_every_placeholder_and_markup() -> None:
    for english, french in FRENCH.items():
        assert _fields(french) == _fields(english), english
        assert french.count("[bold]") == english.count("[bold]"), english


@pytest.fixture
def ledger_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENCOURS_DATABASE_URL", f"sqlite:///{tmp_path}/ledger.db")
    monkeypatch.setenv("ENCOURS_MODELS_DIR", str(tmp_path / "models"))
    write_ledger(small_ledger(), tmp_path / "files")
    return tmp_path / "files"


@pytest.mark.parametrize(
    ("lang", "said", "not_said"),
    [
        (
            "fr",
            ["Indicateurs au 15/03/2024", "550,50", "taux de recouvrement (365 jours)"],
            ["days"],
        ),
        ("en", ["KPIs at 2024-03-15", "550.50", "collection rate (365 days)"], ["jours", "échu"]),
    ],
)
def test_kpis_speak_one_language(
    ledger_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    lang: str,
    said: list[str],
    not_said: list[str],
) -> None:
    monkeypatch.setenv("ENCOURS_LANG", lang)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["import", str(ledger_db), "--json"]).exit_code == 0
        shown = runner.invoke(app, ["kpis", "--as-of", "2024-03-15"], env={"COLUMNS": "200"})
    finally:
        get_settings.cache_clear()
    assert shown.exit_code == 0, shown.output
    for text in said:
        assert text in shown.output
    for text in not_said:
        assert text not in shown.output
