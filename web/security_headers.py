"""Security headers on every response: a Content-Security-Policy without inline script, no framing, no sniffing.

Registered on the app (not on a blueprint), so the pages, the REST API, the designer, the operators' console,
plugin blueprints, static files, redirects and error answers all carry them. Scripts come only from our own
origin and never from inline `<script>` blocks, inline handlers or eval: templates hand data to scripts in
`data-*` attributes or `<script type="application/json">` blocks, which are data and run nothing.

Styles keep 'unsafe-inline' for style *attributes* only: ECharts writes its tooltips and bpmn-js its
alignment icons as HTML with `style="..."`, and the Gantt positions its bars that way. `<style>` elements
and stylesheets are still limited to our origin by style-src-elem (browsers without it fall back to
style-src, which is no weaker than before).
"""
from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "style-src-elem 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def register(app: Flask) -> None:
    """Add the headers to every response `app` sends, its blueprints' included; a view that sets one of them
    itself keeps its own (the one-time link page sends no referrer at all)."""

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
