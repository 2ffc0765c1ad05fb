"""Check the seed files a module ships: `seed/<entity>.yaml`, each a list of records."""
from __future__ import annotations

import yaml

from engine.core.declaration_codes import problem_at
from engine.declarations.model import ModuleSpec
from engine.errors import Problem

SEED_FOLDER = "seed/"


def seed_files(module: ModuleSpec) -> dict[str, str]:
    """Entity name -> seed file path, for every `seed/<entity>.yaml` of the module."""
    found = {}
    for path in module.files:
        if path.startswith(SEED_FOLDER) and path.endswith((".yaml", ".yml")):
            entity = path[len(SEED_FOLDER):].rsplit(".", 1)[0]
            found[entity] = path
    return found


def check_seeds(module: ModuleSpec, origin: str) -> list[Problem]:
    """Seed files must name an entity of the module and hold a list of records."""
    problems = []
    for entity, path in seed_files(module).items():
        where = f"{origin}/{path}"
        if entity not in module.entities:
            problems.append(problem_at(where, 1, 1, "decl_seed_unknown_entity",
                                       {"module": module.name, "entity": entity}))
            continue
        try:
            rows = yaml.safe_load(module.files[path])
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            problems.append(problem_at(where, line, column, "decl_seed_bad_yaml", {"reason": error}))
            continue
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            problems.append(problem_at(where, 1, 1, "decl_seed_not_a_list"))
    return problems
