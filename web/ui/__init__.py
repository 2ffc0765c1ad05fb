"""The layout, widgets and words that the end users' pages (web.pages) and the designer share."""
