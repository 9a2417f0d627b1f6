"""One logging configuration for `serve` (uvicorn's loggers included) and `worker`: ISO timestamps, level,
logger, the request id, text or JSON lines; database passwords are redacted from every line."""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from infrastructure.settings import Settings, redact

REQUEST_ID: ContextVar[str] = ContextVar("casetrail_request_id", default="-")
TEXT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def _iso(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


class RequestIdFilter(logging.Filter):
    """Adds the id of the request being answered (or "-") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class NoQueryFilter(logging.Filter):
    """Access lines name the path, not its query: searches carry names and phone numbers."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class TextFormatter(logging.Formatter):
    """One line: ISO time, level, logger, [request id], message (tracebacks follow); passwords redacted."""

    def __init__(self) -> None:
        super().__init__(TEXT)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _iso(record)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request_id, message (and exception); passwords redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _iso(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, ensure_ascii=False))


def logging_config(settings: Settings) -> dict[str, Any]:
    """The dictConfig for this process, also handed to uvicorn (`log_config`), so its workers use it too."""
    level = settings.log_level.upper()
    formatter = JsonFormatter if settings.log_format == "json" else TextFormatter
    handler = {"class": "logging.StreamHandler", "formatter": "casetrail", "filters": ["request_id"]}
    quiet = {"handlers": ["stderr"], "level": level, "propagate": False}
    access = {**quiet, "filters": ["no_query"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}, "no_query": {"()": NoQueryFilter}},
        "formatters": {"casetrail": {"()": formatter}},
        "handlers": {"stderr": {**handler, "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {"uvicorn": quiet, "uvicorn.error": quiet, "uvicorn.access": access},
    }


def configure_logging(settings: Settings) -> None:
    logging.config.dictConfig(logging_config(settings))
