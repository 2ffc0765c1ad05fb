"""Approvals: records' BPMN processes, tasks and decisions.

`engine.approvals` keeps the names of its service (the module of that name before the layout) for integrators.
"""
from engine.approvals.service import *  # noqa: F403
