"""What load balancers, orchestrators and Prometheus ask: `/healthz`, `/readyz`, `/metrics`.

No sign-in and no CSRF (they change nothing; this blueprint has neither check). `/healthz` says the process
answers and touches nothing else, so a slow database never gets a healthy process restarted; `/readyz` says
whether it can serve: the database answers and its schema is at this code's revision. `/metrics` is for the
operator's monitoring only: with `FORMWORK_METRICS_TOKEN` set it needs `Authorization: Bearer <token>`, else
it answers only clients on the loopback address (behind a proxy on the same host, deny /metrics there, or set
FORMWORK_PROXY_HOPS so the client's own address counts; docs/deploy.md).
"""
from __future__ import annotations

import hmac
import ipaddress
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from engine.errors import PermissionDenied
from engine.runtime import Formwork
from web import metrics

probes = Blueprint("probes", __name__)
log = logging.getLogger("formwork.metrics")
TOKEN_SETTING = "FORMWORK_METRICS_TOKEN"


def formwork() -> Formwork:
    engine: Formwork = current_app.extensions["formwork"]
    return engine


@probes.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


@probes.get("/readyz")
def readyz() -> tuple[Response, int]:
    reason = formwork().not_ready()
    if reason is not None:
        return jsonify({"status": "unavailable", "reason": reason}), 503
    return jsonify({"status": "ready"}), 200


def may_scrape() -> bool:
    """The configured bearer token when there is one; else a client on the loopback address."""
    token = str(current_app.config.get(TOKEN_SETTING) or "")
    if token:
        scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@probes.get("/metrics")
def scrape() -> Response:
    if not may_scrape():
        raise PermissionDenied("/metrics answers the loopback address, or the bearer token FORMWORK_METRICS_TOKEN "
                               "when it is set", message_code="metrics_forbidden")
    try:
        depth: dict[str, int] | None = formwork().queue_depth()
    except Exception:
        log.warning("metrics: the job queue could not be read", exc_info=True)
        depth = None
    return Response(metrics.render(depth), mimetype="text/plain; version=0.0.4; charset=utf-8")
