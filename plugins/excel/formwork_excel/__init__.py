"""Formwork's Excel plugin: write typed rows to .xlsx or CSV, read a workbook back as header + rows.

The web layer's export and import call this plain API; it knows nothing of Formwork's records.
The plugin registration (`formwork excel export`) is in `formwork_excel.plugin`.
"""
from __future__ import annotations

from formwork_excel.reading import MAX_ROWS, Limits, Sheet, UnreadableWorkbook, read_workbook
from formwork_excel.writing import Column, is_formula_like, neutralised, write_csv, write_workbook

__version__ = "0.1.0"

__all__ = ["MAX_ROWS", "Column", "Limits", "Sheet", "UnreadableWorkbook", "is_formula_like", "neutralised",
           "read_workbook", "write_csv", "write_workbook"]
