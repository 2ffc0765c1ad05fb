"""Map engine errors to JSON responses: one handler, the right status, never a stack trace."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.core.error_codes import MESSAGES
from engine.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    DeclarationError,
    FieldError,
    FormulaError,
    FormulaRuntimeError,
    FormworkError,
    NotFound,
    PermissionDenied,
    PluginNotEnabled,
    RecordInvalid,
)
from engine.tenancy.login_throttle import TooManyAttempts
from engine.workflow import ProcessFailed, StateMismatch
from web.ui.error_text import engine_error_text, error_text, field_message, jsonable, problem_json

STATUS: dict[type[FormworkError], int] = {
    BadRequest: 400, FormulaError: 400, FormulaRuntimeError: 400, AuthenticationFailed: 401,
    PermissionDenied: 403, NotFound: 404, Conflict: 409, RecordInvalid: 422, DeclarationError: 422,
    ProcessFailed: 422, StateMismatch: 409, PluginNotEnabled: 422, TooManyAttempts: 429,
}
log = logging.getLogger("formwork.web")


def status_of(error: FormworkError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 400)


def request_language() -> str:
    """The API reader's language: `?lang=`, else Accept-Language; 'zh' or 'en'."""
    chosen = request.args.get("lang") or request.accept_languages.best_match(["zh", "zh-CN", "en"]) or "en"
    return "zh" if chosen.startswith("zh") else "en"


def error_response(status: int, code: str, message: str, details: object = None, *,
                   message_code: str | None = None, params: Mapping[str, Any] | None = None) -> tuple[Response, int]:
    body: dict[str, object] = {"error": {"code": code, "message": message, "details": details,
                                         "message_code": message_code or code, "params": jsonable(params or {})}}
    return jsonify(body), status


def field_errors(errors: list[FieldError], language: str = "en") -> list[dict[str, Any]]:
    """A RecordInvalid's errors as the API lists them, each message in the reader's language."""
    return [{"field": e.field, "message": field_message(e, language), "code": e.code, "params": jsonable(e.params)}
            for e in errors]


def http_error_response(error: HTTPException) -> tuple[Response, int]:
    """An HTTP error on the API (an address no route serves, a method it does not take ...), by its code."""
    status = error.code or 500
    message_code = f"http_{status}" if f"http_{status}" in MESSAGES else "http_error"
    params = {"path": request.path, "method": request.method, "status": status}
    message = error_text(message_code, params, request_language(), error.description or "")
    return error_response(status, (error.name or "error").lower().replace(" ", "_"), message,
                          message_code=message_code, params=params)


def register(app: Flask) -> None:
    @app.errorhandler(FormworkError)
    def _formwork(error: FormworkError) -> tuple[Response, int]:
        language = request_language()
        details = error.details
        if isinstance(error, RecordInvalid) and language != "en":
            details = [{"field": e.field, "message": field_message(e, language)} for e in error.errors]
        response, status = error_response(status_of(error), error.code, engine_error_text(error, language), details,
                                          message_code=error.message_code, params=error.params)
        if isinstance(error, RecordInvalid):
            body = response.get_json()
            body["errors"] = field_errors(error.errors, language)
            response = jsonify(body)
        if isinstance(error, DeclarationError):  # `details` stays the list of `file:line:col: message` texts
            body = response.get_json()
            body["error"]["problems"] = [problem_json(p, language_code=language) for p in error.problems]
            response = jsonify(body)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response, status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int] | HTTPException:
        if not request.path.startswith("/api/"):
            return error
        return http_error_response(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        message = "something went wrong on the server; it was logged"
        return error_response(500, "internal_error", error_text("internal_error", {}, request_language(), message))
