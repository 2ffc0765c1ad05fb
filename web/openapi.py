"""OpenAPI 3.1 of the REST API, with each of the tenant's entities spelled out from its declaration.

Every route under /api/v1 is here (tests/api/test_openapi.py checks the app's URL map against it), with
every status it can answer: 400 for any request (web/input_guard.py refuses NUL characters and lone
surrogates anywhere in it), 401 unless the operation is public, and those each operation lists.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.fields.json_schema import record_schema
from engine.printing.document import MAX_BATCH
from engine.records.service import MAX_LIMIT, MAX_OFFSET, Records
from web.rest.assignment_openapi import assignment_paths

ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {
            "code": {"type": "string", "description": "the kind of failure, one per status family (not_found, "
                                                      "forbidden, conflict, invalid_record ...)"},
            "message": {"type": "string", "description": "what went wrong, in English"},
            "details": {},
            "message_code": {"type": "string", "description": "names this very message (a key of the engine's "
                                                              "message catalog); `params` fill its placeholders"},
            "params": {"type": "object", "description": "the values the message names, by placeholder"}}},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "message": {"type": "string"},
            "code": {"type": "string", "description": "what is wrong with the field: required, min, max, "
                                                      "min_length, max_length, pattern, read_only, unique ..."},
            "params": {"type": "object", "description": "the values the message names (min, max ...)"}}}},
    },
}
RULE_WARNINGS = {
    "type": "array",
    "description": "the `severity: warning` rules the saved record breaks and the warning conflicts it has "
                   "with other records: it was saved all the same",
    "items": {"type": "object", "required": ["rule", "field", "message"], "properties": {
        "rule": {"type": ["integer", "null"], "description": "1-based position among the entity's rules "
                                                             "(null for a conflict)"},
        "conflict": {"type": "integer", "description": "1-based position among the entity's conflicts "
                                                      "(only for a conflict)"},
        "field": {"type": "string", "description": "the field the rule is about ('' for the whole record)"},
        "message": {"type": "string"}}},
}
WRITTEN = {"type": "object", "properties": {"warnings": {"$ref": "#/components/schemas/RuleWarnings"}}}
FILE = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                                         "size": {"type": "integer"}, "type": {"type": "string"},
                                         "url": {"type": "string"}}}
LIST_PARAMETERS = [
    {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "filter in the formula language"},
    {"name": "sort", "in": "query", "schema": {"type": "string"}, "description": "fields, '-' for descending"},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                                 "default": 50}},
    {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET,
                                                  "default": 0}},
]
STATUS_TEXT = {400: "malformed request", 401: "no valid token", 403: "not allowed for your roles or license",
               404: "not found", 409: "conflict with the current state", 413: "body too large",
               422: "invalid data", 429: "too many requests"}
# What any operation naming a module may meet: it is outside the license (403), not enabled (404), or needs
# a plugin the tenant has not enabled (422).
MODULE_ERRORS = (403, 404, 422)


def _responses(ok: dict[str, Any], *errors: int, public: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = dict(ok)
    for status in sorted({400, *errors} | (set() if public else {401})):
        result[str(status)] = {"description": STATUS_TEXT[status],
                               "content": {"application/json": {"schema": ERROR}}}
    if "401" in result:
        result["401"] = {"$ref": "#/components/responses/Unauthorized"}
    return result


def _error(description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}, **extra}


# Answers shared by many operations (web/login_guard.py, web/request_limits.py, engine/tenancy/tenants.py).
AUTH_RESPONSES = {
    "Unauthorized": _error("no valid token: error code `unauthorized` (missing, unknown or revoked token, or a "
                           "deactivated user) or `token_expired` (the token outlived FORMWORK_TOKEN_HOURS: log in "
                           "again; refresh tokens before they expire with POST /auth/refresh)"),
    "TooLarge": _error("the request body is too large (error code `request_entity_too_large`): FORMWORK_MAX_JSON_MB "
                       "(2 MB by default) for JSON and any body that is not multipart/form-data, "
                       "FORMWORK_MAX_REQUEST_MB (50 MB) for uploads"),
    "TooManyAttempts": _error("too many failed logins for this account (FORMWORK_LOGIN_MAX_FAILURES) or from this "
                              "address (FORMWORK_LOGIN_IP_MAX_FAILURES a minute): error code `too_many_attempts`, "
                              "`details.retry_after` seconds", headers={"Retry-After": {
                                  "description": "seconds until the lock ends", "schema": {"type": "integer"}}}),
}
TOKEN = {"type": "object", "properties": {
    "token": {"type": "string"}, "token_type": {"const": "Bearer"}, "tenant": {"type": "string"},
    "username": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
    "expires_in": {"type": "integer", "description": "seconds the token lives (FORMWORK_TOKEN_HOURS)"}}}


def _with_size_limit(paths: dict[str, Any]) -> None:
    """Every operation that takes a body may answer 413."""
    for item in paths.values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["responses"]["413"] = {"$ref": "#/components/responses/TooLarge"}


IDEMPOTENCY_KEY = {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
                   "description": "a key of your own per new record (a UUID): a retry with it answers 200 with the "
                                  "record the first send created and creates nothing; 409 if it was used for other "
                                  "values"}


def _json(schema: dict[str, Any], description: str = "ok") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _entity_paths(base: str, ref: str, data_ref: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    item_params = [*params, {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    record = {"$ref": ref}
    written = {"allOf": [record, WRITTEN]}   # a created or updated record, with the warnings of its rules
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {
        "data": {"$ref": data_ref}, "version": {"type": "integer"}}}}}}
    version = [{"name": "version", "in": "query", "schema": {"type": "integer"},
                "description": "the version last read: 409 when the record changed since (or send If-Match)"}]
    return {
        base: {
            "parameters": params,
            "get": {"summary": "List records", "parameters": LIST_PARAMETERS, "responses": _responses(
                {"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": record},
                                                                 "total": {"type": "integer"}}})}, *MODULE_ERRORS)},
            "post": {"summary": "Create a record", "requestBody": body, "parameters": [IDEMPOTENCY_KEY],
                     "responses": _responses({"201": _json(written, "created"),
                                              "200": _json(record, "a repeated Idempotency-Key: the record its "
                                                                   "first send created (Idempotent-Replay: true)")},
                                             *MODULE_ERRORS, 409)},
        },
        base + "/{id}": {
            "parameters": item_params,
            "get": {"summary": "Read a record", "responses": _responses({"200": _json(record)}, *MODULE_ERRORS)},
            "patch": {"summary": "Update a record (send its version)", "requestBody": body,
                      "responses": _responses({"200": _json(written)}, *MODULE_ERRORS, 409)},
            "delete": {"summary": "Delete a record", "parameters": version,
                       "responses": _responses({"204": {"description": "deleted"}}, *MODULE_ERRORS, 409)},
        },
        base + "/import": {
            "parameters": params,
            "post": {"summary": "Import the rows of an .xlsx or .csv file as records: all rows or none",
                     "description": "Each row is checked as a single create checks it; one invalid row and "
                                    "nothing is written (422 lists every problem of every row at once). A file of "
                                    "more rows than the instance imports in the request (1,000 by default) runs as a "
                                    "job: 202 "
                                    "with the URL to poll (GET /imports/{job}).",
                     "requestBody": IMPORT_BODY,
                     "responses": _responses({"200": _json(IMPORTED, "dry run: every row is valid"),
                                              "201": _json(IMPORTED, "imported"),
                                              "202": _json(IMPORT_JOB, "running as a job")},
                                             *MODULE_ERRORS, 409)},
        },
        base + "/import/template": {
            "parameters": params,
            "get": {"summary": "The import template workbook for the caller: the fields they may write, options "
                               "as drop-down lists, an example row, a sheet 说明 of types and options",
                    "responses": _responses({"200": {"description": "an .xlsx workbook", "content": {
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}}}}}, *MODULE_ERRORS)},
        },
        base + "/{id}/pdf": {
            "parameters": item_params,
            "get": {"summary": "The record as an A4 PDF (docs/printing.md)",
                    "description": "Its fields by section as the caller may read them, table rows and totals, "
                                   "money in figures and in Chinese capitals (大写), the approval trail "
                                   "(approvers, decisions, comments, times) and signature images.",
                    "responses": _responses({"200": PDF}, *MODULE_ERRORS)},
        },
        base + "/pdf": {
            "parameters": params,
            "get": {"summary": "Several records in one PDF, one document a page",
                    "parameters": [PRINT_IDS],
                    "responses": _responses({"200": PDF}, *MODULE_ERRORS)},
            "post": {"summary": "Several records in one PDF, one document a page (ids in the body)",
                     "requestBody": {"required": True, "content": {"application/json": {"schema": {
                         "type": "object", "required": ["ids"], "properties": {"ids": {
                             "type": "array", "items": {"type": "string"}, "maxItems": MAX_BATCH}}}}}},
                     "responses": _responses({"200": PDF}, *MODULE_ERRORS)},
        },
        base + "/{id}/history": {
            "parameters": item_params,
            "get": {"summary": "Audit entries of a record", "responses": _responses({"200": _json({"type": "object"})},
                                                                                   *MODULE_ERRORS)},
        },
        base + "/{id}/approval": {
            "parameters": item_params,
            "get": {"summary": "With whom the approval waits: the steps done and the open tasks' candidates",
                    "responses": _responses({"200": _json(APPROVAL)}, *MODULE_ERRORS)},
        },
        base + "/{id}/submit": {
            "parameters": item_params,
            "post": {"summary": "Submit the record: start its approval", "responses": _responses(
                {"200": _json(record)}, *MODULE_ERRORS, 409)},
        },
        base + "/{id}/remind": {
            "parameters": item_params,
            "post": {"summary": "催办: remind whoever the record waits on (its submitter; at most once an hour)",
                     "responses": _responses({"200": REMINDED}, *MODULE_ERRORS, 409)},
        },
        base + "/{id}/withdraw": {
            "parameters": item_params,
            "post": {"summary": "Withdraw the record from review (its submitter)", "responses": _responses(
                {"200": _json(record)}, *MODULE_ERRORS, 409)},
        },
    }


APPROVAL = {"type": "object", "properties": {
    "steps": {"type": "array", "items": {"type": "object", "properties": {
        "task_id": {"type": "string"}, "title": {"type": "string"}, "actor": {"type": "string"},
        "actor_name": {"type": "string"}, "decision": {"type": ["string", "null"]}, "comment": {"type": "string"},
        "time": {"type": ["string", "null"], "description": "ISO 8601, UTC"}}}},
    "pending": {"type": "array", "items": {"type": "object", "properties": {
        "task_id": {"type": "string"}, "title": {"type": "string"},
        "candidates": {"type": "array", "items": {"type": "string"}, "description": "usernames"},
        "due_at": {"type": ["string", "null"], "description": "ISO 8601, UTC"}}}}}}
PDF = {"description": "the PDF (A4); records the caller may not read are left out of a batch, 404 when none is left",
       "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
PRINT_IDS = {"name": "ids", "in": "query", "required": True, "schema": {"type": "string"},
             "description": f"record ids separated by commas (or the parameter repeated), at most {MAX_BATCH}"}
IMPORT_ROWS = {"type": "array", "items": {"type": "object", "properties": {
    "row": {"type": "integer", "description": "the row's number in the file"},
    "field": {"type": "string"}, "column": {"type": "string", "description": "the heading of the field's column"},
    "code": {"type": "string", "description": "a key of the message catalog (required, unique, duplicate_in_file "
                                              "...)"},
    "message": {"type": "string", "description": "in the request's language (?lang=zh or Accept-Language)"}}}}
IMPORTED = {"type": "object", "properties": {"imported": {"type": "integer"}, "checked": {"type": "integer"},
                                             "ids": {"type": "array", "items": {"type": "string"}},
                                             "dry_run": {"type": "boolean"}}}
IMPORT_JOB = {"type": "object", "properties": {"job": {"type": "string"}, "url": {"type": "string"},
                                               "total": {"type": "integer"}}}
IMPORT_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary", "description": "an .xlsx workbook (its first "
                                                                                "sheet) or a CSV file, a header row "
                                                                                "of field labels or keys"},
                   "dry_run": {"type": "string", "enum": ["true", "false", "1", "0"],
                               "description": "check every row, write nothing"}}}}}}
OVERLAY_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["overlay"], "properties": {
        "overlay": {"type": "string", "description": "the overlay's YAML text (docs/overlays.md)"},
        "files": {"type": "object", "additionalProperties": {"type": "string"},
                  "description": "BPMN files the overlay names, by path relative to it; omitted ones are taken "
                                 "from the current version"}}}},
    "application/yaml": {"schema": {"type": "string", "description": "the overlay's YAML text itself"}}}}
PROBLEMS = {"type": "array", "items": {"type": "object", "properties": {
    "file": {"type": "string"}, "line": {"type": "integer"}, "column": {"type": "integer"},
    "message": {"type": "string"}, "text": {"type": "string"},
    "element": {"type": ["string", "null"], "description": "the BPMN element id a process problem is about"},
    "in_process": {"type": "boolean", "description": "the problem is in the BPMN sent (process round trips)"}}}}
BPMN_BODY = {"required": True, "content": {
    "application/xml": {"schema": {"type": "string", "description": "BPMN 2.0 XML"}},
    "application/json": {"schema": {"type": "object", "required": ["xml"], "properties": {"xml": {"type": "string"}}}}}}


def _designer_paths() -> dict[str, Any]:
    """Tenant administrators only (role `admin`): others get 403."""
    module = [{"name": "module", "in": "path", "required": True, "schema": {"type": "string"}}]
    process = [*module, {"name": "process", "in": "path", "required": True, "schema": {"type": "string"},
                         "description": "an entity with a process, its .bpmn file (slashes allowed) or its process id"}]
    report = _json({"type": "object", "description": "diff, records (checked, migrated, kept, invalid, "
                                                     "invalid_reasons), approvals, indexes, warnings"})
    return {
        "/designer/{module}": {"parameters": module, "get": {
            "summary": "The tenant's current version of a module, its overlay and its versions",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404)}},
        "/designer/{module}/validate": {"parameters": module, "post": {
            "summary": "Check an overlay; problems carry the overlay's line and column", "requestBody": OVERLAY_BODY,
            "responses": _responses({"200": _json({"type": "object", "properties": {
                "valid": {"type": "boolean"}, "problems": PROBLEMS}})}, 400, 403, 404)}},
        "/designer/{module}/dryrun": {"parameters": module, "post": {
            "summary": "What publishing the overlay would do; nothing is changed", "requestBody": OVERLAY_BODY,
            "responses": _responses({"200": report}, 400, 403, 404, 422)}},
        "/designer/{module}/publish": {"parameters": module, "post": {
            "summary": "Publish the overlay as the tenant's new version of the module; 409 draft_process_dropped "
                       "when it drops a process the draft holds, unless `confirm_drop_process: true`",
            "requestBody": OVERLAY_BODY,
            "responses": _responses({"200": report}, 400, 403, 404, 409, 422)}},
        "/designer/{module}/upgrade": {"parameters": module, "post": {
            "summary": "Move the tenant's records to the catalog's newest version of the module (a tenant with an "
                       "overlay republishes it on the new base); `{publish: false}`, the default, is the dry run",
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"publish": {"type": "boolean", "default": False}}}}}},
            "responses": _responses({"200": report}, 400, 403, 404, 409, 422)}},
        "/designer/{module}/rollback": {"parameters": module, "post": {
            "summary": "Make the previous version current again",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404, 409)}},
        "/designer/{module}/versions": {"parameters": module, "get": {
            "summary": "The version history",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404)}},
        "/designer/{module}/processes": {"parameters": module, "get": {
            "summary": "The module's approval processes: entity, file, process id, and whether the draft changes it",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404)}},
        "/designer/{module}/processes/{process}": {"parameters": process, "get": {
            "summary": "The process's BPMN XML (the draft's, else the current version's); ?format=json wraps it",
            "responses": _responses({"200": {"description": "BPMN XML", "content": {
                "application/xml": {"schema": {"type": "string"}}}}}, 403, 404)},
            "put": {"summary": "Save the BPMN into the tenant's draft overlay (problems are returned, not refused)",
                    "requestBody": BPMN_BODY,
                    "responses": _responses({"200": _json({"type": "object", "properties": {
                        "saved": {"type": "boolean"}, "valid": {"type": "boolean"}, "file": {"type": "string"},
                        "problems": PROBLEMS}})}, 400, 403, 404, 422)}},
        "/designer/{module}/processes/{process}/validate": {"parameters": process, "post": {
            "summary": "The module's problems with this BPMN as the process; those in it name the element",
            "requestBody": BPMN_BODY,
            "responses": _responses({"200": _json({"type": "object", "properties": {
                "valid": {"type": "boolean"}, "file": {"type": "string"}, "problems": PROBLEMS}})}, 400, 403, 404)}},
        "/designer/{module}/draft": {"parameters": module, "delete": {
            "summary": "Discard the tenant's draft overlay of the module",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404)}},
        "/designer/{module}/versions/{version}/diff": {"parameters": [*module, {
            "name": "version", "in": "path", "required": True, "schema": {"type": "string"}}], "get": {
            "summary": "What a version changed against the one before it",
            "responses": _responses({"200": _json({"type": "object"})}, 403, 404)}},
    }


USER = {"type": "object", "properties": {
    "username": {"type": "string"}, "display_name": {"type": "string"}, "email": {"type": ["string", "null"]},
    "roles": {"type": "array", "items": {"type": "string"}}, "is_active": {"type": "boolean"},
    "status": {"type": "string", "enum": ["active", "invited", "reset", "deactivated"]},
    "link_expires_at": {"type": ["string", "null"]}, "unknown_roles": {"type": "array", "items": {"type": "string"}},
    "created_at": {"type": "string"}}}
LINK = {"type": "object", "description": "the one-time link to set a password; shown only in this answer",
        "properties": {"url": {"type": "string"}, "token": {"type": "string"}, "purpose": {"type": "string"},
                       "expires_at": {"type": "string"}}}
PROJECTS = {"type": "object", "properties": {
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "code": {"type": ["string", "null"]},
        "version": {"type": "integer"}, "positions": {"type": "array", "items": {"type": "string"}}}}},
    "positions": {"type": "array", "items": {"type": "object"}}}}


def _people_paths() -> dict[str, Any]:
    """Tenant administrators only (role `admin`): users, roles and project membership (docs/people.md)."""
    user = [{"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}]
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {
        "username": {"type": "string"}, "display_name": {"type": "string"}, "email": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}}, "is_active": {"type": "boolean"},
        "days": {"type": "integer"}, "project": {"type": "string"}, "position": {"type": "string"}}}}}}
    one = _json(USER)
    return {
        "/designer/users": {
            "get": {"summary": "Users with roles and status, the seats in use, the roles that may be given",
                    "responses": _responses({"200": _json({"type": "object", "properties": {
                        "items": {"type": "array", "items": USER}, "seats": {"type": "object"},
                        "roles": {"type": "array", "items": {"type": "object"}}}})}, 403)},
            "post": {"summary": "Invite a user: {username, display_name?, email?, roles, days?}", "requestBody": body,
                     "responses": _responses({"201": _json({"type": "object", "properties": {
                         "user": USER, "link": LINK}})}, 400, 403, 409)}},
        "/designer/users/{username}": {"parameters": user, "get": {
            "summary": "One user", "responses": _responses({"200": one}, 403, 404)}, "patch": {
            "summary": "Change display_name, email, roles and/or is_active (each only when sent)",
            "requestBody": body, "responses": _responses({"200": one}, 400, 403, 404, 409)}},
        "/designer/users/{username}/deactivate": {"parameters": user, "post": {
            "summary": "Deactivate: logins, sessions and tokens end at once; a seat is freed",
            "responses": _responses({"200": one}, 403, 404, 409)}},
        "/designer/users/{username}/activate": {"parameters": user, "post": {
            "summary": "Activate again (takes a seat)", "responses": _responses({"200": one}, 403, 404)}},
        "/designer/users/{username}/reset": {"parameters": user, "post": {
            "summary": "Clear the password and give a one-time link to set a new one",
            "responses": _responses({"200": _json({"type": "object", "properties": {
                "user": USER, "link": LINK}})}, 403, 404, 409)}},
        "/designer/users/{username}/projects": {"parameters": user, "get": {
            "summary": "The projects listing the user among their members",
            "responses": _responses({"200": _json(PROJECTS)}, 403, 404)}, "post": {
            "summary": "Add the user to a project's members: {project, position}", "requestBody": body,
            "responses": _responses({"201": _json(PROJECTS)}, 400, 403, 404, 409, 422)}},
        "/designer/users/{username}/projects/{project}": {"parameters": [*user, {
            "name": "project", "in": "path", "required": True, "schema": {"type": "string"}}], "delete": {
            "summary": "Take the user off a project (?position= only that position)",
            "responses": _responses({"200": _json(PROJECTS)}, 403, 404, 409, 422)}},
    }


TASK = {"type": "object", "description": "an open approval task: id, record, step, candidates, assignee ..."}
DECISION_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["decision"], "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject", "return", "add_signer"]},
        "comment": {"type": "string"},
        "data": {"type": "object", "description": "fields the step may change, and process variables"},
        "to": {"type": "string", "description": "return: 'previous' or the BPMN id of a step done (退回到任一步)"},
        "users": {"type": "array", "items": {"type": "string"}, "description": "add_signer: login names (加签)"},
        "position": {"type": "string", "enum": ["before", "after"], "description": "add_signer: before or after "
                                                                                    "this step's decision"}}}}}}
REMINDED = _json({"type": "object", "properties": {
    "record_id": {"type": "string"}, "next_at": {"type": "string"},
    "reminded": {"type": "array", "items": {"type": "object", "properties": {
        "task_id": {"type": "string"}, "title": {"type": "string"},
        "to": {"type": "array", "items": {"type": "string"}}}}}}})
DELEGATE_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["to"], "properties": {"to": {"type": "string", "description": "a user name"},
                                                          "comment": {"type": "string"}}}}}}


def _general_paths() -> dict[str, Any]:
    """Log in and out, who am I, the license, modules, schemas, files, tasks and reports."""
    names = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in ("module", "entity")]
    task = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    record = _json({"type": "object", "description": "the record"})
    return {
        "/auth/token": {
            "post": {"summary": "Log in: a token that expires after FORMWORK_TOKEN_HOURS (12 by default)",
                     "security": [], "requestBody": {"required": True, "content": {
                         "application/json": {"schema": {
                             "type": "object", "required": ["tenant", "username", "password"],
                             "properties": {k: {"type": "string"} for k in ("tenant", "username", "password")}}}}},
                     "responses": {
                         **_responses({"201": _json(TOKEN, "issued")}, public=True),
                         "401": _error("wrong tenant, user name or password (the same answer for each)"),
                         "429": {"$ref": "#/components/responses/TooManyAttempts"}}},
            "delete": {"summary": "Log out: revoke the token sent",
                       "responses": _responses({"204": {"description": "revoked"}})}},
        "/auth/refresh": {"post": {
            "summary": "Swap the live token sent for a new one with a full lifetime; the old one stops working",
            "responses": _responses({"201": _json(TOKEN, "issued")})}},
        "/me": {"get": {"summary": "The signed-in user: tenant, user name, roles", "responses": _responses(
            {"200": _json({"type": "object", "properties": {
                "tenant": {"type": "string"}, "username": {"type": "string"},
                "roles": {"type": "array", "items": {"type": "string"}}}})})}},
        "/license": {"get": {"summary": "The tenant's plan, seats used of total, modules and expiry",
                             "responses": _responses({"200": _json({"type": "object"})})}},
        "/openapi.json": {"get": {
            "summary": "This document; with a token, the tenant's entities spelled out",
            "security": [{}, {"bearer": []}],
            "responses": _responses({"200": _json({"type": "object"})}, 401, public=True)}},
        "/modules": {"get": {"summary": "Enabled modules",
                             "responses": _responses({"200": _json({"type": "object"})})}},
        "/schema/{module}/{entity}": {"get": {"summary": "JSON Schema of a record", "parameters": names,
                                              "responses": _responses({"200": _json({"type": "object"})},
                                                                      *MODULE_ERRORS)}},
        "/files": {"post": {
            "summary": "Upload an attachment; put its id in an attachment field",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"},
                               "module": {"type": "string"}, "entity": {"type": "string"},
                               "field": {"type": "string", "description": "apply this attachment field's limits"}}}}}},
            "responses": _responses({"201": _json(FILE, "stored")}, *MODULE_ERRORS, 413)}},
        "/imports/{job}": {"get": {
            "summary": "Progress of an import running as a job (its user only)",
            "parameters": [{"name": "job", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _responses({"200": _json({"type": "object", "properties": {
                "state": {"enum": ["running", "done", "failed"]}, "validated": {"type": "integer"},
                "written": {"type": "integer"}, "total": {"type": "integer"}, "status": {"type": "integer"},
                "imported": {"type": "integer"}, "rows": IMPORT_ROWS, "error": {"type": "object"}}})}, 404)}},
        "/files/{id}": {"get": {
            "summary": "Download a file (its uploader, or readers of the record that holds it)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "record", "in": "query", "schema": {"type": "string"},
                            "description": "module/entity/id of a record holding the file"}],
            "responses": _responses({"200": {"description": "the file's content",
                                             "content": {"application/octet-stream": {}}}}, *MODULE_ERRORS)}},
        "/tasks": {"get": {"summary": "My open tasks (by my roles and my user)", "responses": _responses(
            {"200": _json({"type": "object", "properties": {"items": {"type": "array", "items": TASK},
                                                             "total": {"type": "integer"}}})})}},
        "/tasks/{id}/complete": {"parameters": task, "post": {
            "summary": "Approve, reject or return: the process routes on the decision", "requestBody": DECISION_BODY,
            "responses": _responses({"200": record}, 403, 404, 409, 422)}},
        "/tasks/{id}/remind": {"parameters": task, "post": {
            "summary": "催办: remind whoever the task's record waits on (its submitter; at most once an hour)",
            "responses": _responses({"200": REMINDED}, 403, 404, 409)}},
        "/tasks/{id}/claim": {"parameters": task, "post": {
            "summary": "Take a task offered to one of my roles",
            "responses": _responses({"200": record}, 403, 404, 409)}},
        "/tasks/{id}/delegate": {"parameters": task, "post": {
            "summary": "Hand my task to another user", "requestBody": DELEGATE_BODY,
            "responses": _responses({"200": record}, 403, 404, 409, 422)}},
        "/reports/{module}/{name}": {"get": {
            "summary": "Run a declared report (my row filters apply)",
            "parameters": [*(n for n in names if n["name"] == "module"),
                           {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "q", "in": "query", "schema": {"type": "string"},
                            "description": "a further filter in the formula language"}],
            "responses": _responses({"200": _json({"type": "object", "properties": {
                "columns": {"type": "array", "items": {"type": "object"}},
                "rows": {"type": "array", "items": {"type": "object"}}}})}, *MODULE_ERRORS)}},
    }


def openapi_document(service: Records | None, language: str,
                     plugin_paths: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The document; `plugin_paths` are the /api/v1 operations installed plugins describe."""
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = _general_paths()
    paths.update(_designer_paths())
    paths.update(_people_paths())
    paths.update(assignment_paths())
    paths.update(plugin_paths or {})
    schemas["RuleWarnings"] = RULE_WARNINGS
    if service is None:
        generic = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                   for n in ("module", "entity")]
        schemas["Record"] = {"type": "object", "properties": {"data": {"type": "object"}}}
        schemas["RecordData"] = {"type": "object"}
        paths.update(_entity_paths("/records/{module}/{entity}", "#/components/schemas/Record",
                                   "#/components/schemas/RecordData", generic))
    else:
        for module in service.modules.values():
            for entity in module.entities.values():
                name = f"{module.name}.{entity.name}"
                schema = record_schema(entity, language, service.access(entity).hidden_fields)
                schema.pop("$schema", None)
                schema.pop("$id", None)
                schemas[name] = schema
                schemas[name + ".data"] = schema["properties"]["data"]
                paths.update(_entity_paths(f"/records/{module.name}/{entity.name}", f"#/components/schemas/{name}",
                                           f"#/components/schemas/{name}.data", []))
    _with_size_limit(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Formwork API", "version": "1"},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {"schemas": schemas, "responses": AUTH_RESPONSES,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
