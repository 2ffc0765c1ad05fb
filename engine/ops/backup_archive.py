"""A backup file: a tar archive of a tenant's rows, signed by the instance that wrote it, and its files' contents.

Members, in this order (gzip-compressed when the file name ends with `.gz`):

    backup.json       the backup document (`engine.ops.backup.export_tenant`), UTF-8 JSON
    backup.json.sig   HMAC-SHA256 of backup.json under the instance key (purpose "backup"), hex
    files/<sha256>    the content of each attachment the document's `files` rows name, once per content

Attachments are kept by SHA-256 and the signed rows name each one's hash and size, so the one signature
covers the contents too: each is checked against its hash while it is copied. A tar archive streams both
ways (no attachment is ever held in memory whole, nothing is base64-inflated), it is one file to keep, and
ordinary tools open it (`tar tzvf backup.tar.gz`).
"""
from __future__ import annotations

import gzip
import io
import json
import os
import re
import secrets
import tarfile
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.core import instance_key
from engine.errors import BadRequest
from engine.records import files

MANIFEST = "backup.json"
SIGNATURE = "backup.json.sig"
CONTENT = re.compile(r"^files/([0-9a-f]{64})$")
PURPOSE = "backup"
READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


class UntrustedBackup(BadRequest):
    """The backup file is not signed by this instance: unsigned, altered, or signed by another instance."""

    code = "untrusted_backup"


@dataclass(frozen=True)
class Written:
    contents: int       # attachment contents written
    size: int           # their bytes
    missing: list[str]  # hashes whose content was not in the uploads folder (the rows are kept all the same)


def write(path: Path, document: dict[str, Any], root: Path) -> Written:
    """Write the signed document and the contents of its files from the uploads folder `root`.

    The archive appears under `path` only once it is complete.
    """
    tenant_id = str(document["tenant"])
    hashes = sorted({str(row["sha256"]) for row in document["tables"].get("files", [])})
    present = {sha: files.blob_path(root, tenant_id, sha) for sha in hashes}
    missing = [sha for sha, blob in present.items() if not blob.is_file()]
    manifest = json.dumps({**document, "missing_files": missing}, ensure_ascii=False,
                          separators=(",", ":")).encode()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    size = 0
    try:
        compressed = path.name.endswith(".gz")
        # attachments (PDF, images, office files) are mostly compressed already: a light level is enough
        with (tarfile.open(temporary, "w:gz", compresslevel=6) if compressed else tarfile.open(temporary, "w")) \
                as archive:
            _add_bytes(archive, MANIFEST, manifest)
            _add_bytes(archive, SIGNATURE, instance_key.sign(PURPOSE, manifest).encode())
            for sha, blob in present.items():
                if sha in missing:
                    continue
                with blob.open("rb") as content:
                    member = _member(f"files/{sha}", os.fstat(content.fileno()).st_size)
                    archive.addfile(member, content)   # copied in chunks
                    size += member.size
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return Written(len(present) - len(missing), size, missing)


def _member(name: str, size: int) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size, member.mtime, member.mode = size, int(time.time()), 0o600
    return member


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    archive.addfile(_member(name, len(data)), io.BytesIO(data))


