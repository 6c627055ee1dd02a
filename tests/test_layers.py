"""Imports flow one way: config → ledger → simulator → features → training → serving → encours."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["config", "ledger", "simulator", "features", "training", "serving", "encours"]


def _imports(path: Path) -> set[str]:
    """The top-level packages a module imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = []
    for rank, layer in enumerate(LAYERS):
        above = set(LAYERS[rank + 1 :])
        for path in sorted((ROOT / layer).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            upward += [f"{path.relative_to(ROOT)} imports {m}" for m in _imports(path) & above]
    assert upward == []
