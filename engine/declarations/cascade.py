"""Compile what flows between entities: lookups, rollups and effects."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.core.suggestions import suggest
from engine.declarations.flow.contributions import table_via
from engine.declarations.model import Effect, Lookup, Rollup
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment, Formula, FType, ftype_for
from engine.formula.ir import Const


class CascadeCompiler(ModuleScope):
    """The part of `ModuleCompiler` that reads other entities' fields through `linked_env`."""

    def lookup(self, path: Path, raw: Any, env: Environment, expect: FType | None) -> Lookup | None:
        """One lookup, or a list of them tried in order (each falls back on the next)."""
        if isinstance(raw, list):
            chain = [self.one_lookup((*path, index), item, env, expect) for index, item in enumerate(raw)]
            found: Lookup | None = None
            for lookup in reversed(chain):
                if lookup is not None:
                    found = replace(lookup, otherwise=found)
            return found
        return self.one_lookup(path, raw, env, expect)

    def one_lookup(self, path: Path, raw: Any, env: Environment, expect: FType | None) -> Lookup | None:
        if not isinstance(raw, dict):
            return None
        linked = self.linked_env((*path, "entity"), raw.get("entity"))
        if linked is None:
            return None
        key, target = linked
        value = str(raw.get("value", ""))
        if value not in target.fields:
            self.problem((*path, "value"), f"lookup value {value!r} is not a field of {key}"
                         + suggest(value, target.fields))
        match = []
        empty = []
        for name, text in (raw.get("match") or {}).items():
            if name not in target.fields:
                self.problem((*path, "match", name), f"lookup match {name!r} is not a field of {key}"
                             + suggest(name, target.fields), key=True)
                continue
            formula = self.formula((*path, "match", name), text, env, what=f"lookup match {name!r}",
                                   expect=target.fields[name].type)
            if formula is not None and isinstance(formula.tree, Const) and formula.tree.value is None:
                empty.append(str(name))  # `crew: "null"`: the target's crew is empty
            elif formula is not None:
                match.append((str(name), formula))
        effective = raw.get("effective") or {}
        effective_field = effective.get("field")
        if effective_field is not None and effective_field not in target.fields:
            self.problem((*path, "effective", "field"), f"lookup effective field {effective_field!r} is not a field "
                         f"of {key}" + suggest(effective_field, target.fields))
        effective_on = self.formula((*path, "effective", "on"), effective.get("on"), env, what="lookup effective date")
        over_both = Environment(fields=target.fields, params=target.params, this=env.fields)  # this.<field>
        where = self.formula((*path, "where"), raw.get("where"), over_both, what="lookup where",
                             expect=ftype_for("boolean"))
        return Lookup(target=key, value=value, match=tuple(match), effective_field=effective_field,
                      effective_on=effective_on, where=where, empty=tuple(empty))

    def rollup(self, path: Path, raw: Any, entity: str, expect: FType | None) -> Rollup | None:
        if not isinstance(raw, dict):
            return None
        linked = self.linked_env((*path, "entity"), raw.get("entity"))
        if linked is None:
            return None
        key, source = linked
        via = str(raw.get("via", ""))
        table = None
        if "." in via:  # `lines.task`: the rows of a table whose ref column points at this record
            row_env = table_via(self, path, via, source, key, f"{self.name}.{entity}")
            if row_env is None:
                return None
            table, _, via = via.partition(".")
            source = row_env
        elif (info := source.fields.get(via)) is None or info.target_entity != f"{self.name}.{entity}":
            self.problem((*path, "via"), f"rollup via {via!r} must be a ref field of {key} pointing at "
                         f"{self.name}.{entity}" + suggest(via, source.fields))
        measure = self.formula((*path, "measure"), raw.get("measure"), source, what="rollup measure",
                               expect=expect, aggregate=True)
        where = self.formula((*path, "where"), raw.get("where"), source, what="rollup where",
                             expect=ftype_for("boolean"))
        return Rollup(source=key, via=via, measure=measure, where=where, table=table) if measure is not None else None

    def effects(self, base: Path, raw: list[Any], env: Environment, entity: str) -> tuple[Effect, ...]:
        effects = []
        for index, effect in enumerate(raw):
            if not isinstance(effect, dict):
                continue
            path = (*base, "effects", index)
            if not self.effect_shape(path, effect):
                continue
            verb = "update" if "update" in effect else "create"
            linked = self.linked_env((*path, verb), effect.get(verb))
            if linked is None:
                continue
            key, target = linked
            values: list[tuple[str, Formula]] = []
            lookups: list[tuple[str, Lookup]] = []
            for name, text in (effect.get("values") or {}).items():
                if name not in target.fields:
                    self.problem((*path, "values", name), f"effect value {name!r} is not a field of {key}"
                                 + suggest(name, target.fields), key=True)
                    continue
                expect = target.fields[name].type
                if isinstance(text, dict):
                    lookup = self.lookup((*path, "values", name, "lookup"), text.get("lookup"), env, expect)
                    if lookup is not None:
                        lookups.append((str(name), lookup))
                elif (formula := self.formula((*path, "values", name), text, env, what=f"effect value {name!r}",
                                              expect=expect)) is not None:
                    values.append((str(name), formula))
            records = None
            if verb == "update":
                records = self.formula((*path, "records"), effect.get("records"), env, what="effect records")
                wanted = FType.ref(key)
                if records is not None and not (wanted.accepts(records.type)
                                                or FType.list_of(wanted).accepts(records.type)):
                    self.problem((*path, "records"), f"effect records must name {key} records (a ref or a list of "
                                 f"refs), not {records.type}")
            status = effect.get("status")
            when = self.formula((*path, "when"), effect.get("when"), env, what="effect condition",
                                expect=ftype_for("boolean"))
            on = effect.get("on")
            effects.append(Effect(key=f"{self.name}.{entity}#{index}", on=str(on) if on is not None else None,
                                  when=when, target=key,
                                  values=tuple(values), lookups=tuple(lookups), records=records,
                                  status=str(status) if status is not None else None))
        return tuple(effects)

    def effect_shape(self, path: Path, effect: Mapping[str, Any]) -> bool:
        """One trigger (`on` a status or `when` a condition) and one action (`create` or `update`)."""
        if ("on" in effect) == ("when" in effect):
            self.problem(path, "an effect needs either 'on' (a status) or 'when' (a condition)")
            return False
        if "update" in effect:
            if "create" in effect:
                self.problem(path, "an effect either creates records ('create') or updates them ('update'), not both")
            elif "records" not in effect or not ("values" in effect or "status" in effect):
                self.problem(path, "an 'update' effect needs 'records' (which records) and 'values' or 'status'")
            else:
                return True
        elif "create" not in effect or "values" not in effect:
            self.problem(path, "an effect needs 'create' with 'values', or 'update' with 'records'")
        elif "records" in effect or "status" in effect:
            self.problem(path, "'records' and 'status' belong to 'update' effects")
        else:
            return True
        return False
