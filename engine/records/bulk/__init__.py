"""Bulk import of sheet rows as records: validated in batches with shared lookups, written with multi-row inserts
in one transaction (all rows or none), every rule of a single create still applied (engine.records.bulk.importer)."""
