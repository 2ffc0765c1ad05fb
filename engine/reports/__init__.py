"""Declared reports, adjustment reports and the daily scan."""
