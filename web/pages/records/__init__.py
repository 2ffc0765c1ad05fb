"""Records' pages: lists and their filters and saved views, a record, its form, its attachments."""
