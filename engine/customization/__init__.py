"""The module catalog, tenant overlays, publishing, diffs and the process editor."""
