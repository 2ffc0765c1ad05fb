"""Map engine errors to JSON responses: one handler, the right status, never a stack trace."""
from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    DeclarationError,
    FormulaError,
    FormulaRuntimeError,
    FormworkError,
    NotFound,
    PermissionDenied,
    PluginNotEnabled,
    RecordInvalid,
)
from engine.login_throttle import TooManyAttempts
from engine.workflow import ProcessFailed, StateMismatch

STATUS: dict[type[FormworkError], int] = {
    BadRequest: 400, FormulaError: 400, FormulaRuntimeError: 400, AuthenticationFailed: 401,
    PermissionDenied: 403, NotFound: 404, Conflict: 409, RecordInvalid: 422, DeclarationError: 422,
    ProcessFailed: 422, StateMismatch: 409, PluginNotEnabled: 422, TooManyAttempts: 429,
}
log = logging.getLogger("formwork.web")


def status_of(error: FormworkError) -> int:
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 400)


def error_response(status: int, code: str, message: str, details: object = None) -> tuple[Response, int]:
    body: dict[str, object] = {"error": {"code": code, "message": message, "details": details}}
    return jsonify(body), status


def register(app: Flask) -> None:
    @app.errorhandler(FormworkError)
    def _formwork(error: FormworkError) -> tuple[Response, int]:
        response, status = error_response(status_of(error), error.code, error.message, error.details)
        if isinstance(error, RecordInvalid):
            body = response.get_json()
            body["errors"] = [{"field": e.field, "message": e.message} for e in error.errors]
            response = jsonify(body)
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response, status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response, int] | HTTPException:
        if not request.path.startswith("/api/"):
            return error
        status = error.code or 500
        return error_response(status, (error.name or "error").lower().replace(" ", "_"), error.description or "")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[Response, int]:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the server; it was logged")
