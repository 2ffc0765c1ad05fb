"""The message codes of bulk imports (engine.records.bulk), part of MESSAGES in engine.core.error_codes."""
from __future__ import annotations

IMPORT_MESSAGES: dict[str, str] = {
    "import_unreadable": "cannot read the file: {why}",
    "import_too_many_rows": "the file has more than {limit} rows; split it",
    "import_no_file": "send the file as multipart/form-data in the field 'file' (.xlsx or .csv)",
    "import_column_unknown": "column {column!r} is not a field of {entity}",
    "import_column_not_importable": "column {column!r} cannot be imported: you may not write {field!r}",
    "import_column_twice": "column {column!r} repeats another column of the same field",
    "import_outside_rows": "this row would be a record outside the rows you may see (your row filters)",
    "import_rejected": "{rows} rows cannot be imported; nothing was imported",
    "import_job_not_found": "import {job!r} does not exist",
}
