"""The template plugin: copy this package, rename it, keep the shape.

It adds the formula function `with_tax(amount, rate)`, the service task topic `example.flag_large`
and a hook that counts created records per entity in the plugin's own store.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from engine.plugins import Event, Plugin, ServiceContext

plugin = Plugin(
    "example", version="1.0.0", supports=">=0.1",
    title={"zh": "示例插件", "en": "Example plugin"},
    settings_schema={
        "type": "object",
        "properties": {"large_amount": {"type": "string", "pattern": r"^\d+(\.\d+)?$"}},
        "additionalProperties": False,
    },
)


@plugin.formula_function("with_tax", params=["money", "percent"], returns="money")
def with_tax(amount: Decimal, rate: Decimal) -> Decimal:
    """`with_tax(total, 9)`: the amount plus `rate` percent, rounded to cents."""
    return (amount * (1 + rate / 100)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@plugin.service_task("example.flag_large", outputs={"is_large": "boolean"})
def flag_large(ctx: ServiceContext) -> None:
    """Set `is_large` for the gateway after the task, from the tenant's `large_amount` setting."""
    limit = Decimal(ctx.settings.get("large_amount", "10000"))
    amount = next((v for k, v in ctx.record.items() if k in ("amount", "total") and v is not None), Decimal(0))
    ctx.variables["is_large"] = amount >= limit


@plugin.on("record.created")
def count_created(event: Event) -> None:
    """Keep one counter item per entity: an example of the plugin's own storage."""
    key = f"{event.module}.{event.entity}"
    counters = {item["entity"]: item for item in event.store.list("counters", limit=500)}
    if key in counters:
        event.store.update("counters", counters[key]["id"], {"created": counters[key]["created"] + 1})
    else:
        event.store.add("counters", {"entity": key, "created": 1})
