"""The score log's buffer: a request's scores kept in memory, written in bulk, never lost
to a failed write, a prospect's left out."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np

from ledger.score_log import read_scores
from ledger.storage import make_engine, migrate
from serving.score_log import ScoreLog
from serving.scoring import InvoiceScores, LoadedModel

MODEL = LoadedModel("late-payment", "4", None)


def _scores(p: list[float]) -> InvoiceScores:
    dates = np.array(
        [["2027-01-15", "2027-01-05", "2027-01-14", "2027-02-10"]] * len(p), "datetime64[D]"
    )
    return InvoiceScores(np.array(p), None, dates, None)


def test_kept_until_written_and_kept_again_when_a_write_fails(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/l.db")  # not migrated yet: writes fail
    log = ScoreLog(engine, "api", flush_rows=10**9, flush_seconds=float("inf"))
    invoices = {
        "invoice_id": np.array(["F1", None], dtype=object),
        "client_id": np.array(["C1", "C9"]),
    }
    log.record(MODEL, dt.date(2026, 12, 7), invoices, _scores([0.25, 0.5]))
    log.record(
        MODEL, dt.date(2026, 12, 8), {"invoice_id": ["F2"], "client_id": ["C2"]}, _scores([0.75])
    )
    assert log.waiting == 3
    assert log.flush() == 0  # no table: nothing written, nothing lost
    assert log.waiting == 3
    migrate(engine)
    assert log.flush() == 2  # the prospect (no invoice id) is left out
    assert log.waiting == 0
    rows = read_scores(engine)
    assert rows["invoice_id"].tolist() == ["F1", "F2"]
    assert rows["p_late"].tolist() == [0.25, 0.75]
    assert [d.date() for d in rows["as_of"]] == [dt.date(2026, 12, 7), dt.date(2026, 12, 8)]
    # The log keeps expected, P10 and P90: columns 0, 1 and 3 of the scores' dates.
    assert rows["expected_date"].iloc[0].date() == dt.date(2027, 1, 15)
    assert rows["p10_date"].iloc[0].date() == dt.date(2027, 1, 5)
    assert rows["p90_date"].iloc[0].date() == dt.date(2027, 2, 10)
    assert set(rows["model_version"]) == {"4"} and set(rows["source"]) == {"api"}
    engine.dispose()


def test_a_full_buffer_is_written_in_the_background(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/l.db")
    migrate(engine)
    log = ScoreLog(engine, "api", flush_rows=3, flush_seconds=float("inf"))
    for i in range(3):
        log.record(
            MODEL,
            dt.date(2026, 12, 7),
            {"invoice_id": [f"F{i}"], "client_id": ["C"]},
            _scores([0.1]),
        )
    deadline = time.monotonic() + 10
    while log.waiting and time.monotonic() < deadline:  # the write's thread took them
        time.sleep(0.01)
    with log._writing:  # and has finished writing them once this lock is free
        written = sorted(read_scores(engine)["invoice_id"])
    assert written == ["F0", "F1", "F2"]
    engine.dispose()
