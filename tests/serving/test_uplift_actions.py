"""The worklist's action of highest expected gain per collector minute, worked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from serving.scenarios import ScenarioError
from serving.uplift_actions import best_actions, load_uplift
from tests.serving.test_worklist import make_ledger, worklist_of
from training.uplift import UpliftTable

# Effects on P(paid within 30 days); minutes: email 3, call 10, formal_notice 20, legal 60.
TABLE = UpliftTable(
    effects={
        "standard": {"email": 0.02, "call": 0.09, "formal_notice": 0.20},
        "risky": {"email": 0.01, "call": 0.12, "formal_notice": 0.10, "legal": -0.05},
        "public_sector": {"email": 0.0, "call": -0.01},
    }
)


def test_the_best_action_per_minute_by_hand() -> None:
    got = best_actions(TABLE, ["standard", "risky", "public_sector"], [100_000, 50_000, 80_000])
    # standard, 1,000 €: email 2,000 c / 3 = 667 a minute, call 9,000 / 10 = 900,
    # formal notice 20,000 / 20 = 1,000: the formal notice.
    # risky, 500 €: email 500 / 3 = 167, call 6,000 / 10 = 600, formal notice 5,000 / 20
    # = 250, legal loses: the call.  Public sector: nothing gains, no action.
    assert list(got.action) == ["formal_notice", "call", None]
    assert list(got.gain_cents) == [20_000, 6_000, 0]
    np.testing.assert_allclose(got.gain_per_minute_cents, [1_000.0, 600.0, 0.0])


def test_the_worklist_names_it_beside_the_rule_step() -> None:
    # STD 16 days late: the rule says call; the uplift says formal notice (above).
    # RSK 16 days late on 500 €: the rule says letter; the uplift says call.
    ledger = make_ledger([("S", "STD", 16, 1_000), ("R", "RSK", 16, 500)])
    rows = worklist_of(ledger, uplift=TABLE)
    assert rows.loc["S", "recommended_step"] == "call"
    assert rows.loc["S", "uplift_action"] == "formal_notice"
    assert rows.loc["S", "uplift_gain_cents"] == 20_000
    assert rows.loc["R", "recommended_step"] == "letter"
    assert rows.loc["R", "uplift_action"] == "call"
    assert rows.loc["R", "uplift_gain_per_minute_cents"] == 600.0
    plain = worklist_of(ledger)
    assert plain["uplift_action"].isna().all() and (plain["uplift_gain_cents"] == 0).all()


def test_an_unreadable_uplift_file_is_a_scenario_error(tmp_path: Path) -> None:
    bad = tmp_path / "uplift.json"
    bad.write_text('{"effects": [1, 2]}')
    with pytest.raises(ScenarioError, match="uplift file"):
        load_uplift(bad)
    with pytest.raises(ScenarioError, match="uplift file"):
        load_uplift(tmp_path / "missing.json")
