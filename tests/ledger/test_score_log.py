"""The score log on SQLite and PostgreSQL: written in bulk, read back as given."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, select

from ledger.schema import SCORE_LOG
from ledger.score_log import BadScoreRows, append_scores, read_scores


def _rows(n: int = 3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "scored_at": pd.Timestamp("2026-12-07 10:30:00", tz="UTC"),
            "source": "api",
            "invoice_id": [f"F{i}" for i in range(n)],
            "client_id": "C1",
            "as_of": [pd.Timestamp("2026-11-30") + pd.Timedelta(days=i) for i in range(n)],
            "model_version": "3",
            "p_late": np.linspace(0.1, 0.9, n),
            "expected_date": [pd.Timestamp("2027-01-15"), pd.NaT, pd.Timestamp("2027-02-01")][:n],
            "p10_date": pd.Timestamp("2027-01-01"),
            "p90_date": pd.NaT,
        }
    )


def test_scores_come_back_as_written(engine: Engine) -> None:
    assert append_scores(engine, _rows()) == 3
    back = read_scores(engine)
    assert back["invoice_id"].tolist() == ["F0", "F1", "F2"]
    assert back["p_late"].tolist() == pytest.approx([0.1, 0.5, 0.9])
    assert back["as_of"].tolist() == [pd.Timestamp("2026-11-30"), pd.Timestamp("2026-12-01"),
                                      pd.Timestamp("2026-12-02")]  # fmt: skip
    assert back["expected_date"].isna().tolist() == [False, True, False]
    assert back["expected_date"].iloc[2] == pd.Timestamp("2027-02-01")
    assert back["p90_date"].isna().all()
    assert set(back["model_version"]) == {"3"}
    scored = pd.Timestamp(back["scored_at"].iloc[0])
    moment = scored.tz_convert("UTC") if scored.tzinfo else scored.tz_localize("UTC")
    assert moment == pd.Timestamp("2026-12-07 10:30:00", tz="UTC")
    # By day seen: from 1 December to 1 December.
    one = read_scores(engine, since=dt.date(2026, 12, 1), until=dt.date(2026, 12, 1))
    assert one["invoice_id"].tolist() == ["F1"]


def test_a_bad_row_writes_nothing(engine: Engine) -> None:
    rows = _rows()
    rows.loc[1, "p_late"] = 1.5
    with pytest.raises(BadScoreRows, match=r"row 1: p_late 1\.5 is not a probability"):
        append_scores(engine, rows)
    with pytest.raises(BadScoreRows, match="lack the columns model_version"):
        append_scores(engine, _rows().drop(columns="model_version"))
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(SCORE_LOG)).scalar() == 0
