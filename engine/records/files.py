"""Attachments: uploaded files kept on disk by content hash, their metadata per tenant, and who may read them.

An attachment field holds file ids. A file may be read by the user who uploaded it (to preview
it before the record is saved) and by anyone who may read a record whose visible attachment
fields hold it.
"""
from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.declarations.model import EntitySpec, FieldSpec
from engine.errors import BadRequest, FieldError, NotFound
from engine.fields import photos
from engine.storage.models import StoredFile
from engine.tenancy.tenants import Actor

DEFAULT_MAX_SIZE = 20 * 1024 * 1024
DEFAULT_ACCEPT = ("image/*", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".txt", ".csv", ".zip",
                  ".dwg")
UNITS = {"B": 1, "KB": 1000, "KIB": 1024, "MB": 1000 ** 2, "MIB": 1024 ** 2, "GB": 1000 ** 3, "GIB": 1024 ** 3}
SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMG]i?B|B)\s*$", re.IGNORECASE)
MAX_NAME = 255
CHUNK = 1024 * 1024
FILE_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class FileInfo:
    id: str
    name: str
    size: int
    content_type: str
    sha256: str
    uploaded_by: str

    @property
    def is_image(self) -> bool:
        """Shown as a thumbnail; SVG is left out, it can carry scripts."""
        return self.content_type.startswith("image/") and self.content_type != "image/svg+xml"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "size": self.size, "type": self.content_type}


def _info(row: StoredFile) -> FileInfo:
    return FileInfo(row.id, row.name, row.size, row.content_type, row.sha256, row.uploaded_by)


def max_size(spec: FieldSpec | None) -> int:
    """The field's `max_size` (bytes or text such as '10MB'), else DEFAULT_MAX_SIZE."""
    raw = spec.presentation.get("max_size") if spec is not None else None
    if isinstance(raw, int):
        return raw
    match = SIZE.match(str(raw or ""))
    return int(float(match.group(1)) * UNITS[match.group(2).upper()]) if match else DEFAULT_MAX_SIZE


def accepted(spec: FieldSpec | None) -> tuple[str, ...]:
    """The field's `accept` list ('.pdf', 'image/*', 'application/pdf'), else images, PDF and office files."""
    raw = spec.presentation.get("accept") if spec is not None else None
    if isinstance(raw, str):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(raw, Sequence) and raw:
        return tuple(str(part) for part in raw)
    return DEFAULT_ACCEPT


def content_type_of(name: str, declared: str | None) -> str:
    """The type by the file's extension (what the browser will be told), else what the client said."""
    guessed, _ = mimetypes.guess_type(name)
    return guessed or (declared or "application/octet-stream").split(";")[0].strip().lower()


def is_accepted(patterns: Sequence[str], name: str, content_type: str) -> bool:
    lowered = name.lower()
    for pattern in (p.strip().lower() for p in patterns):
        if pattern.startswith(".") and lowered.endswith(pattern):
            return True
        if pattern.endswith("/*") and content_type.startswith(pattern[:-1]):
            return True
        if pattern == content_type:
            return True
    return False


def blob_path(root: Path, tenant_id: str, sha256: str) -> Path:
    """Where a tenant's file content lives: one copy per content, under the tenant's own folder."""
    return root / "files" / tenant_id / sha256[:2] / sha256


