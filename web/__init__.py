"""End-user web layer: the REST API and (later) server-rendered pages. Thin over engine services."""
