"""Message codes of a field format's example, the REST layer and the pages (a request's shape, HTTP statuses, a
failure nobody foresaw): part of MESSAGES in engine.core.error_codes (kept here, that file is at its length limit),
so every message a user meets has a code and a catalog entry."""
from __future__ import annotations

REQUEST_MESSAGES: dict[str, str] = {
    # a field's format without a declared message (engine.records.compute): an example, never the pattern
    "pattern_example": "has the wrong format, e.g. {example}",
    "body_not_json": "the request body is not valid JSON",
    "body_not_object": "the request body must be a JSON object",
    "bearer_missing": "send 'Authorization: Bearer <token>'; get a token from POST /api/v1/auth/token",
    "send_texts": "send {names} as text in the JSON body",
    "send_text": "send {key!r} as text in the JSON body",
    "upload_no_file": "send the file as multipart/form-data in the field 'file'",
    "no_attachment_field": "{entity} has no attachment field {field!r}",
    "file_content_missing": "the content of file {file_id!r} is missing from the uploads folder",
    "json_too_deep": "the JSON body is nested more than {depth} levels deep",
    "json_number_too_large": "the JSON body at {path} has a number too large to compute with",
    "json_not_a_number": "the JSON body has {name}, which JSON does not allow: send a number",
    "text_lone_surrogate": "{where} has a lone surrogate ({found}): send text as UTF-8, with surrogates only in pairs",
    "text_nul": "{where} has a NUL character; remove it",
    "roles_list_example": "'roles' must be a list of role keys, e.g. [\"project_manager\"]",
    "link_days_whole": "'days' must be a whole number of days the link stays valid",
    "is_active_boolean": "'is_active' must be true or false",
    "designer_admin_only": "only tenant administrators (role 'admin') use the designer",
    "overlay_problems": "the overlay has {count} problem(s)",
    "bpmn_body_invalid": "the body is not a BPMN 2.0 document",
    "formula_table_not_found": "{entity} has no table {table!r}",
    "import_not_found": "import {token!r} does not exist",
    "notification_not_found": "notification {item_id!r} does not exist",
    "notify_account_invalid": "send dingtalk and wecom: each a user id of at most 64 characters, or null",
    "internal_error": "something went wrong on the server; it was logged",
    "unexpected_error": "unexpected error; it was logged",
    "plugin_crashed": "{error_type}: {error}",
    # werkzeug's HTTP errors on /api/ (a route that does not exist, a method it does not take ...)
    "http_400": "the request is not understood",
    "http_401": "log in first",
    "http_403": "you may not do this",
    "http_404": "there is no such address: {path}",
    "http_405": "{method} is not allowed here",
    "http_413": "the request is too large",
    "http_415": "this content type is not supported",
    "http_error": "the request failed ({status})",
}
