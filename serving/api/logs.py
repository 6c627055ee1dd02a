"""The log format of the API and of uvicorn: time, level, logger, request id, message.

One line per record, as text (``ENCOURS_LOG_FORMAT=text``, for a terminal) or as a JSON
object (``json``, for a log collector). Every record logged while a request is answered
carries that request's id (:data:`REQUEST_ID`, set by
:class:`serving.api.request_id.RequestIdMiddleware`), so that one request's lines can be
found among those of the others; ``-`` outside any request.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Any, Literal

LogFormat = Literal["text", "json"]

REQUEST_ID: ContextVar[str] = ContextVar("encours_request_id", default="-")
"""The id of the request being answered in this context, ``-`` outside one."""

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record; only adds the id."""
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (UTC, ISO 8601), level, logger, message,
    request_id, process id, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
            "process": record.process,
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def log_config(log_format: LogFormat, level: str = "INFO") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` for the root logger and uvicorn's, in
    ``log_format``: what ``uvicorn.run(log_config=...)`` applies in each worker."""
    formatter: dict[str, Any] = (
        {"()": f"{__name__}.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "encours",
        "filters": ["request_id"],
    }
    # uvicorn's loggers write through the root's handler: one format for every line.
    uvicorn = {"handlers": [], "level": level, "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"encours": formatter},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            **{name: dict(uvicorn) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # Its "Context impl SQLiteImpl" at each start says nothing to an operator.
            "alembic.runtime.migration": {"level": "WARNING"},
        },
    }