class Opened:
    """A backup file being read front to back: its verified document, then its attachment contents."""

    def __init__(self, path: Path, archive: tarfile.TarFile | None, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document
        self._archive = archive

    def restore_contents(self, root: Path, tenant_id: str, expected: Mapping[str, int]) -> int:
        """Copy every content the document expects (hash -> size) into the uploads folder; return how many.

        Each is checked against its hash and size while it is copied; an unexpected member, a damaged
        content or a missing one refuses the backup.
        """
        seen: set[str] = set()
        while self._archive is not None:
            member = self._next()
            if member is None:
                break
            match = CONTENT.match(member.name)
            if not member.isfile() or match is None or match.group(1) not in expected:
                raise BadRequest(f"{self.path} holds {member.name!r}, which is no attachment content of this "
                                 "backup; nothing was imported",
                                 message_code="backup_stray_member", params={"path": self.path, "name": member.name})
            sha = match.group(1)
            if sha in seen or member.size != expected[sha]:
                raise BadRequest(f"{self.path} holds the content {sha} twice or with another size than its "
                                 "file rows say; nothing was imported",
                                 message_code="backup_duplicate_content", params={"path": self.path, "sha": sha})
            seen.add(sha)
            content = self._archive.extractfile(member)
            assert content is not None   # a regular file
            try:
                files.write_blob(root, tenant_id, sha, content)
            except READ_ERRORS as error:
                raise BadRequest(f"{self.path} is damaged: {error}; nothing was imported",
                                 message_code="backup_damaged_nothing_imported",
                                 params={"path": self.path, "error": error}) from None
        absent = sorted(set(expected) - seen)
        if absent:
            raise BadRequest(f"{self.path} lacks the content of {len(absent)} attachment(s) (first: {absent[0]}); "
                             "nothing was imported", details={"missing": absent},
                             message_code="backup_attachments_missing",
                             params={"path": self.path, "count": len(absent), "first": absent[0]})
        return len(seen)

    def read_member(self, name: str) -> bytes:
        """The next member, which must be the regular file `name`."""
        member = self._next()
        if member is None or member.name != name or not member.isfile():
            raise BadRequest(f"{self.path} is not a Formwork backup: its archive does not begin with {name}",
                             message_code="backup_bad_archive_start", params={"path": self.path, "name": name})
        assert self._archive is not None
        content = self._archive.extractfile(member)
        assert content is not None   # a regular file
        try:
            return content.read()
        except READ_ERRORS as error:
            raise BadRequest(f"{self.path} is damaged: {error}",
                             message_code="backup_damaged", params={"path": self.path, "error": error}) from None

    def _next(self) -> tarfile.TarInfo | None:
        assert self._archive is not None
        try:
            return self._archive.next()
        except READ_ERRORS as error:
            raise BadRequest(f"{self.path} is damaged: {error}; nothing was imported",
                             message_code="backup_damaged_nothing_imported",
                             params={"path": self.path, "error": error}) from None


@contextmanager
def open_backup(path: Path, *, format_name: str, format_version: int,
                trust_unsigned: bool = False) -> Iterator[Opened]:
    """Open a backup whose signature this instance verifies, or any backup when `trust_unsigned`.

    A version 1 backup (plain JSON, optionally gzip, with no signature and no attachment contents) is read
    only when `trust_unsigned`.
    """
    if not path.is_file():
        raise BadRequest(f"backup file {path} does not exist",
                         message_code="backup_file_missing", params={"path": path})
    if not _is_archive(path):
        yield Opened(path, None, _legacy(path, format_name, trust_unsigned))
        return
    with tarfile.open(path, "r|*") as archive:
        opened = Opened(path, archive, {})
        manifest = opened.read_member(MANIFEST)
        signature = opened.read_member(SIGNATURE).decode("ascii", "replace").strip()
        if not instance_key.verify(PURPOSE, manifest, signature) and not trust_unsigned:
            raise UntrustedBackup(f"{path} is not signed by this instance: it was altered, or written by another "
                                  "instance. Import it only if you know where it comes from, with "
                                  "--trust-unsigned", message_code="backup_not_signed_here", params={"path": path})
        opened.document = _parse(manifest, path, format_name)
        if opened.document.get("format_version") != format_version:
            raise BadRequest(f"{path} has backup format version {opened.document.get('format_version')!r}; this "
                             f"Formwork reads version {format_version}",
                             message_code="backup_unsupported_version",
                             params={"path": path, "found_version": opened.document.get('format_version'),
                                     "format_version": format_version})
        yield opened


def _is_archive(path: Path) -> bool:
    try:
        with tarfile.open(path, "r|*"):
            return True
    except READ_ERRORS:
        return False


def _parse(raw: bytes, path: Path, format_name: str) -> dict[str, Any]:
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise BadRequest(f"{path} is not a Formwork backup: {MANIFEST} is not JSON ({error})",
                         message_code="backup_manifest_not_json",
                         params={"path": path, "manifest": MANIFEST, "error": error}) from None
    if not isinstance(document, dict) or document.get("format") != format_name:
        raise BadRequest(f"{path} is not a Formwork backup: its 'format' is not {format_name!r}",
                         message_code="backup_wrong_format", params={"path": path, "format_name": format_name})
    return document


def _legacy(path: Path, format_name: str, trust_unsigned: bool) -> dict[str, Any]:
    """A version 1 backup: one JSON document, optionally gzip; unsigned and without attachment contents."""
    try:
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError, zlib.error) as error:
        raise BadRequest(f"{path} is not a Formwork backup (a tar archive, optionally gzip): {error}",
                         message_code="backup_not_an_archive", params={"path": path, "error": error}) from None
    try:
        document = json.loads(raw)
    except ValueError:
        raise BadRequest(f"{path} is not a Formwork backup (a tar archive, optionally gzip)",
                         message_code="backup_not_an_archive_plain", params={"path": path}) from None
    if not isinstance(document, dict) or document.get("format") != format_name:
        raise BadRequest(f"{path} is not a Formwork backup: its 'format' is not {format_name!r}",
                         message_code="backup_wrong_format", params={"path": path, "format_name": format_name})
    if document.get("format_version") != 1:
        raise BadRequest(f"{path} has backup format version {document.get('format_version')!r}; this Formwork "
                         "reads version 2 (and version 1 with --trust-unsigned)",
                         message_code="backup_unsupported_version_v2",
                         params={"path": path, "format_version": document.get('format_version')})
    if not trust_unsigned:
        raise UntrustedBackup(f"{path} is a version 1 backup: it is not signed and holds no attachment contents. "
                              "Import it only if you know where it comes from, with --trust-unsigned",
                              message_code="backup_unsigned_v1", params={"path": path})
    return document
