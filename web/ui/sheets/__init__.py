"""What the exports, import templates and import problem lists say and build (web.ui, beside the pages)."""
