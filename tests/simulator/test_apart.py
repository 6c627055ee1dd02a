"""The simulator sits above the ledger: the API and the ledger never load it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _simulator_modules_loaded_by(statement: str) -> list[str]:
    """The simulator modules in ``sys.modules`` after ``statement``, in a fresh interpreter."""
    code = (
        f"import json, sys\n{statement}\n"
        "names = [m for m in sys.modules if m.split('.')[0] == 'simulator'"
        " or m == 'ledger.simulate']\n"
        "print(json.dumps(sorted(names)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_importing_the_api_app_does_not_import_the_simulator() -> None:
    assert _simulator_modules_loaded_by("import serving.api.app") == []


def test_reading_a_bank_statement_does_not_import_the_simulator() -> None:
    statement = "import ledger.bank_statement, ledger.lettrage_store, ledger.lettrage"
    assert _simulator_modules_loaded_by(statement) == []
