"""``python -m encours`` and the ``encours`` script: the command line, and the one place
where the model registry's errors become one line.

A registry error (``training.registry.RegistryError``: a champion this version of
encours cannot serve, a store that cannot be read) says what happened and what to do;
it ends any command with that line and exit code 1, not a traceback.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from encours.cli import app
from training.registry import RegistryError


def main(args: list[str] | None = None) -> None:
    """Run the command line on ``args`` (default: the process's arguments)."""
    try:
        app(args, prog_name="encours")
    except RegistryError as exc:
        # Printed as ``encours.cli._fail`` prints: one line whatever the terminal's width.
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
