"""The record service and the unit of work it runs in: validation, computation, cascades.

`engine.records` keeps the names of its service (the module of that name before the layout) for integrators.
"""
from engine.records.service import *  # noqa: F403
