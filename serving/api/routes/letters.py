"""Letters ready to send: one per client for a relance step, logged as actions."""

from __future__ import annotations

import base64

from fastapi import APIRouter, HTTPException

from serving.api.bodies import OffLoopBodyRoute
from serving.api.deps import ContextDep, StateDep
from serving.api.letter_schemas import LettersIn, LettersOut
from serving.api.security import AUTH_RESPONSES, WriterDep, require_role
from serving.letters import LetterTemplateError, letter_pdf
from serving.services.letters import letters as build_letters

router = APIRouter(
    prefix="/v1",
    tags=["letters"],
    dependencies=[require_role("collector")],
    responses=AUTH_RESPONSES,
    route_class=OffLoopBodyRoute,
)


@router.post(
    "/letters",
    summary="Relance letters ready to send",
    description="One letter per client, in French, for the invoices whose recommended "
    "relance step (the worklist's) is `step` at `as_of`: the invoices, their late-payment "
    "penalties and the 40 € indemnité forfaitaire (Code de commerce L441-10), in Markdown "
    "and PDF. Templates: the packaged ones, or those of `ENCOURS_LETTERS_DIR`. With "
    "`record`, each invoice listed gets an action (channel `email` for a preventive "
    "reminder or an e-mail, `letter`, `formal_notice`) and the audit log an entry; the same "
    "letters asked again write nothing. Role: collector.",
    responses={503: {"description": "no late-payment model yet, or a template is broken"}},
)
def letters(body: LettersIn, ctx: ContextDep, state: StateDep, writer: WriterDep) -> LettersOut:
    """The letters of ``body.step``, written and (when asked) logged."""
    try:
        made = build_letters(
            ctx,
            body.step,
            body.as_of,
            client=body.client,
            engine=state.engine if body.record else None,
            writer=writer if body.record else None,
        )
    except LetterTemplateError as exc:
        raise HTTPException(503, str(exc)) from None
    out = made.as_json()
    for letter, item in zip(made.letters, out["letters"], strict=True):
        pdf = base64.b64encode(letter_pdf(letter.markdown)).decode() if body.pdf else None
        item["pdf_base64"] = pdf
    return LettersOut.model_validate(out)
