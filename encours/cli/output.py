"""What the commands print: the consoles, one-line errors, JSON for scripts, figures, help.

Every command writes its ``--json`` through :func:`print_json` and its errors through
:func:`fail`, so that scripts read one format and people one kind of message.
"""

from __future__ import annotations

import inspect
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from config.language import MISSING

if TYPE_CHECKING:
    from config.language import Words

console = Console()
errors = Console(stderr=True)


def print_json(payload: Any) -> None:
    """``payload`` as indented, strict JSON on stdout: a missing figure is ``null``.

    Python writes NaN and infinities as ``NaN`` and ``Infinity``, which strict parsers (jq)
    refuse; they become ``null``, as do pandas' NA and NaT. Other values that JSON has no
    type for (dates, decimals, paths) are written as their text.
    """
    typer.echo(
        json.dumps(_finite(payload), indent=2, ensure_ascii=False, allow_nan=False, default=_text)
    )


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float, however deep, replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _text(value: Any) -> Any:
    """What JSON writes for a value it has no type for: a number, ``None`` or its text."""
    # A payload holds numpy or pandas values only when the command imported them.
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.generic):
        return _finite(value.item())
    pandas = sys.modules.get("pandas")
    if pandas is not None and (value is pandas.NA or value is pandas.NaT):
        return None
    return str(value)


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with ``message`` on stderr and exit code ``code``."""
    # One line whatever the terminal's width, and the message printed as it is, not markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def service_errors() -> Iterator[None]:
    """End the command in one line on what the service layer refuses: a client the ledger
    does not hold, a champion not served, relance scenarios that do not validate."""
    from ledger.errors import UnknownClient
    from serving.scenarios import ScenarioError
    from serving.services import ModelUnavailable

    try:
        yield
    except UnknownClient as exc:
        fail(f"client {exc.client_id!r} is not in the ledger")
    except (ModelUnavailable, ScenarioError) as exc:
        fail(str(exc))


def words() -> Words:
    """Words and figures in the language of the settings (``ENCOURS_LANG``, French by default)."""
    from config.language import Words
    from encours.settings import get_settings

    return Words(get_settings().lang)


def money(value: Decimal | float | None) -> str:
    """An amount with two decimals and thousands apart (``1 234,56``); ``—`` when missing."""
    return words().money(value)


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    """A figure with ``digits`` decimals, then ``unit`` (already translated); ``—`` when missing."""
    text = words().number(value, digits)
    return text if text == MISSING else f"{text}{unit}"


def figure(value: Any, digits: int = 3) -> str:
    """A model figure with ``digits`` decimals; ``—`` when missing or NaN."""
    return words().number(None if value is None else float(value), digits)


def flowing(text: str) -> str:
    """``text`` with the line breaks inside its paragraphs taken out, so that they flow.

    Typer's "rich" help keeps a docstring's single line breaks, which then end lines
    mid-sentence at any terminal width; paragraphs stay apart, on their blank lines.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def flow_help(app: typer.Typer) -> None:
    """Let the help of every command of ``app``, and of its groups, flow (:func:`flowing`)."""
    for command in app.registered_commands:
        text = command.help or inspect.getdoc(command.callback)
        if text:
            command.help = flowing(text)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            flow_help(group.typer_instance)
