"""The options a record form offers: the tenant's users and the records its ref fields may point at."""
from __future__ import annotations

from flask import url_for

from engine.declarations.model import EntitySpec
from engine.records.service import Records
from web.ui.services import readable, readable_title, record_title, target_of, users
from web.ui.widgets import Choices

REF_OPTIONS = 200


def form_choices(records: Records, entity: EntitySpec, names: list[str]) -> Choices:
    """Users and ref targets' records the form offers (up to REF_OPTIONS each, then a search)."""
    people = [(login, f"{name} ({login})" if name != login else login)
              for login, name, active in users(records.session) if active]
    targets: set[str] = set()
    for name in names:
        spec = entity.fields[name]
        if spec.type == "ref" and spec.target:
            targets.add(spec.target)
        for child in spec.fields.values():
            if child.type == "ref" and child.target:
                targets.add(child.target)
    refs: dict[str, list[tuple[str, str]] | None] = {}
    searchable: dict[str, str] = {}
    titles: dict[str, str] = {}
    for key in sorted(targets):
        target = target_of(records, key)
        if target is None or not readable(records, target):
            refs[key] = None
            titles[key] = target.title.get(records.language) if target is not None else key
            continue
        page = records.find(target.module, target.name, sort=readable_title(records, target), limit=REF_OPTIONS)
        refs[key] = [(item["id"], record_title(target, item)) for item in page.items]
        titles[key] = target.title.get(records.language)
        if page.total > REF_OPTIONS:
            searchable[key] = url_for("pages.record_options", module=target.module, entity=target.name)
    return Choices(people, refs, searchable, titles)
