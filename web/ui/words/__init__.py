"""Words of the pages and Chinese texts of message codes, one module per area (merged in web/ui/i18n.py and
web/ui/error_text.py)."""
