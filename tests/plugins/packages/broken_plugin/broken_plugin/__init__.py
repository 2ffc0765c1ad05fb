"""Fails on import, like a plugin whose dependency is missing."""
import formwork_dependency_that_does_not_exist  # noqa: F401

plugin = None
