"""What ``make demo`` prints of its server copies whole, whatever the terminal's width."""

from __future__ import annotations

import datetime as dt
import io

from rich.console import Console

from encours.demo import print_serving

TOKEN = "enc_" + "x" * 43


def test_the_key_the_pages_and_the_curl_command_stay_on_one_line_each() -> None:
    out = io.StringIO()
    narrow = Console(file=out, width=40, color_system=None)
    print_serving(narrow, "http://127.0.0.1:8000", TOKEN, dt.date(2025, 2, 28))
    lines = out.getvalue().splitlines()
    assert any(line.strip() == TOKEN for line in lines)
    curl = next(line for line in lines if "curl" in line)
    assert curl.strip() == (
        f"curl -H 'Authorization: Bearer {TOKEN}' "
        "'http://127.0.0.1:8000/v1/worklist?as_of=2025-02-28&limit=20'"
    )
    assert any(line.endswith("/ui/worklist?as_of=2025-02-28") for line in lines)
