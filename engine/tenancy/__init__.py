"""Tenants, users, tokens, licences, invitations, operators and the plugins a tenant enabled.

`engine.tenancy` keeps the names of tenants.py (the module of that name before the layout) for plugins and
integrators: `from engine import tenancy; tenancy.create_tenant(...)`.
"""
from engine.tenancy.tenants import *  # noqa: F403
