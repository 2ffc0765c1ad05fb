"""The 打印 button of the record page and the 批量打印 of a list's selection: the same PDFs as the REST API."""
from __future__ import annotations

from flask import request
from werkzeug.wrappers import Response

from engine.printing.document import print_document, print_documents
from web.pages.blueprint import pages
from web.ui.printing import file_name, pdf_of, pdf_response, print_html, selected_ids
from web.ui.services import approvals


@pages.get("/m/<module>/<entity>/<record_id>/pdf")
def record_pdf(module: str, entity: str, record_id: str) -> Response:
    with approvals() as service:
        documents = [print_document(service.records, module, entity, record_id)]
        html = print_html(service.records, documents)
    return pdf_response(pdf_of(html), file_name(documents))


@pages.get("/m/<module>/<entity>/pdf")
def records_pdf(module: str, entity: str) -> Response:
    """The ticked rows of a list (`?ids=`), one document a page."""
    with approvals() as service:
        documents = print_documents(service.records, module, entity, selected_ids(request.args.getlist("ids")))
        html = print_html(service.records, documents)
    return pdf_response(pdf_of(html), file_name(documents))
