"""How the processes log: text for a person at a terminal, or (BNPL_LOG_FORMAT=json) one JSON
object a line for a log collector, carrying the id of the request being answered."""
from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import datetime, timezone

# Libraries that log each step at INFO (WeasyPrint: seven lines a PDF): their warnings only.
QUIET = ("weasyprint", "fontTools")
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"

# The request being answered in this thread, set by the web layer (None: a job, a command).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": _utc(record.created), "level": record.levelname, "logger": record.name,
                "message": record.getMessage()}
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            line.update(_access(record.args))
        elif request_id.get():
            line["request_id"] = request_id.get()
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _utc(created: float) -> str:
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _access(atoms) -> dict:
    """gunicorn's access line as fields; the request id from the response's X-Request-Id
    (the worker's context is gone by the time gunicorn logs)."""
    fields = {"status": atoms.get("s"), "request": atoms.get("r"), "remote": atoms.get("h"),
              "bytes": atoms.get("B"), "duration_ms": round(int(atoms.get("D") or 0) / 1000, 1)}
    rid = atoms.get("{x-request-id}o")
    if rid and rid != "-":
        fields["request_id"] = rid
    return fields


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def handler(log_format: str, stream=None) -> logging.Handler:
    out = logging.StreamHandler(stream or sys.stderr)
    out.setFormatter(formatter(log_format))
    return out


def configure(log_format: str, level: int = logging.INFO) -> None:
    """The process's root logger: one handler in the chosen format (a command, the scheduler)."""
    root = logging.getLogger()
    root.handlers[:] = [handler(log_format)]
    root.setLevel(level)
    for chatty in QUIET:
        logging.getLogger(chatty).setLevel(max(level, logging.WARNING))


def gunicorn_config(log_format: str) -> dict:
    """gunicorn's logging (its own and the app's, in every worker) in JSON; {} keeps its text."""
    if log_format != "json":
        return {}
    console = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    loggers = {name: {"level": "INFO", "handlers": ["console"], "propagate": False}
               for name in ("gunicorn.error", "gunicorn.access")}
    return {"logconfig_dict": {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"console": console},
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": loggers,
    }}
