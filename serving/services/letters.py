"""Letters uses: the relance letters of one step, written and logged as actions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from ledger.audit import Writer, record_write
from ledger.contract import Ledger
from ledger.storage import write_ledger
from serving.letters import CHANNEL_OF_STEP, Letter, build_letters, template_environment
from serving.penalties import rates_from_settings
from serving.services.collection import worklist
from serving.services.context import Context
from serving.worklist_filter import WorklistFilter


@dataclass(frozen=True)
class LettersAt:
    """The letters of ``step`` at ``as_of``, and the actions written for them."""

    as_of: dt.date
    step: str
    letters: list[Letter]
    recorded: int

    def as_json(self) -> dict[str, Any]:
        """The letters as ``--json`` and the API give them."""
        return {
            "as_of": self.as_of.isoformat(),
            "step": self.step,
            "recorded_actions": self.recorded,
            "letters": [letter.as_json() for letter in self.letters],
        }


def letter_actions(letters: list[Letter]) -> pd.DataFrame:
    """One action per invoice listed in ``letters``, dated the letters' day."""
    rows = [
        (i["invoice_id"], letter.as_of, CHANNEL_OF_STEP[letter.step])
        for letter in letters
        for i in letter.invoices
    ]
    return pd.DataFrame(
        {
            "invoice_id": pd.Series([r[0] for r in rows], dtype=object),
            "action_date": pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]"),
            "channel": pd.Series([r[2] for r in rows], dtype=object),
            "outcome": pd.Series([None] * len(rows), dtype=object),
            "promised_date": pd.Series([pd.NaT] * len(rows), dtype="datetime64[ns]"),
        }
    )


def record_letters(engine: Engine, letters: list[Letter], writer: Writer) -> int:
    """Write an action per invoice of ``letters`` and one audit entry, all or nothing;
    returns how many actions were new (the same letter logged twice writes nothing)."""
    actions = letter_actions(letters)
    if actions.empty:
        return 0
    step = letters[0].step
    with engine.begin() as connection:
        summary = write_ledger(connection, Ledger(actions=actions), writer)
        created = summary.tables["actions"].inserted
        record_write(
            connection,
            writer,
            f"{len(letters)} letters ({step}): {created} actions recorded",
            actions["invoice_id"],
        )
    return int(created)


def letters(
    ctx: Context,
    step: str,
    as_of: dt.date | None = None,
    *,
    client: str | None = None,
    engine: Engine | None = None,
    writer: Writer | None = None,
) -> LettersAt:
    """One letter per client for the invoices whose recommended relance step at ``as_of``
    (default today) is ``step``, from the templates of ``ENCOURS_LETTERS_DIR`` or the
    packaged ones; logged as actions when ``engine`` and ``writer`` are given.

    Raises:
        ValueError: ``step`` is not a letter step.
        LetterTemplateError: a template cannot be rendered.
        ModelUnavailable: no late-payment champion is served (the worklist needs one).
    """
    day = as_of or dt.date.today()
    filters = WorklistFilter(client=client) if client else None
    rows = worklist(ctx, day, filters=filters).worklist.rows
    settings = ctx.settings
    made = build_letters(
        rows,
        ctx.ledger.clients,
        step,
        day,
        rates=rates_from_settings(settings),
        env=template_environment(settings.letters_dir),
        sender=[s for s in settings.letters_sender.replace("\\n", "\n").splitlines() if s.strip()],
    )
    recorded = 0
    if engine is not None and writer is not None and made:
        recorded = record_letters(engine, made, writer)
    return LettersAt(day, step, made, recorded)
