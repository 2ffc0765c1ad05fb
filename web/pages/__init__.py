"""End users' pages: server-rendered forms, lists, record pages, the inbox and the dashboard."""
from __future__ import annotations

from web.pages import (  # noqa: F401 - they add routes
    auth,
    calendar,
    dashboard,
    editing,
    errors,
    exporting,
    gantt,
    importing,
    invitation,
    listing,
    record,
    reports,
    saved_views,
    tasks,
)
from web.pages.blueprint import pages as pages

__all__ = ["pages"]
