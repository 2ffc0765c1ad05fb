"""The end users' export and import pages, which the Excel plugin adds to Formwork's pages.

Their routes join the pages blueprint (`pages.export_list`, `pages.import_upload`, ...) so that its
sign-in check, CSRF check and error pages hold for them as for every other page; importing this package
adds them, so the plugin must be loaded before the app registers that blueprint (`create_app` loads
the plugins first). Without the plugin the list page shows no export or import button.
"""
from __future__ import annotations

from flask import Blueprint

from formwork_excel.pages import exporting, importing  # noqa: F401 - they add routes to the pages blueprint

templates = Blueprint("excel_pages", __name__, template_folder="../templates")
"""No routes: it puts the import page's template (pages/import.html) where the app's templates are looked up."""
