"""Where the web layer keeps uploads (attachments, imports in progress): one setting for pages and API."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app


def uploads_root() -> Path:
    """FORMWORK_UPLOADS in the app config, else `uploads/` in the instance folder."""
    configured = current_app.config.get("FORMWORK_UPLOADS")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


# Types a page of ours would run or apply if an injected tag pointed at a stored file (<script src>, <link>),
# or render as a document of our origin. The Content-Security-Policy trusts scripts of our own origin, so
# such files go out as plain bytes, which the browser refuses to run (nosniff).
ACTIVE_CONTENT = re.compile(r"(?:text|application)/(?:x-)?(?:java|ecma)script|text/(?:javascript[0-9.]*|jscript|"
                            r"livescript|css|html|xml)|application/(?:xhtml\+)?xml|image/svg\+xml", re.IGNORECASE)


def file_response(content: bytes, content_type: str, name: str, *, inline: bool) -> Response:
    """A stored file: never sniffed, never run as script or style, never cached by shared caches, named in UTF-8."""
    essence = content_type.split(";")[0].strip()
    response = Response(content, mimetype="application/octet-stream" if ACTIVE_CONTENT.fullmatch(essence)
                        else content_type)
    disposition = "inline" if inline else "attachment"
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "file"
    response.headers["Content-Disposition"] = (f"{disposition}; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
