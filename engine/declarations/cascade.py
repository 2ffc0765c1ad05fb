"""Compile what flows between entities: lookups, rollups and effects."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.declarations.flow import effects as flow
from engine.declarations.flow.contributions import table_via
from engine.declarations.model import Effect, Lookup, Rollup
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment, Formula, FType, Kind, ftype_for
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
            self.problem((*path, "value"), "decl_lookup_value_unknown",
                         {"value": value, "entity": key, "suggestion": closest(value, target.fields)})
        match = []
        empty = []
        for name, text in (raw.get("match") or {}).items():
            if name not in target.fields:
                self.problem((*path, "match", name), "decl_lookup_match_unknown",
                             {"name": name, "entity": key, "suggestion": closest(name, target.fields)}, key=True)
                continue
            formula = self.formula((*path, "match", name), text, env, what=part("decl_part_lookup_match",
                                                                                {"name": name}),
                                   expect=target.fields[name].type)
            if formula is not None and isinstance(formula.tree, Const) and formula.tree.value is None:
                empty.append(str(name))  # `crew: "null"`: the target's crew is empty
            elif formula is not None:
                match.append((str(name), formula))
        effective = raw.get("effective") or {}
        effective_field = effective.get("field")
        if effective_field is not None and effective_field not in target.fields:
            self.problem((*path, "effective", "field"), "decl_lookup_effective_unknown",
                         {"field": effective_field, "entity": key,
                          "suggestion": closest(effective_field, target.fields)})
        effective_on = self.formula((*path, "effective", "on"), effective.get("on"), env,
                                    what=part("decl_part_lookup_effective_date"))
        over_both = Environment(fields=target.fields, params=target.params, this=env.fields)  # this.<field>
        where = self.formula((*path, "where"), raw.get("where"), over_both, what=part("decl_part_lookup_where"),
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
            self.problem((*path, "via"), "decl_rollup_via_not_ref",
                         {"via": via, "source": key, "module": self.name, "entity": entity,
                          "suggestion": closest(via, source.fields)})
        measure = self.formula((*path, "measure"), raw.get("measure"), source, what=part("decl_part_rollup_measure"),
                               expect=expect, aggregate=True)
        where = self.formula((*path, "where"), raw.get("where"), source, what=part("decl_part_rollup_where"),
                             expect=ftype_for("boolean"))
        return Rollup(source=key, via=via, measure=measure, where=where, table=table) if measure is not None else None

    def effects(self, base: Path, raw: list[Any], env: Environment, entity: str) -> tuple[Effect, ...]:
        effects = []
        for index, effect in enumerate(raw):
            if not isinstance(effect, dict):
                continue
            path = (*base, "effects", index)
            if not flow.effect_shape(self, path, effect):
                continue
            verb = "update" if "update" in effect else "create"
            linked = self.linked_env((*path, verb), effect.get(verb))
            if linked is None:
                continue
            key, target = linked
            scope = env
            group_by: list[tuple[str, Formula]] = []
            if "for_each" in effect:
                table = flow.table_of(self, (*path, "for_each"), env, effect.get("for_each"))
                if table is None:
                    continue
                scope = flow.row_env(env, table)
                for name, text in (effect.get("group_by") or {}).items():
                    formula = self.formula((*path, "group_by", name), text, scope, what=part("decl_part_effect_group",
                                                                                             {"name": name}))
                    if formula is not None:
                        group_by.append((str(name), formula))
                if "group_by" in effect:
                    scope = flow.group_env(env, table, dict(group_by))
            values, lookups = self.effect_values(path, effect, flow.target_env(scope, target) if verb == "update"
                                                 else scope, key, target,
                                                 per_row="for_each" in effect and not group_by,
                                                 grouped=bool(group_by))
            records = None
            match: list[tuple[str, Formula]] = []
            where = None
            if verb == "update" and "records" in effect:
                records = self.formula((*path, "records"), effect.get("records"), scope,
                                       what=part("decl_part_effect_records"))
                wanted = FType.ref(key)
                if records is not None and not flow.names_records(records, wanted, many=True):
                    self.problem((*path, "records"), "decl_effect_records_type", {"entity": key, "type": records.type})
            elif verb == "update":
                for name, text in (effect.get("match") or {}).items():
                    if name not in target.fields:
                        self.problem((*path, "match", name), "decl_effect_match_unknown",
                                     {"name": name, "entity": key,
                                      "suggestion": closest(name, target.fields)}, key=True)
                        continue
                    expect = target.fields[name].type
                    formula = self.formula((*path, "match", name), text, scope, what=part("decl_part_effect_match",
                                                                                          {"name": name}),
                                           expect=None if expect.kind is Kind.REF else expect)
                    if formula is not None and not flow.names_records(formula, expect):
                        self.problem((*path, "match", name),
                                     "decl_effect_match_not_ref" if expect.entity else "decl_effect_match_not_record",
                                     {"name": name, "entity": expect.entity, "type": str(formula.type)})
                        continue
                    if formula is not None:
                        match.append((str(name), formula))
                where = self.formula((*path, "where"), effect.get("where"), target, what=part("decl_part_effect_where"),
                                     expect=ftype_for("boolean"))
                if where is not None and (reason := flow.not_in_sql(where)) is not None:
                    self.problem((*path, "where"), "decl_effect_where_not_sql", {"reason": reason})
                    where = None
            status = effect.get("status")
            when = self.formula((*path, "when"), effect.get("when"), env, what=part("decl_part_effect_condition"),
                                expect=ftype_for("boolean"))
            on = effect.get("on")
            for_each = effect.get("for_each")
            effects.append(Effect(key=f"{self.name}.{entity}#{index}", on=str(on) if on is not None else None,
                                  when=when, target=key,
                                  values=tuple(values), lookups=tuple(lookups), records=records,
                                  status=str(status) if status is not None else None, match=tuple(match),
                                  where=where, for_each=str(for_each) if for_each is not None else None,
                                  group_by=tuple(group_by), update=verb == "update"))
        return tuple(effects)

    def effect_values(self, path: Path, effect: Mapping[str, Any], env: Environment, key: str,
                      target: Environment, *, per_row: bool, grouped: bool
                      ) -> tuple[list[tuple[str, Formula]], list[tuple[str, Lookup]]]:
        """An effect's `values`: formulas (or lookups) over `env`, each fitting its field of the target."""
        values: list[tuple[str, Formula]] = []
        lookups: list[tuple[str, Lookup]] = []
        for name, text in (effect.get("values") or {}).items():
            if name not in target.fields or "." in str(name):
                self.problem((*path, "values", name), "decl_effect_value_unknown",
                             {"name": name, "entity": key, "suggestion": closest(name, target.fields)}, key=True)
                continue
            expect = target.fields[name].type
            if isinstance(text, dict):
                lookup = self.lookup((*path, "values", name, "lookup"), text.get("lookup"), env, expect)
                if lookup is not None:
                    lookups.append((str(name), lookup))
            else:
                before = len(self.problems)
                formula = self.formula((*path, "values", name), text, env, what=part("decl_part_effect_value",
                                                                                     {"name": name}),
                                       expect=None if expect.kind is Kind.REF else expect)
                if formula is not None and expect.kind is Kind.REF and not flow.names_records(formula, expect):
                    self.problem((*path, "values", name),
                                 "decl_effect_value_not_ref" if expect.entity else "decl_effect_value_not_record",
                                 {"name": name, "entity": expect.entity, "type": str(formula.type)})
                elif formula is not None:
                    values.append((str(name), formula))
                flow.explain(self, before, text, per_row=per_row, updates="update" in effect, grouped=grouped)
        return values, lookups
