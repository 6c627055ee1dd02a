"""``python -m encours``: the command line."""

from encours.cli import app

app()
