"""End users' pages: server-rendered forms, lists, record pages, the inbox and the dashboard."""
from __future__ import annotations

from web.pages import auth, dashboard, editing, errors, listing, record, reports, tasks  # noqa: F401 - they add routes
from web.pages.blueprint import pages as pages

__all__ = ["pages"]