def write_blob(root: Path, tenant_id: str, sha256: str, content: IO[bytes]) -> None:
    """Keep `content` (read in chunks) as the tenant's file content `sha256`, refusing it if it hashes otherwise."""
    path = blob_path(root, tenant_id, sha256)
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{sha256}.{secrets.token_hex(4)}.tmp")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as target:
            while chunk := content.read(CHUNK):
                digest.update(chunk)
                target.write(chunk)
        if digest.hexdigest() != sha256:
            raise BadRequest(f"the content given for file {sha256} hashes to {digest.hexdigest()}: it is damaged",
                             message_code="file_content_damaged",
                             params={"sha256": sha256, "digest": digest.hexdigest()})
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def store(session: Session, actor: Actor, root: Path, name: str, declared_type: str | None, data: bytes,
          spec: FieldSpec | None = None) -> FileInfo:
    """Keep an upload after checking it against the field's (or the default) size and type limits."""
    name = os.path.basename(name.replace("\\", "/")).strip()[:MAX_NAME]
    if not name:
        raise BadRequest("the upload has no file name", message_code="upload_no_name")
    content_type = content_type_of(name, declared_type)
    if photos.is_camera(spec):
        name, content_type, data = photos.shrunk(name, content_type, data)
    limit = max_size(spec)
    if len(data) > limit:
        raise BadRequest(f"{name!r} is {len(data)} bytes; files may be at most {limit} bytes",
                         message_code="file_too_large", params={"name": name, "size": len(data), "limit": limit})
    if not data:
        raise BadRequest(f"{name!r} is empty", message_code="file_empty", params={"name": name})
    patterns = accepted(spec)
    if not is_accepted(patterns, name, content_type):
        raise BadRequest(f"{name!r} ({content_type}) is not an accepted type; accepted: {', '.join(patterns)}",
                         message_code="file_type_refused",
                         params={"name": name, "content_type": content_type, "accepted": ', '.join(patterns)})
    digest = hashlib.sha256(data).hexdigest()
    write_blob(root, actor.tenant_id, digest, io.BytesIO(data))
    row = StoredFile(id=str(uuid.uuid4()), name=name, size=len(data), content_type=content_type, sha256=digest,
                     uploaded_by=actor.username, uploaded_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    return _info(row)


def infos(session: Session, ids: Sequence[str]) -> dict[str, FileInfo]:
    """Metadata of the tenant's files among `ids` (the session's tenant scope applies)."""
    wanted = sorted({str(i) for i in ids if i})
    if not wanted:
        return {}
    return {row.id: _info(row) for row in session.scalars(select(StoredFile).where(StoredFile.id.in_(wanted)))}


def ids_in(spec: FieldSpec, value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def attachment_errors(session: Session, entity: EntitySpec, values: Mapping[str, Any]) -> list[FieldError]:
    """File ids in attachment fields must be this tenant's files, of the types the field accepts.

    Values that are not file ids (a path or URL written by an integration or a seed) are references
    the engine does not manage and pass unchecked.
    """
    errors = []
    fields = [(name, spec) for name, spec in entity.fields.items() if spec.type == "attachment"]
    known = infos(session, [i for name, spec in fields for i in ids_in(spec, values.get(name)) if FILE_ID.match(i)])
    for name, spec in fields:
        for file_id in (i for i in ids_in(spec, values.get(name)) if FILE_ID.match(i)):
            found = known.get(file_id)
            if found is None:
                errors.append(FieldError(name, f"file {file_id!r} does not exist; upload it first",
                                         code="file_missing", params={"file_id": file_id}))
            elif not is_accepted(accepted(spec), found.name, found.content_type):
                errors.append(FieldError(name, f"{found.name!r} ({found.content_type}) is not an accepted type",
                                         code="file_type_not_accepted",
                                         params={"name": found.name, "content_type": found.content_type}))
    return errors


class RecordReader(Protocol):
    """What `readable` needs of the record service: the actor's reads, with their rights and row filters."""

    @property
    def session(self) -> Session: ...

    @property
    def actor(self) -> Actor: ...

    def entity(self, module: str, entity: str) -> EntitySpec: ...

    def get(self, module: str, entity_name: str, record_id: str) -> dict[str, Any]: ...


def readable(records: RecordReader, file_id: str, record: tuple[str, str, str] | None) -> FileInfo:
    """The file, if the actor uploaded it or may read `record` (module, entity, id) and it holds the file."""
    found = infos(records.session, [file_id]).get(file_id)
    if found is not None and found.uploaded_by == records.actor.username:
        return found
    if found is not None and record is not None:
        module, entity_name, record_id = record
        entity = records.entity(module, entity_name)
        data = records.get(module, entity_name, record_id)["data"]  # read right and row filters apply
        if any(file_id in ids_in(spec, data.get(name)) for name, spec in entity.fields.items()
               if spec.type == "attachment"):
            return found
    raise NotFound(f"file {file_id!r} does not exist or you may not read it",
                   message_code="file_not_found", params={"file_id": file_id})
