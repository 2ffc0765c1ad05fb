"""End users' pages: server-rendered forms, lists, record pages, the inbox and the dashboard.

Plugins may add routes to this blueprint when they are loaded (the Excel plugin's export and import).
"""
from __future__ import annotations

from web.pages import (  # noqa: F401 - they add routes
    assignment,
    auth,
    dashboard,
    drafts,
    errors,
    idioms,
    invitation,
    shortcuts,
    submissions,
    tasks,
)
from web.pages.blueprint import pages as pages
from web.pages.records import decide, editing, listing, printing, record, saved_views  # noqa: F401 - they add routes
from web.pages.reporting import calendar, gantt, reports  # noqa: F401 - they add routes
from web.ui.page_extensions import page_parts

pages.add_app_template_global(page_parts, "page_parts")   # plugins' parts in the pages' slots

__all__ = ["pages"]
