"""The installable app: the web manifest, the service worker at the root scope, the offline page.

Public on purpose (a browser fetches the manifest without cookies, and the worker script before anyone signs
in): nothing here reads a record. What the worker may keep for offline reading is decided per response by
`mark_offline_pages`: the pages stay `Cache-Control: no-store` for the browser's HTTP cache and any proxy, and a
signed-in page also carries `Formwork-Offline: <key of this user's session>`; the worker keeps only responses
with that header, in one cache it empties at logout, at the login page and whenever the key changes (another
user, or the same user after a logout elsewhere). See docs/pwa.md.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Flask, current_app, g, render_template, request, session, url_for
from werkzeug.wrappers import Response

from web.ui.i18n import HTML_LANG, language, t

STATIC = Path(__file__).resolve().parent / "static"
OFFLINE_HEADER = "Formwork-Offline"
THEME = "#14284b"          # the top bar's colour (app.css --topbar)
BACKGROUND = "#f3f5f8"     # the page background (app.css --bg)
# what the worker keeps from its first start: enough to draw any cached page and the offline page
SHELL_FILES = ("pages/app.css", "pages/app.js", "pages/phone-shell.css", "pwa/pwa.js",
               "pwa/icon-192.png", "pwa/icon-512.png", "pwa/apple-touch-icon.png", "pwa/favicon-32.png")
WORKER_PARTS = "pwa/sw*.js"    # sw.js first, then sw-<part>.js of other features (drafts, sync), in name order

pwa = Blueprint("pwa", __name__)


@pwa.get("/manifest.webmanifest")
def manifest() -> Response:
    """The web manifest: Chinese first, opening the task inbox; a shortcut to a new record."""
    icons = [{"src": asset(f"pwa/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
              "purpose": "any"} for size in (192, 512)]
    icons += [{"src": asset(f"pwa/icon-maskable-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png",
               "purpose": "maskable"} for size in (192, 512)]
    body = {
        "id": "/",
        "name": "Formwork",
        "short_name": "Formwork",
        "description": "待办、点工单与审批：工地手机上也能用，信号不好时可离线查看。",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": url_for("pages.task_inbox") + "?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": icons,
        "shortcuts": [
            {"name": "待办", "short_name": "待办", "url": url_for("pages.task_inbox") + "?source=pwa",
             "icons": [{"src": asset("pwa/icon-192.png"), "sizes": "192x192"}]},
            {"name": "新建", "short_name": "新建", "url": url_for("pages.new_shortcut"),
             "icons": [{"src": asset("pwa/icon-192.png"), "sizes": "192x192"}]},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@pwa.get("/sw.js")
def service_worker() -> Response:
    """The worker, served from the root so that it may control every page; changed files give it a new version."""
    script, version = worker_script()
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"            # a new version is seen at the next visit
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["X-Formwork-Worker"] = version
    return response


@pwa.get("/offline")
def offline() -> Response:
    """What a page that was never opened shows without a signal: no user data, so it may be cached for all."""
    response = Response(render_template("pwa/offline.html", html_lang=HTML_LANG[language()], t=t, asset=asset),
                        mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


def asset(filename: str) -> str:
    return url_for("pages.static", filename=filename)


@cache
def _worker_files(root: str) -> tuple[str, str]:
    parts = sorted(Path(root).glob(WORKER_PARTS), key=lambda path: (path.name != "sw.js", path.name))
    text = "\n".join(path.read_text(encoding="utf-8") for path in parts)
    digest = hashlib.sha256(text.encode())
    for name in SHELL_FILES:
        digest.update((Path(root) / name).read_bytes())
    return text, digest.hexdigest()[:16]


def worker_script() -> tuple[str, str]:
    """The worker's text (its parts joined, the version and the shell's URLs filled in) and its version."""
    text, version = _worker_files(str(STATIC)) if not current_app.debug else _worker_files.__wrapped__(str(STATIC))
    shell = [asset(name) for name in SHELL_FILES] + [url_for("pwa.offline")]
    return (text.replace('"__VERSION__"', json.dumps(version))
                .replace("__SHELL__", json.dumps(shell))
                .replace('"__OFFLINE_HEADER__"', json.dumps(OFFLINE_HEADER))), version


def offline_key() -> str | None:
    """Whose pages a response belongs to, for the worker's cache: the signed-in user and session generation."""
    signed = getattr(g, "signed_in", None)
    if signed is None:
        return None
    owner = f"{signed.actor.tenant_id}\0{signed.actor.username}\0{session.get('generation', '')}"
    secret = str(current_app.secret_key or "").encode()
    return hmac.new(secret, owner.encode(), hashlib.sha256).hexdigest()[:24]


def mark_offline_pages(response: Response) -> Response:
    """Let the worker keep a signed-in user's page (HTML, GET, 200, the end users' pages) for offline reading."""
    if (request.method == "GET" and response.status_code == 200 and response.mimetype == "text/html"
            and request.blueprint == "pages"):
        key = offline_key()
        if key:
            response.headers[OFFLINE_HEADER] = key
    return response


def register(app: Flask) -> None:
    app.register_blueprint(pwa)
    app.after_request(mark_offline_pages)

