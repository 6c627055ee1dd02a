"""What the commands print: the consoles, one-line errors, JSON for scripts, figures.

Every command writes its ``--json`` through :func:`print_json` and its errors through
:func:`fail`, so that scripts read one format and people one kind of message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
errors = Console(stderr=True)


def print_json(payload: Any) -> None:
    """``payload`` as indented JSON on stdout."""
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def fail(message: str, code: int = 1) -> NoReturn:
    """End the command with ``message`` on stderr and exit code ``code``."""
    # One line whatever the terminal's width, and the message printed as it is, not markup.
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


def money(value: Decimal | None) -> str:
    """An amount with two decimals and thousands apart (``1 234.56``); ``—`` when missing."""
    return "—" if value is None else f"{value:,.2f}".replace(",", " ")


def number(value: float | None, unit: str) -> str:
    """A figure with one decimal and its unit; ``—`` when missing."""
    return "—" if value is None else f"{value:,.1f}{unit}"


def figure(value: Any, digits: int = 3) -> str:
    """A model figure with ``digits`` decimals; ``—`` when missing or NaN."""
    return "—" if value is None or value != value else f"{value:.{digits}f}"
