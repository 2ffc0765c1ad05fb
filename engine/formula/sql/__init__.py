"""Formulas translated to SQL for lists, filters and reports."""
