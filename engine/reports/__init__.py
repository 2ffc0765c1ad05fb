"""Declared reports, adjustment reports and the daily scan.

`engine.reports` keeps the names of its service (the module of that name before the layout) for integrators.
"""
from engine.reports.service import *  # noqa: F403
