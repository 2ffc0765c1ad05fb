"""A tenant administrator's user work and project membership.

`engine.people` keeps the names of its service (the module of that name before the layout) for integrators.
"""
from engine.people.service import *  # noqa: F403
