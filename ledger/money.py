"""Exact money: integer cents in frames, ``Decimal`` at the edges."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")


def cents_to_decimal(cents: int | np.integer) -> Decimal:
    """``12345`` -> ``Decimal('123.45')``."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def decimal_to_cents(amount: Decimal | float | int | str) -> int:
    """``Decimal('123.45')`` -> ``12345``; rounds half-even to the cent."""
    return int((Decimal(str(amount)) * 100).to_integral_value())


def sum_cents(values: pd.Series) -> Decimal:
    """The exact sum of a cents column as a ``Decimal`` in currency units."""
    return cents_to_decimal(int(values.astype("int64").sum()) if len(values) else 0)


def format_cents(values: pd.Series) -> pd.Series:
    """Cents as contract text (``-12.5`` euros -> ``"-12.50"``); missing stays missing."""
    out = pd.Series(pd.NA, index=values.index, dtype="object")
    present = values.notna()
    cents = values[present].astype("int64")
    sign = np.where(cents < 0, "-", "")
    whole = (cents.abs() // 100).astype(str)
    frac = (cents.abs() % 100).astype(str).str.zfill(2)
    out[present] = sign + whole + "." + frac
    return out
