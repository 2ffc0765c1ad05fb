"""REST API `/api/v1/designer`: tenant administrators validate, dry-run, publish and roll back overlays."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from engine.core.error_codes import render
from engine.customization.overlays import MAIN, Overlay
from engine.customization.process_editor import ProcessEditor
from engine.customization.publishing import Adjustments
from engine.errors import BadRequest, DeclarationError, Problem
from web.api import body, current_actor, formwork
from web.errors import error_response, request_language
from web.ui.error_text import error_text, problem_json

designer_api = Blueprint("designer_api", __name__, url_prefix="/api/v1/designer")
ORIGIN = MAIN  # overlays sent to the API are named `overlay.yaml` in problems


@designer_api.before_request
def authenticate() -> None:
    g.actor = current_actor()


@contextmanager
def adjustments() -> Iterator[Adjustments]:
    with formwork().adjustments(g.actor) as service:
        yield service


def overlay_of() -> Overlay:
    """JSON `{overlay: <YAML text>, files: {<path>: <BPMN text>}}`, or the YAML itself as the body.

    BPMN files not sent are taken from the current version.
    """
    if request.is_json or not request.content_length:
        data = body()
        text, files = data.get("overlay"), data.get("files") or {}
    else:
        text, files = request.get_data(as_text=True), {}
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("send the overlay's YAML text as 'overlay' in the JSON body")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise BadRequest("'files' must map a BPMN path (relative to the overlay) to its text")
    return Overlay(ORIGIN, {**files, MAIN: text})


def bpmn_of() -> str:
    """The BPMN XML: the body itself (application/xml, text/xml ...), or JSON `{xml: <text>}`."""
    text = body().get("xml") if request.is_json else request.get_data(as_text=True)
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("send the BPMN XML as the body (Content-Type: application/xml) or as 'xml' in a JSON body")
    return text


def problems_json(problems: list[Problem]) -> list[dict[str, Any]]:
    """Each problem with `message` in the reader's language (`?lang=zh`, Accept-Language), `code` and `params`."""
    return [api_problem(problem) for problem in problems]


def api_problem(problem: Problem, bpmn_file: str | None = None) -> dict[str, Any]:
    return problem_json(problem, bpmn_file, language_code=request_language())


def invalid(error: DeclarationError) -> tuple[Response, int]:
    params = {"count": len(error.problems)}
    return error_response(422, error.code, error_text("overlay_problems", params, request_language(),
                                                      render("overlay_problems", params)),
                          problems_json(error.problems), message_code="overlay_problems", params=params)


@designer_api.get("/<module>")
def describe(module: str) -> Response:
    with adjustments() as service:
        return jsonify(service.describe(module))


@designer_api.post("/<module>/validate")
def validate(module: str) -> Response:
    overlay = overlay_of()
    with adjustments() as service:
        problems = service.validate(module, overlay)
    return jsonify({"valid": not problems, "problems": problems_json(problems)})


@designer_api.post("/<module>/dryrun")
def dry_run(module: str) -> Response | tuple[Response, int]:
    overlay = overlay_of()
    try:
        with adjustments() as service:
            return jsonify(service.dry_run(module, overlay))
    except DeclarationError as error:
        return invalid(error)


@designer_api.post("/<module>/publish")
def publish(module: str) -> Response | tuple[Response, int]:
    """409 `draft_process_dropped` when the overlay drops a process the draft holds, unless confirmed."""
    overlay = overlay_of()
    confirm = request.args.get("confirm_drop_process") in ("1", "true") or (
        request.is_json and body().get("confirm_drop_process") is True)
    try:
        with adjustments() as service:
            report = service.publish(module, overlay, confirm_drop_process=confirm)
    except DeclarationError as error:
        return invalid(error)
    return jsonify(report)


@designer_api.post("/<module>/upgrade")
def upgrade(module: str) -> Response | tuple[Response, int]:
    """`{publish: false}` (the default) is the dry run; `{publish: true}` moves the records."""
    publish_it = body().get("publish") is True
    try:
        with adjustments() as service:
            return jsonify(service.upgrade(module, publish=publish_it))
    except DeclarationError as error:
        return invalid(error)


@designer_api.post("/<module>/rollback")
def rollback(module: str) -> Response:
    with adjustments() as service:
        report = service.rollback(module)
    return jsonify(report)


@designer_api.get("/<module>/versions")
def versions(module: str) -> Response:
    with adjustments() as service:
        return jsonify({"items": service.history(module)})


@designer_api.get("/<module>/versions/<version>/diff")
def version_diff(module: str, version: str) -> Response:
    with adjustments() as service:
        return jsonify(service.version_diff(module, version))


# -- approval processes (the BPMN modeler's round trips) ---------------------------------------------


@designer_api.get("/<module>/processes")
def processes(module: str) -> Response:
    with adjustments() as service:
        return jsonify({"items": ProcessEditor(service).processes(module)})


@designer_api.get("/<module>/processes/<path:process>")
def process_xml(module: str, process: str) -> Response:
    """The BPMN XML the editor starts from (the draft's, else the current version's); JSON with `?format=json`."""
    with adjustments() as service:
        found = ProcessEditor(service).read(module, process)
    if request.args.get("format") == "json":
        return jsonify(found)
    response = Response(found["xml"], mimetype="application/xml")
    response.headers["X-Formwork-Entity"] = found["entity"]
    response.headers["X-Formwork-File"] = found["file"]
    response.headers["X-Formwork-Source"] = found["source"]
    return response


@designer_api.put("/<module>/processes/<path:process>")
def save_process(module: str, process: str) -> Response | tuple[Response, int]:
    """Save the BPMN into the tenant's draft overlay (even with problems, which are returned); publish it later."""
    xml = bpmn_of()
    try:
        with adjustments() as service:
            return jsonify(ProcessEditor(service, api_problem).save(module, process, xml))
    except DeclarationError as error:
        return error_response(422, error.code, error_text("bpmn_body_invalid", {}, request_language(),
                                                          render("bpmn_body_invalid", {})),
                              problems_json(error.problems), message_code="bpmn_body_invalid")


@designer_api.post("/<module>/processes/<path:process>/validate")
def validate_process(module: str, process: str) -> Response:
    xml = bpmn_of()
    with adjustments() as service:
        return jsonify(ProcessEditor(service, api_problem).validate(module, process, xml))


@designer_api.delete("/<module>/draft")
def discard_draft(module: str) -> Response:
    with adjustments() as service:
        return jsonify({"discarded": ProcessEditor(service).discard(module)})
