"""Formwork's generic runtime: declarations, formulas, records, storage. Imports no Flask."""
