"""Which ref fields of a form an actor cannot look up, and what becomes of them: derived, or left out.

A ref field whose target entity the actor may not read offers them no choices: they would have to type an
id they cannot know (a crew leader and the code of a party). Such a field is not offered on their form: it is
shown read-only and filled by the engine at the save when the module declares how (`fill`, `lookup`), else left
out. The engine fills an empty derived field for every writer, so a REST create without it gets it too. A
required field left out is a declaration to fix (derive it, or let the role read the target), which the
tests of the shipped modules check. Refs to `any` entity and to entities not in use are left alone.
"""
from __future__ import annotations

from dataclasses import replace

from engine.declarations.model import Action
from engine.declarations.module_scope import ANY_ENTITY
from engine.security.permissions import Access, EntityOf


def with_reach(access: Access, entity_of: EntityOf) -> Access:
    """The access, knowing which of the entity's refs the actor cannot look up (`derived_refs`, `left_out_refs`)."""
    if access.is_unrestricted:
        return access
    derived: set[str] = set()
    left_out: set[str] = set()
    for name, spec in access.entity.fields.items():
        if spec.type != "ref" or spec.is_computed or not spec.target or spec.target == ANY_ENTITY:
            continue
        target = entity_of(spec.target)
        if target is None or Access(target, access.actor).allows(Action.READ):
            continue
        (derived if spec.fill is not None or spec.lookup is not None else left_out).add(name)
    if not derived and not left_out:
        return access
    return replace(access, derived_refs=frozenset(derived), left_out_refs=frozenset(left_out))
