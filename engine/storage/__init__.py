"""Persistence: the only package that talks SQL (tables, sessions, tenant scope, JSON paths)."""
