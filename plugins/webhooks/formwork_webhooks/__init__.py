"""Webhooks: POST each event a tenant subscribed to as signed JSON, log every delivery, replay on demand.

Settings (per tenant): `{"subscriptions": [{"url": "https://...", "events": ["record.created"],
"secret": "..."}]}`; `events` may be `["*"]`. The body is JSON; `X-Formwork-Signature:
sha256=<hex HMAC-SHA256 of the body with the secret>`. A delivery that fails (no answer, or a status
outside 2xx) fails the hook, so the job queue retries it with backoff (deliveries that already
succeeded for the same event are not sent again) and records an incident after the last try.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import click

from engine.plugins import EVENTS, Event, ItemStore, Plugin

DELIVERIES = "deliveries"
TIMEOUT = 5.0

plugin = Plugin(
    "webhooks", version="1.0.0", supports=">=0.1",
    title={"zh": "Webhook 推送", "en": "Webhooks"},
    settings_schema={
        "type": "object",
        "properties": {"subscriptions": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "url": {"type": "string", "pattern": "^https?://"},
                "events": {"type": "array", "minItems": 1, "items": {"enum": [*EVENTS, "*"]}},
                "secret": {"type": "string", "minLength": 8},
            },
            "required": ["url", "events", "secret"], "additionalProperties": False,
        }}},
        "required": ["subscriptions"], "additionalProperties": False,
    },
)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def body_of(event: Event) -> bytes:
    payload = {"id": event.id, "event": event.name, "tenant": event.tenant, "module": event.module,
               "entity": event.entity, "record": dict(event.record), "task": event.task}
    return json.dumps(payload, default=_json_default, ensure_ascii=False, sort_keys=True).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def post(url: str, body: bytes, secret: str, event_name: str, delivery: str) -> tuple[int | None, str]:
    """POST once; (status, error text). A status outside 2xx or no answer is an error."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "Formwork-Webhooks/1.0",
        "X-Formwork-Event": event_name, "X-Formwork-Delivery": delivery,
        "X-Formwork-Signature": signature(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return int(response.status), ""
    except urllib.error.HTTPError as error:
        error.close()
        return int(error.code), f"HTTP {error.code} {error.reason}"
    except (urllib.error.URLError, OSError) as error:
        return None, f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def deliver(store: ItemStore, subscription: Mapping[str, Any], event_name: str, event_id: str, body: bytes,
            *, replay_of: str | None = None) -> dict[str, Any]:
    """Send one delivery and log it; returns the logged item."""
    delivery_id = store.add(DELIVERIES, {"url": subscription["url"], "event": event_name, "event_id": event_id,
                                         "state": "sending", "body": body.decode("utf-8"),
                                         "replay_of": replay_of}, owner=event_id)
    status, error = post(str(subscription["url"]), body, str(subscription["secret"]), event_name, delivery_id)
    state = "delivered" if status is not None and 200 <= status < 300 else "failed"
    store.update(DELIVERIES, delivery_id, {"state": state, "response_code": status, "error": error,
                                           "at": datetime.now(UTC).isoformat()})
    return {"id": delivery_id, "state": state, "response_code": status, "error": error}


def _matches(subscription: Mapping[str, Any], event_name: str) -> bool:
    events = subscription.get("events") or []
    return "*" in events or event_name in events


def send(event: Event) -> None:
    body = body_of(event)
    done = {item["url"] for item in event.store.list(DELIVERIES, owner=event.id, limit=500)
            if item.get("state") == "delivered"}
    failures = []
    for subscription in event.settings.get("subscriptions", []):
        if not _matches(subscription, event.name) or subscription["url"] in done:
            continue
        result = deliver(event.store, subscription, event.name, event.id, body)
        if result["state"] != "delivered":
            failures.append(f"{subscription['url']}: {result['error']}")
    if failures:
        raise RuntimeError("webhook delivery failed (it will be retried): " + "; ".join(failures))


for _name in EVENTS:
    plugin.on(_name)(send)


@click.group("webhooks", help="Webhook deliveries: list them and replay one.")
def webhooks() -> None:
    pass


@webhooks.command("list", help="The latest deliveries of a tenant.")
@click.argument("tenant")
@click.option("--limit", default=20, show_default=True)
@click.pass_obj
def list_deliveries(state: Any, tenant: str, limit: int) -> None:
    store = state.engine().plugins.store(plugin.name, tenant)
    for item in store.list(DELIVERIES, limit=limit):
        click.echo(f"{item['id']}\t{item['created_at']}\t{item['event']}\t{item.get('state')}\t"
                   f"{item.get('response_code') or '-'}\t{item['url']}")


@webhooks.command("replay", help="Send a logged delivery again (same body, signed with the current secret): "
                                  "replay [TENANT] DELIVERY_ID.")
@click.argument("where", nargs=-1, required=True)
@click.pass_obj
def replay(state: Any, where: tuple[str, ...]) -> None:
    if len(where) > 2:
        raise click.UsageError("give the delivery id, optionally after its tenant")
    engine = state.engine()
    delivery_id = where[-1]
    tenants = [where[0]] if len(where) == 2 else engine.tenant_ids()
    found = next(((t, item) for t in tenants
                  if (item := engine.plugins.store(plugin.name, t).get(DELIVERIES, delivery_id)) is not None), None)
    if found is None:
        raise click.ClickException(f"{' '.join(where[:-1]) or 'no tenant'} has no webhook delivery {delivery_id!r}; "
                                   "see 'formwork webhooks list TENANT'")
    tenant, item = found
    settings = engine.plugins.settings(plugin.name, tenant)
    subscription = next((s for s in (settings or {}).get("subscriptions", []) if s["url"] == item["url"]), None)
    if subscription is None:
        raise click.ClickException(f"{item['url']} is no longer a subscription of tenant {tenant}")
    result = deliver(engine.plugins.store(plugin.name, tenant), subscription, item["event"], item["event_id"],
                     item["body"].encode("utf-8"), replay_of=delivery_id)
    click.echo(f"replayed {delivery_id} as {result['id']}: {result['state']} ({result['response_code'] or '-'})")
    if result["state"] != "delivered":
        raise SystemExit(1)


plugin.cli(webhooks)
