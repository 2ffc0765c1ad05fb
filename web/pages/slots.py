"""Page slots: named places in the end users' pages where a plugin shows a part of its own.

A plugin registers a part when it loads — `add_part("record_form.new", "assist/parse_box.html", plugin="assist")`,
its template shipped in a template-only blueprint — and the page includes the part's template, with the page's
own context, only for tenants that have enabled that plugin. The slots are a closed set (docs/plugins.md §7):

- `record_form.new` — above the fields of the new-record form (`entity`, `module`, `widgets`);
- `record_list.filter` — in the list's filter form, before its formula box (`entity`, `free_formula`). A part's
  inputs there carry no `name`, or the list's GET would send them.
"""
from __future__ import annotations

from flask import current_app, g

from engine.tenancy import plugin_registry
from web.pages.blueprint import pages

SLOTS = frozenset({"record_form.new", "record_list.filter"})
_parts: dict[str, list[tuple[str, str]]] = {}   # slot -> (plugin, template)


def add_part(slot: str, template: str, *, plugin: str) -> None:
    """Show `template` in `slot` for tenants that enabled `plugin` (idempotent)."""
    if slot not in SLOTS:
        raise ValueError(f"unknown page slot {slot!r}; use one of {', '.join(sorted(SLOTS))}")
    if (plugin, template) not in _parts.setdefault(slot, []):
        _parts[slot].append((plugin, template))


@pages.app_template_global("page_parts")
def page_parts(slot: str) -> list[str]:
    """The templates of `slot` the signed-in user's tenant shows (its enabled plugins' parts)."""
    parts = _parts.get(slot, [])
    signed_in = getattr(g, "signed_in", None)
    if not parts or signed_in is None:
        return []
    tenant = signed_in.actor.tenant_id
    # a reading session: the page renders inside its own transaction, which a second writer would wait on
    with current_app.extensions["formwork"].db.reading(tenant) as session:
        enabled = plugin_registry.enabled_plugins(session, tenant)
    return [template for plugin, template in parts if plugin in enabled]
