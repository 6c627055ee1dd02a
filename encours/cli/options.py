"""Options that several commands share, declared once so that they read the same."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

DateOption = Annotated[
    dt.datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="date as YYYY-MM-DD", show_default=False),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="print one JSON object, for scripts")]
WaitOption = Annotated[
    float,
    typer.Option(
        "--wait",
        min=0,
        help="while another program holds the database locked, try again for up to this "
        "many seconds before giving up",
    ),
]
