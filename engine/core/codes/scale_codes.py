"""Message codes of bulk imports (engine.records.bulk), the dashboard's scope, printing and monitoring: part of
MESSAGES in engine.core.error_codes (kept here, that file is at its length limit)."""
from __future__ import annotations

SCALE_MESSAGES: dict[str, str] = {
    "import_unreadable": "cannot read the file: {why}",
    # why a file cannot be read (each also passes its reason as `why`)
    "import_not_xlsx": "cannot read the file: the file is not an .xlsx workbook",
    "import_unpacks_too_large": "cannot read the file: it unpacks to more than 256 MB",
    "import_damaged_workbook": "cannot read the file: {why}",
    "import_not_text": "cannot read the file: it is neither UTF-8 nor GB18030 text",
    "import_nul_characters": "cannot read the file: it holds NUL characters: not a CSV file",
    "import_no_header": "cannot read the file: it has no header row (the first filled row names the columns)",
    "import_file_too_large": "the file is larger than {megabytes} MB; split it",
    "import_too_many_rows": "the file has more than {limit} rows; split it",
    "import_no_file": "send the file as multipart/form-data in the field 'file' (.xlsx or .csv)",
    "import_column_unknown": "column {column!r} is not a field of {entity}",
    "import_column_not_importable": "column {column!r} cannot be imported: you may not write {field!r}",
    "import_column_twice": "column {column!r} repeats another column of the same field",
    "import_outside_rows": "this row would be a record outside the rows you may see (your row filters)",
    "import_rejected": "{rows} rows cannot be imported; nothing was imported",
    "import_job_not_found": "import {job!r} does not exist",
    # the dashboard's project switcher and period selector
    "dash_bad_period": "period {period!r} is not a month such as 2025-06",
    "dash_project_not_found": "project {project!r} does not exist or you may not see it",
    # printing (engine.printing): a batch print's selection
    "print_no_records": "choose the records to print: send their ids",
    "print_too_many": "print at most {limit} records at once, not {count}",
    "print_nothing_readable": "none of the {count} {entity} records asked for can be read",
    # monitoring
    "metrics_forbidden": ("/metrics answers the loopback address, or the bearer token FORMWORK_METRICS_TOKEN "
                          "when it is set"),
}
