"""Seed records a module ships (`seed/<entity>.yaml`), created once when a tenant enables the module."""
from __future__ import annotations

from typing import Any

import yaml

from engine.core.declaration_codes import problem_at
from engine.declarations.model import ModuleSpec
from engine.declarations.seed_check import seed_files
from engine.errors import DeclarationError, RecordInvalid
from engine.records.service import Records


def plant(records: Records, module: ModuleSpec) -> dict[str, int]:
    """Create each seed entity's records unless the tenant already has some; returns counts created."""
    created: dict[str, int] = {}
    for entity_name, path in sorted(seed_files(module).items()):
        entity = module.entities.get(entity_name)
        if entity is None or records.find(module.name, entity_name, limit=1).total:
            continue
        rows: list[dict[str, Any]] = yaml.safe_load(module.files[path]) or []
        for index, row in enumerate(rows):
            try:
                records.create_as_system(entity, row)
            except RecordInvalid as error:
                raise DeclarationError([problem_at(f"{module.name}/{path}", 1, 1,
                                                "decl_seed_record_invalid",
                                                   {"number": index + 1, "message": error.message})]) from None
        created[entity_name] = len(rows)
    return created
