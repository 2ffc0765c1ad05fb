"""Where the web layer keeps uploads (attachments, imports in progress): one setting for pages and API."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app


def uploads_root() -> Path:
    """FORMWORK_UPLOADS in the app config, else `uploads/` in the instance folder."""
    configured = current_app.config.get("FORMWORK_UPLOADS")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def file_response(content: bytes, content_type: str, name: str, *, inline: bool) -> Response:
    """A stored file: never sniffed, never cached by shared caches, named in UTF-8."""
    response = Response(content, mimetype=content_type)
    disposition = "inline" if inline else "attachment"
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "") or "file"
    response.headers["Content-Disposition"] = (f"{disposition}; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(name)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
