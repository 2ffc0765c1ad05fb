"""How large a request body may be: attachments up to FORMWORK_MAX_REQUEST_MB, anything else (JSON, forms,
BPMN text) up to FORMWORK_MAX_JSON_MB; a larger body is refused with 413 before it is read."""
from __future__ import annotations

from flask import Flask, abort, request

MB = 1024 * 1024


def register(app: Flask) -> None:
    app.config["MAX_CONTENT_LENGTH"] = int(float(app.config["FORMWORK_MAX_REQUEST_MB"]) * MB)

    @app.before_request
    def limit_body() -> None:
        limit, setting = app.config["MAX_CONTENT_LENGTH"], "FORMWORK_MAX_REQUEST_MB"
        if request.mimetype != "multipart/form-data":
            limit, setting = int(float(app.config["FORMWORK_MAX_JSON_MB"]) * MB), "FORMWORK_MAX_JSON_MB"
        request.max_content_length = limit   # also bounds a body sent without Content-Length while it is read
        if request.content_length is not None and request.content_length > limit:
            abort(413, description=f"the request body is larger than {limit / MB:g} MB, the limit of this server "
                                   f"({setting}); send files as multipart/form-data to /api/v1/files")
