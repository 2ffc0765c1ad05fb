"""Records as A4 PDF documents: the engine's print model, formatted as on the record page, typeset by WeasyPrint.

WeasyPrint (HTML and CSS to PDF through Pango) sets Chinese text with the CJK font `make install` puts on the
machine, so the PDF's text is real text: searchable, copyable, read back by pdftotext. It fetches nothing: the
signature images go in as data URIs, and any other URL a document might name is refused.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Response, render_template

from engine.declarations.model import NUMERIC_TYPES, FieldSpec
from engine.errors import BadRequest
from engine.printing.document import PrintDocument
from engine.records import files
from engine.records.service import Records
from web.ui.display import Formatter, as_decimal, format_moment, format_number, status_tone
from web.ui.services import formatter
from web.uploads import uploads_root

EMBEDDED_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})   # never SVG: it can fetch
STYLESHEET = Path(__file__).parents[1] / "templates" / "print" / "document.css"
UNSAFE_IN_NAMES = re.compile(r"[^\w.-]+")   # \w keeps Chinese
IMAGE_BUDGET = 32 * 1024 * 1024   # bytes of images one PDF embeds (a batch of photos); later ones are named only


@dataclass
class Item:
    """One printed field: text, a table, or files (images shown, others named)."""

    label: str
    kind: str
    text: str = ""
    wide: bool = False
    columns: list[tuple[str, bool]] = field(default_factory=list)     # label, is_numeric
    rows: list[list[str]] = field(default_factory=list)
    totals: list[str] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)       # data URI ("" for a file not shown), name


@dataclass
class Page:
    title: str
    number: str
    status: str
    tone: str
    sections: list[tuple[str, list[list[Item]]]]                       # title, rows of one wide or two items
    amounts: list[tuple[str, str, str]]                               # label, figures, 大写
    trail: list[tuple[str, str, str, str, str]]                       # step, approver, decision, comment, time
    footer: str


def print_html(records: Records, documents: Sequence[PrintDocument]) -> str:
    """The documents as one HTML file for WeasyPrint, each starting on a new A4 page (inside the transaction:
    it looks up user names, referenced titles and the attachments' files)."""
    entity = documents[0].entity
    fmt = formatter(records, entity, [d.record["data"] for d in documents])
    images = _images(records, documents)
    pages = [_page(d, fmt, images) for d in documents]
    printed = fmt.t("print.printed", user=fmt.user(records.actor.username), at=format_moment(datetime.now(UTC)))
    return render_template("print/document.html", pages=pages, printed=printed, t=fmt.t, lang=fmt.language)


def pdf_of(html: str) -> bytes:
    """Typeset the HTML as a PDF (after the transaction: it takes a while and reads nothing)."""
    # Imported here, not with the module: the app runs where Pango is missing, printing aside.
    from weasyprint import CSS, HTML, URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})   # a document never makes the server fetch a URL
    style = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=fetcher)
    document: bytes = HTML(string=html, url_fetcher=fetcher, base_url=".").write_pdf(stylesheets=[style])
    return document


