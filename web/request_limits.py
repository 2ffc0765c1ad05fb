"""How large a request body may be: attachments up to FORMWORK_MAX_REQUEST_MB, anything else (JSON, forms,
BPMN text) up to FORMWORK_MAX_JSON_MB; a larger body is refused with 413 before it is read.

The limit is a property of the request itself (`LimitedRequest`), so it holds from the first read of the
body whoever reads it first (the input guard reads forms before any view), and for a body sent in chunks
without Content-Length as much as for one that declares its length.
"""
from __future__ import annotations

from typing import IO, cast

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

MB = 1024 * 1024


def body_limit(mimetype: str | None = None) -> tuple[int, str]:
    """(bytes, setting) allowed for a body of `mimetype` (by default the current request's)."""
    config = current_app.config
    if (request.mimetype if mimetype is None else mimetype) == "multipart/form-data":
        return int(float(config["FORMWORK_MAX_REQUEST_MB"]) * MB), "FORMWORK_MAX_REQUEST_MB"
    return int(float(config["FORMWORK_MAX_JSON_MB"]) * MB), "FORMWORK_MAX_JSON_MB"


def too_large() -> RequestEntityTooLarge:
    limit, setting = body_limit()
    return RequestEntityTooLarge(description=f"the request body is larger than {limit / MB:g} MB, the limit of this "
                                             f"server ({setting}); send files as multipart/form-data to /api/v1/files")


class _AtMost(LimitedStream):
    """A body the server ends itself (chunked): Werkzeug's reading of it all stops quietly at the limit, which
    would hand on a body cut short; here a body that goes on past the limit is a 413."""

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted and self._stream.read(1):
            raise too_large()
        return data

    def on_exhausted(self) -> None:
        raise too_large()


class LimitedRequest(Request):
    """A request whose body is read at most up to `body_limit()`: more is a 413, declared or streamed."""

    @cached_property
    def stream(self) -> IO[bytes]:
        limit = self.max_content_length
        if limit is not None and "wsgi.input_terminated" in self.environ:
            if self.content_length is not None and self.content_length > limit:
                raise too_large()
            # a LimitedStream is a binary stream; Werkzeug's get_input_stream casts it to IO[bytes] the same way
            return cast(IO[bytes], _AtMost(self.environ["wsgi.input"], limit, is_max=True))
        if limit is not None and self.content_length is not None and self.content_length > limit:
            raise too_large()
        return get_input_stream(self.environ, max_content_length=limit)

    @property
    def max_content_length(self) -> int | None:
        return body_limit(self.mimetype)[0] if current_app else None

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        raise AttributeError("the body limit comes from FORMWORK_MAX_JSON_MB and FORMWORK_MAX_REQUEST_MB")


def register(app: Flask) -> None:
    app.request_class = LimitedRequest
    app.config["MAX_CONTENT_LENGTH"] = int(float(app.config["FORMWORK_MAX_REQUEST_MB"]) * MB)

    @app.before_request
    def limit_body() -> None:
        """A body declared too large is refused even where nothing reads it."""
        if request.content_length is not None and request.content_length > body_limit()[0]:
            raise too_large()
