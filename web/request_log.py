"""Request ids and the process's logging: every request gets an id, every log line of it carries the id.

The id comes from a sane incoming `X-Request-ID` (a proxy's or a client's, so one id follows a request through
nginx and the app) or is made here, and goes back in the `X-Request-ID` header. It lives in a context variable,
not in Flask's `g`, so a logging filter adds it (with the method, path and tenant) to every record logged while
the request runs, the engine's records included, and the engine never imports Flask.

`FORMWORK_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, request_id, method,
path, status, duration_ms, tenant); anything else a plain line. `FORMWORK_LOG_LEVEL` (default INFO) is the level
of Formwork's own loggers (`formwork.*`); other libraries log warnings and errors. Each request ends with one line
of logger `formwork.request`.
"""
from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, request

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:@=+/-]{1,128}")
CONTEXT_FIELDS = ("request_id", "method", "path", "tenant")
REQUEST_FIELDS = ("status", "duration_ms")
_current: ContextVar[dict[str, Any] | None] = ContextVar("formwork_request", default=None)
log = logging.getLogger("formwork.request")


def request_id(sent: str | None) -> str:
    """The incoming id when it is short, printable and harmless in a log line; else a new one."""
    return sent if sent is not None and _SANE.fullmatch(sent) else uuid.uuid4().hex


class RequestContext(logging.Filter):
    """Adds the current request's id, method, path and tenant to each record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = _current.get() or {}
        for name in CONTEXT_FIELDS:
            if not hasattr(record, name):
                setattr(record, name, current.get(name))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; fields without a value are left out."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        for name in (*CONTEXT_FIELDS, *REQUEST_FIELDS):
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (a test's capture, a redirected stream)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure() -> None:
    """Install (once per process; again replaces it) the handler of the root logger the settings ask for."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(handler)
    handler = _Stderr()
    handler.addFilter(RequestContext())
    json_lines = os.environ.get("FORMWORK_LOG_FORMAT", "").strip().lower() == "json"
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries' warnings and errors; their chatter (alembic's steps) stays out
    logging.getLogger("formwork").setLevel(os.environ.get("FORMWORK_LOG_LEVEL", "INFO").strip().upper() or "INFO")


def tenant_of_request() -> str | None:
    """The tenant the request acts for, once authentication has found it (API token or page session)."""
    who = g.get("actor") or getattr(g.get("signed_in"), "actor", None)
    tenant = getattr(who, "tenant_id", None)
    return tenant if isinstance(tenant, str) else None


def register(app: Flask) -> None:
    """Registered first, so the id is set before any other check can refuse the request."""

    @app.before_request
    def _start() -> None:
        _current.set({"request_id": request_id(request.headers.get(HEADER)), "method": request.method,
                      "path": request.path, "started": time.perf_counter()})

    @app.after_request
    def _finish(response: Response) -> Response:
        current = _current.get()
        if current is None:
            return response
        current["tenant"] = tenant_of_request()
        response.headers[HEADER] = current["request_id"]
        duration = round((time.perf_counter() - current["started"]) * 1000, 1)
        log.info("%s %s %s %.1fms", request.method, request.path, response.status_code, duration,
                 extra={"status": response.status_code, "duration_ms": duration})
        return response

    @app.teardown_request
    def _end(_error: BaseException | None) -> None:
        _current.set(None)
