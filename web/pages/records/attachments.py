"""Attachments on the pages: files uploaded with a form, links and thumbnails, and the file download."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Response, request, url_for
from werkzeug.datastructures import FileStorage

from engine.declarations.model import EntitySpec
from engine.errors import BadRequest, FieldError, NotFound
from engine.records import files
from engine.records.service import Records
from web.pages.blueprint import pages
from web.ui.display import size_text
from web.ui.forms import Raw
from web.ui.services import approvals, uploads_root
from web.uploads import file_response


@dataclass(frozen=True)
class FileLink:
    id: str
    name: str
    url: str
    is_image: bool
    size: str


def file_links(records: Records, ids: Iterable[str], record: tuple[str, str, str] | None = None) -> list[FileLink]:
    """Links to the files among `ids` this tenant holds; a record's files are served through it."""
    wanted = [str(i) for i in ids if i]
    known = files.infos(records.session, wanted)
    through = "/".join(record) if record is not None else None
    return [FileLink(info.id, info.name, url_for("pages.file_download", file_id=info.id, r=through), info.is_image,
                     size_text(info.size))
            for info in (known.get(i) for i in wanted) if info is not None]


def save_uploads(records: Records, entity: EntitySpec, raw: Raw, writable: set[str],
                 uploads: dict[str, list[FileStorage]]) -> list[FieldError]:
    """Store the files posted with a form and add their ids to the fields' kept values."""
    problems = []
    for name, posted in uploads.items():
        spec = entity.fields.get(name)
        if spec is None or spec.type != "attachment" or name not in writable:
            continue
        for upload in posted:
            if not upload.filename:
                continue
            data = upload.stream.read(files.max_size(spec) + 1)
            upload.close()
            try:
                stored = files.store(records.session, records.actor, uploads_root(), upload.filename,
                                     upload.mimetype, data, spec)
            except BadRequest as error:
                problems.append(FieldError(name, error.message, code=error.message_code, params=error.params))
                continue
            if spec.multiple:
                raw[name] = [*(raw.get(name) or []), stored.id]
            else:
                raw[name] = stored.id
    return problems


def posted_files() -> dict[str, list[FileStorage]]:
    return {name: request.files.getlist(name) for name in request.files}


@pages.get("/files/<file_id>")
def file_download(file_id: str) -> Response:
    """A file for its uploader, or for readers of the record named in `r` (module/entity/id) holding it."""
    parts = request.args.get("r", "").split("/")
    record = (parts[0], parts[1], parts[2]) if len(parts) == 3 and all(parts) else None
    with approvals() as service:
        info = files.readable(service.records, file_id, record)
    path: Path = files.blob_path(uploads_root(), service.records.actor.tenant_id, info.sha256)
    if not path.is_file():
        raise NotFound(f"the content of file {file_id!r} is missing from the uploads folder",
                       message_code="file_content_missing", params={"file_id": file_id})
    response = file_response(path.read_bytes(), info.content_type, info.name, inline=info.is_image)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
