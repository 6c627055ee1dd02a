"""The language of what people read: words, numbers, amounts and dates in French or English.

One output speaks one language (``ENCOURS_LANG``, French by default): a command's tables,
titles and sentences, and their figures in that language's conventions (French:
``1 234,56``, ``12 %``, ``07/12/2026``; English: ``1,234.56``, ``12%``, ``2026-12-07``).
Words are written in English in the code and looked up in :data:`config.french.FRENCH`;
figures are formatted by Babel (CLDR data), imported only when a figure is first formatted
so that ``encours --help`` stays fast. JSON for scripts is never translated.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, get_args

from config.french import FRENCH

Language = Literal["fr", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LOCALES: dict[Language, str] = {"fr": "fr_FR", "en": "en_GB"}
MISSING = "—"
"""What a table shows for a figure that is not known."""

ACTION_WORDS: dict[str, str] = {
    "preventive_reminder": "preventive reminder",
    "email": "e-mail reminder",
    "call": "phone call",
    "letter": "reminder letter",
    "formal_notice": "formal notice",
    "legal": "legal action",
}
"""The relance steps of the scenarios, by code, in English words."""
PROFILE_WORDS: dict[str, str] = {
    "strategic": "strategic",
    "public_sector": "public sector",
    "risky": "risky",
    "standard": "standard",
}
"""The client profiles of the scenarios, by code, in English words."""
OUTCOME_WORDS: dict[str, str] = {
    "promise_to_pay": "promise to pay",
    "dispute": "dispute",
    "no_answer": "no answer",
    "paid": "paid",
}
"""What came of a relance, by code, in English words."""
BUCKET_WORDS: dict[str, str] = {
    "not_due": "not due",
    "1_30": "1–30 days",
    "31_60": "31–60 days",
    "61_90": "61–90 days",
    "over_90": "> 90 days",
}
"""Ages of a debt by days past due, by code, in English words."""


def language_of(value: str | None) -> Language:
    """The language a code names (``fr``, ``en``, ``fr-FR``, ``en_GB``…); French otherwise."""
    code = (value or "").strip().lower()[:2]
    return "en" if code == "en" else "fr"


@dataclass(frozen=True)
class Words:
    """Words and figures in one language; call it with English words to get them translated.

    ``words("{n} invoices", n=3)`` is ``"3 factures"`` in French: the English text is the key
    of :data:`~config.french.FRENCH`, the values are put in after translation.
    """

    lang: Language = "fr"

    def __call__(self, english: str, **values: Any) -> str:
        text = english if self.lang == "en" else FRENCH[english]
        return text.format(**values) if values else text

    def action(self, code: str) -> str:
        """The name of a relance step (``email`` → ``relance e-mail``)."""
        return self(ACTION_WORDS[code]) if code in ACTION_WORDS else code

    def profile(self, code: str) -> str:
        """The name of a client profile (``public_sector`` → ``secteur public``)."""
        return self(PROFILE_WORDS[code]) if code in PROFILE_WORDS else code

    def outcome(self, code: str) -> str:
        """What came of a relance (``promise_to_pay`` → ``promesse de paiement``)."""
        return self(OUTCOME_WORDS[code]) if code in OUTCOME_WORDS else code

    def bucket(self, code: str) -> str:
        """An age of debt (``31_60`` → ``31–60 jours``)."""
        return self(BUCKET_WORDS[code]) if code in BUCKET_WORDS else code

    def number(self, value: float | Decimal | None, digits: int = 0) -> str:
        """``value`` with ``digits`` decimals and its thousands apart; ``—`` when missing."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return MISSING
        from babel.numbers import format_decimal

        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return str(format_decimal(value, format=pattern, locale=LOCALES[self.lang]))

    def money(self, value: float | Decimal | None) -> str:
        """An amount with two decimals (``1 234,56``); ``—`` when missing."""
        return self.number(value, 2)

    def percent(self, share: float | None, digits: int = 0) -> str:
        """A share as a percentage (``0.125`` → ``12 %``, ``12%`` in English)."""
        if share is None or not math.isfinite(share):
            return MISSING
        from babel import Locale
        from babel.numbers import format_percent

        locale = Locale.parse(LOCALES[self.lang])
        pattern = locale.percent_formats[None].pattern  # "#,##0 %" in French
        if digits > 0:
            pattern = pattern.replace("0", "0." + "0" * digits, 1)
        return str(format_percent(share, format=pattern, locale=locale))

    def date(self, day: dt.date | dt.datetime | Any | None) -> str:
        """A date: ``07/12/2026`` in French, ``2026-12-07`` (ISO) in English; ``—`` when missing."""
        if day is None or day != day:  # None, NaN or NaT
            return MISSING
        value = day.date() if isinstance(day, dt.datetime) else day
        return value.strftime("%d/%m/%Y") if self.lang == "fr" else value.isoformat()

    def moment(self, when: dt.datetime | None) -> str:
        """A date and time to the minute (``07/12/2026 14:03``); ``—`` when missing."""
        if when is None or when != when:
            return MISSING
        return f"{self.date(when)} {when:%H:%M}"
