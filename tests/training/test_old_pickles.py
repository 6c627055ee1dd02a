"""The alias table of moved module paths: an old pickle finds its classes where they are now."""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path

import pytest

import ledger.fec.ids
from training.old_pickles import MOVED, moved, unpickle


def test_a_moved_module_and_its_submodules_map_to_their_new_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert moved("ledger.fec_ids") == ledger.fec.ids.__name__  # ledger/fec_ids.py moved in
    monkeypatch.setitem(MOVED, "ledger.simulate", "simulator")
    assert moved("ledger.simulate.clients") == "simulator.clients"
    assert moved("ledger.simulated") == "ledger.simulated"  # a prefix of a name is not a package
    assert moved("training.late_payment") == "training.late_payment"


class Moving:
    """A class pickled under a module path it then leaves."""

    def __init__(self, value: int) -> None:
        self.value = value


def test_a_pickle_naming_a_moved_module_unpickles_through_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = "tests.training.gone_module"
    home = types.ModuleType(old)
    home.Moving = Moving  # type: ignore[attr-defined]
    path = tmp_path / "model.pkl"
    with monkeypatch.context() as before:
        before.setitem(sys.modules, old, home)
        before.setattr(Moving, "__module__", old)
        path.write_bytes(pickle.dumps(Moving(7)))
    with pytest.raises(ModuleNotFoundError):
        unpickle(path)
    monkeypatch.setitem(MOVED, old, __name__)
    again = unpickle(path)
    assert type(again) is Moving and again.value == 7
