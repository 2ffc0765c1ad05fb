"""A throw-away plugin for the tests: a formula function, a service task, hooks, a field type,
a shipped module, a blueprint and a CLI command, written only against `engine.plugins`."""
from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import click
from flask import Blueprint, jsonify

from engine.plugins import Event, Plugin, ServiceContext

plugin = Plugin("fwtest_tax", version="1.0.0", supports=">=0.1",
                settings_schema={"type": "object", "properties": {"limit": {"type": "integer", "minimum": 1},
                                                                  "bureau": {"enum": ["up", "down"]}},
                                 "additionalProperties": False},
                service_roles=["admin"])


@plugin.formula_function("fwtest_vat", params=["money"], returns="money")
def fwtest_vat(amount: Decimal) -> Decimal:
    return (amount * Decimal("0.09")).quantize(Decimal("0.01"))


@plugin.service_task("fwtest.check_credit")
def check_credit(ctx: ServiceContext) -> None:
    if ctx.settings.get("bureau") == "down":
        raise RuntimeError("the credit bureau does not answer")
    limit = Decimal(ctx.settings.get("limit", 100000))
    ctx.variables["credit_ok"] = ctx.record["amount"] < limit


@plugin.on("record.created", timeout=0.5)
def remember(event: Event) -> None:
    note = event.record.get("note")
    if note == "boom":
        raise RuntimeError("the hook exploded")
    if note == "hang":
        time.sleep(3)
    event.store.add("seen", {"event": event.name, "module": event.module, "entity": event.entity,
                             "record": event.record["id"], "amount": event.record.get("amount"),
                             "amount_type": type(event.record.get("amount")).__name__})


@plugin.on("process.completed")
def tag_finished(event: Event) -> None:
    event.store.add("finished", {"record": event.record["id"], "task": event.task})


def _tax_id(raw: object) -> str:
    text = str(raw).strip().upper()
    if len(text) != 18 or not text.isalnum():
        raise ValueError("must be an 18-character tax id (统一社会信用代码)")
    return text


plugin.field_type("fwtest_tax_id", schema={"type": "string", "pattern": "^[0-9A-Z]{18}$"}, coerce=_tax_id,
                  sql_cast="text", widget="text", label={"zh": "税号", "en": "Tax id"})
plugin.module(Path(__file__).parent / "module")

routes = Blueprint("fwtest_tax", __name__, url_prefix="/fwtest")


@routes.get("/ping")
def ping():  # type: ignore[no-untyped-def]
    return jsonify({"plugin": plugin.name, "version": plugin.version})


plugin.blueprint(routes)


@click.command("fwtest-hello", help="Greet from the fwtest_tax plugin.")
@click.argument("name")
def hello(name: str) -> None:
    click.echo(f"hello {name} from fwtest_tax")


plugin.cli(hello)
