"""Late-payment penalties and the 40 € indemnity, against hand-worked figures."""

from __future__ import annotations

import ast
import dataclasses
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from config import legal
from encours.settings import Settings
from serving import penalties
from serving.penalties import (
    RECOVERY_INDEMNITY,
    PenaltyRates,
    late_penalty,
    late_penalty_cents,
    rates_from_settings,
    recovery_indemnity_cents,
)

D = Decimal


def test_default_rates_are_ecb_plus_ten_points_and_plus_eight_for_public_buyers() -> None:
    rates = PenaltyRates()
    assert rates.rate_percent == D("12.15")  # 2.15 + 10
    assert rates.public_rate_percent == D("10.15")  # 2.15 + 8


def test_rates_come_from_the_settings() -> None:
    settings = Settings(
        ecb_rate_percent=D("3.65"), penalty_margin_points=D("12"), public_penalty_margin_points=8
    )
    rates = rates_from_settings(settings)
    assert (rates.rate_percent, rates.public_rate_percent) == (D("15.65"), D("11.65"))


def test_the_legal_defaults_are_written_once_for_the_settings_and_the_rates() -> None:
    fields = Settings.model_fields
    rate_fields = {f.name: f.default for f in dataclasses.fields(PenaltyRates)}
    # The very objects of config.legal, not equal copies that could drift apart.
    assert fields["ecb_rate_percent"].default is legal.ECB_RATE_PERCENT
    assert rate_fields["ecb_rate_percent"] is legal.ECB_RATE_PERCENT
    assert fields["penalty_margin_points"].default is legal.PENALTY_MARGIN_POINTS
    assert rate_fields["margin_points"] is legal.PENALTY_MARGIN_POINTS
    assert fields["public_penalty_margin_points"].default is legal.PUBLIC_PENALTY_MARGIN_POINTS
    assert rate_fields["public_margin_points"] is legal.PUBLIC_PENALTY_MARGIN_POINTS
    assert RECOVERY_INDEMNITY is legal.RECOVERY_INDEMNITY
    assert rates_from_settings(Settings(_env_file=None)) == PenaltyRates()


def test_penalties_take_plain_arguments_not_the_settings() -> None:
    tree = ast.parse(Path(penalties.__file__).read_text(encoding="utf-8"))
    modules = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert {m for m in modules if m.startswith(("encours", "config.settings"))} == set()


@pytest.mark.parametrize(
    ("amount", "days", "rate", "expected"),
    [
        # 10,000.00 × 12.15 % × 30 / 365 = 36,450 / 365 = 99.8630... -> 99.86
        ("10000.00", 30, "12.15", "99.86"),
        # 1,234.56 × 10.15 % = 125.30784; × 45 = 5,638.8528; / 365 = 15.4489... -> 15.45
        ("1234.56", 45, "10.15", "15.45"),
        # 18.25 × 10 % × 1 / 365 = 0.005 exactly: half up -> 0.01 (half even would give 0.00)
        ("18.25", 1, "10", "0.01"),
        # 500.00 × 12.15 % × 365 / 365 = 60.75: a whole year is the rate itself
        ("500.00", 365, "12.15", "60.75"),
        # 1,000.00 × 12.15 % × 1 / 365 = 0.33287... -> 0.33: one day late already costs
        ("1000.00", 1, "12.15", "0.33"),
        # Not overdue: on the due date and before it, nothing.
        ("1000.00", 0, "12.15", "0.00"),
        ("1000.00", -5, "12.15", "0.00"),
    ],
)
def test_penalty_by_hand(amount: str, days: int, rate: str, expected: str) -> None:
    assert late_penalty(D(amount), days, D(rate)) == D(expected)
    cents = late_penalty_cents(np.array([int(D(amount) * 100)]), np.array([days]), D(rate))
    assert cents.tolist() == [int(D(expected) * 100)]


def test_vectorised_penalties_equal_the_decimal_formula() -> None:
    rng = np.random.default_rng(3)
    cents = rng.integers(1, 10**9, 500)
    days = rng.integers(-30, 2_000, 500)
    rates = np.array([D("12.15"), D("10.15"), D("7.5"), D("12.1234")], dtype=object)[
        rng.integers(0, 4, 500)
    ]
    got = late_penalty_cents(cents, days, rates)
    want = [
        int(late_penalty(D(int(c)) / 100, int(d), r) * 100)
        for c, d, r in zip(cents, days, rates, strict=True)
    ]
    assert got.tolist() == want


def test_huge_amounts_and_delays_do_not_overflow() -> None:
    # 1e13 € × 12.15 % × 3,650 / 365 = 1e13 × 1.215 = 1.215e13 €, i.e. 1.215e15 cents
    got = late_penalty_cents(np.array([10**15]), np.array([3650]), D("12.15"))
    assert got.tolist() == [1_215 * 10**12]


def test_a_rate_with_more_than_four_decimals_is_refused() -> None:
    with pytest.raises(ValueError, match="4 decimals"):
        late_penalty_cents(np.array([100]), np.array([1]), D("12.123456"))


def test_forty_euros_once_overdue() -> None:
    assert D("40.00") == RECOVERY_INDEMNITY
    assert recovery_indemnity_cents(np.array([-3, 0, 1, 400])).tolist() == [0, 0, 4000, 4000]