def pdf_response(content: bytes, name: str) -> Response:
    """The PDF as a download named after the record (its number), in UTF-8 for Chinese names."""
    response = Response(content, mimetype="application/pdf")
    name = UNSAFE_IN_NAMES.sub("_", name).strip("_.") or "document"   # a number is typed text: no / or newline
    ascii_name = name.encode("ascii", "ignore").decode().strip("_.-") or "document"
    response.headers["Content-Disposition"] = (f"inline; filename=\"{ascii_name}.pdf\"; "
                                               f"filename*=UTF-8''{quote(name + '.pdf')}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def file_name(documents: Sequence[PrintDocument]) -> str:
    first = documents[0]
    if len(documents) == 1:
        return first.number
    return f"{first.entity.name}-{len(documents)}"


def selected_ids(query: Sequence[str], posted: Any = None) -> list[str]:
    """Record ids from `?ids=a,b&ids=c` or a posted JSON list; anything else is refused."""
    if posted is not None:
        if not isinstance(posted, list) or not all(isinstance(i, str) for i in posted):
            raise BadRequest("send 'ids' as a list of record ids", message_code="print_no_records")
        return list(posted)
    return [i.strip() for value in query for i in value.split(",") if i.strip()]


def _page(document: PrintDocument, fmt: Formatter, images: Mapping[str, tuple[str, str]]) -> Page:
    language = fmt.language
    sections = [(section.title.get(language) if section.title else "",
                 _rows([_item(f.spec, f.value, fmt, images) for f in section.fields]))
                for section in document.sections]
    amounts = [(fmt.t("print.amount_upper", label=a.spec.label.get(language)), format_number(a.spec, a.value),
                a.upper) for a in document.amounts]
    trail = [(step.task, _approver(fmt, step.actor), fmt.t(f"decision.{step.decision}") if step.decision else "",
              step.comment, format_moment(step.at)) for step in document.trail]
    status = str(document.record.get("status") or "")
    return Page(document.title.get(language), document.number, fmt.status(status), status_tone(status), sections,
                amounts, trail, document.footer.get(language) if document.footer else "")


def _rows(items: list[Item]) -> list[list[Item]]:
    """Two fields a row, in order; a wide one (a table, files, long text) takes a row of its own."""
    rows: list[list[Item]] = []
    pending: list[Item] = []
    for item in items:
        if item.wide:
            rows += [pending] if pending else []
            rows.append([item])
            pending = []
        else:
            pending.append(item)
            if len(pending) == 2:
                rows.append(pending)
                pending = []
    return rows + ([pending] if pending else [])


def _approver(fmt: Formatter, login: str) -> str:
    name = fmt.user(login)
    return f"{name}（{login}）" if name != login else login


def _item(spec: FieldSpec, value: Any, fmt: Formatter, images: Mapping[str, tuple[str, str]]) -> Item:
    item = Item(spec.label.get(fmt.language), spec.type)
    if spec.type == "table":
        item.wide = True
        children = [(c, child) for c, child in spec.fields.items() if not child.hidden]
        item.columns = [(child.label.get(fmt.language), child.type in NUMERIC_TYPES) for _c, child in children]
        rows = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
        item.rows = [[_text(fmt, child, row.get(c)) for c, child in children] for row in rows]
        if rows and any(child.type == "money" for _c, child in children):
            item.totals = [format_number(child, sum((as_decimal(r.get(c)) or Decimal(0) for r in rows), Decimal(0)))
                           if child.type == "money" else "" for c, child in children]
    elif spec.type == "attachment":
        item.wide = True
        item.images = [images[i] for i in files.ids_in(spec, value) if i in images]   # unknown ids: not printed
    else:
        item.text = _text(fmt, spec, value)
        item.wide = spec.multiline
    return item


def _text(fmt: Formatter, spec: FieldSpec, value: Any) -> str:
    """A value as the record page shows it, but a reference the reader may not read (or gone) is a dash, not an id."""
    if spec.type == "ref" and value not in (None, "") and str(value) not in fmt.titles:
        return "—"
    return fmt.value(spec, value)


def _images(records: Records, documents: Sequence[PrintDocument]) -> dict[str, tuple[str, str]]:
    """The attachments of the printed fields as (data URI, name): images embedded, other files by name."""
    ids = [i for d in documents for s in d.sections for f in s.fields if f.spec.type == "attachment"
           for i in files.ids_in(f.spec, f.value)]
    found: dict[str, tuple[str, str]] = {}
    budget = IMAGE_BUDGET
    known = files.infos(records.session, ids)
    for file_id in dict.fromkeys(ids):   # in the order printed: the first documents' images come first
        info = known.get(file_id)
        if info is None:
            continue
        path = files.blob_path(uploads_root(), records.actor.tenant_id, info.sha256)
        if info.content_type in EMBEDDED_IMAGES and info.size <= budget and path.is_file():
            budget -= info.size
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            found[file_id] = (f"data:{info.content_type};base64,{data}", info.name)
        else:
            found[file_id] = ("", info.name)
    return found
