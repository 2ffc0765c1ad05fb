"""Module and overlay declarations: positioned loading, schema validation, compilation to specs."""
