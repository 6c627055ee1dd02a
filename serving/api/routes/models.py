"""The champion models served: which versions, and a reload from the registry."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import SQLAlchemyError

from ledger.audit import Writer, record_write
from serving.api.deps import StateDep
from serving.api.schemas import ModelsOut, ServedModel
from serving.api.security import AUTH_RESPONSES, WriterDep, require_role
from serving.api.state import AppState
from serving.champions import ModelSet
from training.registry import RegistryError

router = APIRouter(prefix="/v1/models", tags=["ops"], responses=AUTH_RESPONSES)
logger = logging.getLogger("encours.api")


def models_out(served: ModelSet) -> ModelsOut:
    """The response body describing ``served``."""
    return ModelsOut(
        models=[
            ServedModel(name=m.name, version=m.version, loaded_at=m.loaded_at)
            for m in served.models.values()
        ],
        failure=served.failure,
    )


@router.get(
    "",
    summary="Models served",
    description="The champion models the API answers with: name, registered version and "
    "when it was loaded, and why the last reload failed if it did.",
    dependencies=[require_role("viewer")],
)
def list_models(state: StateDep) -> ModelsOut:
    """The models served now."""
    return models_out(state.models)


@router.post(
    "/reload",
    summary="Reload the champions",
    description="Reads the `champion` aliases in the MLflow registry again and swaps in the "
    "versions promoted since, all together and without dropping a request: requests "
    "already running finish on the models they started with. If the registry cannot be "
    "read, a model cannot be loaded, or a champion needs features this version of encours "
    "no longer makes, the API keeps serving its current models and answers 503; /readyz "
    "says what failed.",
    dependencies=[require_role("admin")],
    responses={
        503: {
            "description": "the registry could not be read or a champion was refused; "
            "current models kept"
        }
    },
)
def reload_models(state: StateDep, writer: WriterDep) -> ModelsOut:
    """Reload the champions; a plain ``def``, so the loading runs off the event loop.

    The audit log gets the outcome, loaded or failed.
    """
    try:
        served = state.reload_models()
    except RegistryError as exc:
        kept = ", ".join(f"{m.name} v{m.version}" for m in state.models.models.values())
        _audit(state, writer, f"model reload failed ({exc}); still serving {kept or 'none'}")
        raise HTTPException(
            503, f"could not reload the models ({exc}); still serving {kept or 'no model'}"
        ) from exc
    versions = [f"{m.name} v{m.version}" for m in served.models.values()]
    _audit(state, writer, f"models reloaded: {', '.join(versions) or 'none'}", versions)
    return models_out(served)


def _audit(state: AppState, writer: Writer, summary: str, ids: list[str] | None = None) -> None:
    """Enter a reload in the audit log; the reload is done, so a database error is logged."""
    try:
        with state.engine.begin() as connection:
            record_write(connection, writer, summary, ids or [])
    except SQLAlchemyError as exc:
        logger.error("model reload by API key %s not in the audit log: %s", writer.key_id, exc)
