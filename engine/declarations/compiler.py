"""Turn a validated module source into an immutable ModuleSpec, collecting every semantic problem."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from engine.core import field_types, patterns
from engine.core.declaration_codes import part
from engine.core.suggestions import closest
from engine.core.suggestions import suggest as suggest  # re-exported: engine.records imports it from here
from engine.declarations import constraints
from engine.declarations.cascade import CascadeCompiler
from engine.declarations.flow import cards, contributions, fills, guards, printing
from engine.declarations.flow.gather import compile_gather
from engine.declarations.flow.order import computed_order
from engine.declarations.model import (
    FIELD_TYPES,
    SYSTEM_FIELDS,
    Action,
    EntitySpec,
    FieldSpec,
    Kpi,
    ModuleSpec,
    Parameter,
    Permission,
    ReportSpec,
    Rule,
    Workflow,
)
from engine.declarations.module_scope import MULTIPLE_TYPES, Path, label_of
from engine.declarations.network import compile_network
from engine.declarations.reporting import compile_kpi, compile_report
from engine.formula import Environment, FieldInfo, Formula, ftype_for
from engine.workflow import load_processes

BUILTIN_ROLES = ("admin",)  # tenant administrators: every action on every enabled module
PROJECT_ENTITY = "base.project"  # whose members table scopes the tasks of project roles
PRESENTATION_KEYS = frozenset({"placeholder", "unit", "description", "accept", "max_size", "max_files", "capture",
                               "stamp"})


class ModuleCompiler(CascadeCompiler):
    """Compiles one module; `available` holds the already compiled modules it may require."""

    # -- module ----------------------------------------------------------------------------------

    def compile(self) -> ModuleSpec:
        data = self.data
        requires = tuple(str(r) for r in data.get("requires") or ())
        self.requires = requires
        self.optional = contributions.check_optional(self, data.get("optional"))
        for index, required in enumerate(requires):
            if required not in self.available:
                self.problem(("requires", index), "decl_required_module_missing",
                             {"module": required, "suggestion": closest(required, self.available)})
        self.roles = {str(k): label_of(v, str(k)) for k, v in (data.get("roles") or {}).items()}
        self.project_roles = self.role_scopes(data.get("roles") or {})
        parameters = self.parameters(data.get("parameters") or {})
        self.param_types = {name: ftype_for(p.type) for name, p in parameters.items() if p.type in FIELD_TYPES}
        raw_entities = data.get("entities") or {}
        self.raw_entities: dict[str, Any] = raw_entities if isinstance(raw_entities, dict) else {}
        self.field_infos = {name: self.field_infos_of(name) for name in self.raw_entities}
        entities = {name: self.entity(name, raw) for name, raw in self.raw_entities.items()
                    if isinstance(raw, dict)}
        reports = {str(name): report for name, raw in (data.get("reports") or {}).items()
                   if (report := self.report(str(name), raw, entities)) is not None}
        kpis = {str(name): kpi for name, raw in (data.get("kpis") or {}).items()
                if (kpi := self.kpi(str(name), raw, entities, reports)) is not None}
        return ModuleSpec(
            name=self.name, version=str(data.get("version", "0.0.0")),
            title=label_of(data.get("title"), self.name), requires=requires, roles=self.roles,
            entities=entities, parameters=parameters, reports=reports, kpis=kpis, files=dict(self.files),
            optional=self.optional, project_roles=self.project_roles,
        )

    def role_scopes(self, raw: Mapping[str, Any]) -> frozenset[str]:
        """The roles of this module that are `scope: project`: declared so, or so in a module it requires."""
        inherited = {role for name in self.requires if name in self.available
                     for role in self.available[name].project_roles}
        found = set()
        for name, spec in raw.items():
            scope = spec.get("scope") if isinstance(spec, Mapping) else None
            if scope == "company" and name in inherited:
                self.problem(("roles", name, "scope"), "decl_role_scope_conflict", {"name": name})
            elif scope == "project" or (scope is None and name in inherited):
                found.add(str(name))
        return frozenset(found)

    def parameters(self, raw: Mapping[str, Any]) -> dict[str, Parameter]:
        result = {}
        for name, spec in raw.items():
            if not isinstance(spec, dict):
                continue
            kind = str(spec.get("type", "text"))
            if kind not in FIELD_TYPES or kind in ("table", "ref"):
                self.problem(("parameters", name, "type"), "decl_parameter_type_unknown",
                             {"type": kind, "suggestion": closest(kind, FIELD_TYPES)})
            result[str(name)] = Parameter(str(name), kind, spec.get("default"), label_of(spec.get("label"), name))
        return result

    # -- entities --------------------------------------------------------------------------------

    def entity(self, name: str, raw: Mapping[str, Any]) -> EntitySpec:
        base: Path = ("entities", name)
        infos = self.field_infos[name]
        env = Environment(fields=infos, params=self.param_types)
        fields = {str(n): self.field(name, (*base, "fields", n), str(n), r, env)
                  for n, r in (raw.get("fields") or {}).items() if isinstance(r, dict) and not self.leaves_out(r)}
        title_field = raw.get("title_field")
        if title_field is not None and title_field not in fields:
            self.problem((*base, "title_field"), "decl_title_field_unknown",
                         {"field": title_field, "entity": name, "suggestion": closest(title_field, fields)})
        rules = tuple(self.rules(base, raw.get("rules") or [], env))
        permissions = self.permissions(base, raw.get("permissions") or {}, fields, env)
        workflow = self.project_scope(base, name, raw.get("workflow"), fields,
                                      self.workflow(base, raw.get("workflow"), env))
        guards.check_task_facts(self, base, fields, workflow)
        effects = self.effects(base, raw.get("effects") or [], env, name)
        unique = constraints.unique_keys(self, base, raw.get("unique"), fields, env)
        conflicts = constraints.conflict_checks(self, base, raw.get("conflicts"), fields, env)
        views = raw.get("views") or {}
        list_view = views.get("list") or {} if isinstance(views, dict) else {}
        columns = tuple(str(c) for c in list_view.get("columns") or ())
        for index, column in enumerate(columns):
            if column not in fields and column not in SYSTEM_FIELDS:
                self.problem((*base, "views", "list", "columns", index), "decl_list_column_unknown",
                             {"column": column, "suggestion": closest(column, [*fields, *SYSTEM_FIELDS])})
        filters = tuple(str(f) for f in list_view.get("filters") or ())
        for index, name_ in enumerate(filters):
            if name_ not in fields and name_ not in SYSTEM_FIELDS:
                self.problem((*base, "views", "list", "filters", index), "decl_list_filter_unknown",
                             {"name": name_, "suggestion": closest(name_, [*fields, *SYSTEM_FIELDS])})
        list_filter = self.formula((*base, "views", "list", "filter"), list_view.get("filter"), env,
                                   what=part("decl_part_list_filter"), expect=ftype_for("boolean"))
        sort = list_view.get("sort")
        if isinstance(sort, str) and sort.lstrip("+-") not in fields and sort.lstrip("+-") not in SYSTEM_FIELDS:
            self.problem((*base, "views", "list", "sort"), "decl_list_sort_unknown",
                         {"field": sort.lstrip('+-'), "suggestion": closest(sort.lstrip("+-"), fields)})
        order, cycle = computed_order(fields)
        if cycle is not None:
            self.problem((*base, "fields", cycle[0], "formula"),
                         "decl_formula_cycle", {"cycle": " -> ".join(cycle)})
        network = compile_network(self, base, raw.get("network"), name, fields, env, order)
        fill_order = fills.fill_order(self, base, fields)
        contributed = contributions.contributions(self, base, raw.get("contributes"), name, env)
        return EntitySpec(
            module=self.name, name=name, title=label_of(raw.get("title"), name), fields=fields,
            title_field=title_field, rules=rules, permissions=permissions, workflow=workflow,
            list_columns=columns, list_sort=sort if isinstance(sort, str) else None, list_filter=list_filter,
            list_filters=filters, list_card=cards.list_card(self, base, list_view.get("card"), fields),
            computed_order=order, fill_order=fill_order, environment=env, effects=effects, unique=unique,
            conflicts=conflicts, network=network, contributions=contributed,
            readonly_when=guards.readonly_when(self, base, raw, env, name),
            readonly_except=guards.readonly_except(self, base, raw, fields),
            append_only=bool(raw.get("append_only", False)),
            import_deferred=constraints.import_deferred(self, base, raw.get("import"), fields),
            form_sections=printing.form_sections(raw, fields),
            print_layout=printing.print_layout(self, base, raw.get("print"), fields),
        )

    def field(self, entity: str, path: Path, name: str, raw: Mapping[str, Any], env: Environment) -> FieldSpec:
        kind = str(raw.get("type", ""))
        if kind not in FIELD_TYPES and not self.is_extra_type(kind) and field_types.get(kind) is None:
            self.problem((*path, "type"), "decl_field_type_unknown",
                         {"name": name, "type": kind, "suggestion": closest(kind, FIELD_TYPES)})
        options = {str(k): label_of(v, str(k)) for k, v in (raw.get("options") or {}).items()}
        if kind in ("enum", "multi_enum") and not options:
            self.problem((*path, "type"), "decl_field_needs_options", {"type": kind, "name": name})
        target = None
        if kind == "ref":
            info = env.fields.get(name)
            target = info.target_entity if info is not None else None
            if raw.get("entity") is None:
                self.problem(path, "decl_ref_needs_entity", {"name": name})
        children: dict[str, FieldSpec] = {}
        row_order: tuple[str, ...] = ()
        if kind == "table":
            row_info = env.fields[name].row or {}
            # `parent.<field>` reads the record holding the row (a row field named parent wins)
            row_env = Environment(fields={"parent": FieldInfo.parent(env.fields), **row_info}, params=env.params)
            for child, child_raw in (raw.get("fields") or {}).items():
                if isinstance(child_raw, dict):
                    if child_raw.get("type") == "table":
                        self.problem((*path, "fields", child, "type"), "decl_table_in_table")
                    if "fill" in child_raw:
                        self.problem((*path, "fields", child, "fill"), "decl_fill_in_table")
                    children[str(child)] = self.field(entity, (*path, "fields", child), str(child), child_raw, row_env)
            if not children:
                self.problem(path, "decl_table_needs_fields", {"name": name})
            row_order, row_cycle = computed_order(children)
            if row_cycle is not None:
                self.problem((*path, "fields", row_cycle[0], "formula"),
                             "decl_table_formula_cycle", {"name": name, "cycle": " -> ".join(row_cycle)})
        default = raw.get("default")
        if kind == "enum" and default is not None and str(default) not in options:
            self.problem((*path, "default"), "decl_default_not_an_option",
                         {"default": default, "name": name, "suggestion": closest(default, options)})
        if kind == "multi_enum" and isinstance(default, list):
            for item in default:
                if str(item) not in options:
                    self.problem((*path, "default"), "decl_default_item_not_an_option",
                                 {"default": item, "name": name, "suggestion": closest(item, options)})
        expect = env.fields[name].type if kind in FIELD_TYPES and kind not in ("table", "ref") else None
        constraints.capture(self, path, raw, kind, name, env)
        fact = guards.task_fact(self, path, raw, name, kind)
        return FieldSpec(
            name=name, type=kind, label=label_of(raw.get("label"), name),
            required=bool(raw.get("required", False)), unique=bool(raw.get("unique", False)),
            indexed=bool(raw.get("indexed", False)) or bool(raw.get("unique", False)),
            default=default, min=_decimal_or_none(raw.get("min")), max=_decimal_or_none(raw.get("max")),
            max_length=raw.get("max_length"), min_length=raw.get("min_length"), scale=raw.get("scale"),
            pattern=self.pattern((*path, "pattern"), raw.get("pattern"), name),
            pattern_message=label_of(raw["pattern_message"], name) if raw.get("pattern_message") else None,
            pattern_example=self.pattern_example(path, raw, name),
            formula=self.formula((*path, "formula"), raw.get("formula"), env,
                                 what=part("decl_part_formula", {"name": name}), expect=expect),
            visible_if=self.condition(path, "visible_if", raw, env, name),
            readonly_if=self.condition(path, "readonly_if", raw, env, name),
            options=options, target=target, fields=children, computed_order=row_order,
            multiline=bool(raw.get("multiline", False)),
            hidden=bool(raw.get("hidden", False)), readonly=bool(raw.get("readonly", False)) or fact is not None,
            scanned=bool(raw.get("scan", True)),
            multiple=kind in MULTIPLE_TYPES and bool(raw.get("multiple", False)),
            lookup=self.lookup((*path, "lookup"), raw.get("lookup"), env, expect),
            fill=fills.fill(self, path, raw, env, name, kind),
            rollup=self.rollup((*path, "rollup"), raw.get("rollup"), entity, expect),
            gather=compile_gather(self, path, raw, kind, env, name),
            help=label_of(raw["help"], name) if raw.get("help") else None,
            numbering=constraints.numbering(self, path, raw.get("numbering"), kind, env, name),
            mask=constraints.mask(self, path, raw, kind, name, [*self.roles, *BUILTIN_ROLES]),
            presentation={k: v for k, v in raw.items() if k in PRESENTATION_KEYS or k.startswith("x-")},
            optional_module=contributions.optional_module_of(self, raw),
            freeze=guards.freeze(self, path, raw, name), task_fact=fact,
        )

    def pattern(self, path: Path, raw: Any, name: str) -> str | None:
        """A field's format, if RE2 can run it (linear time); else a problem and no pattern."""
        if not isinstance(raw, str):
            return None
        reason = patterns.check_pattern(raw)
        if reason is not None:
            self.problem(path, "decl_pattern_unusable", {"name": name, "reason": reason})
            return None
        return raw

    def pattern_example(self, path: Path, raw: Mapping[str, Any], name: str) -> str | None:
        """What users are shown as a sample of the format: the declared `pattern_example` (it must match), else
        one generated from the pattern (None when the generator cannot follow it)."""
        pattern, declared = raw.get("pattern"), raw.get("pattern_example")
        if not isinstance(pattern, str) or patterns.check_pattern(pattern) is not None:
            return None
        if isinstance(declared, str):
            if not patterns.fullmatches(pattern, declared):
                self.problem((*path, "pattern_example"), "decl_pattern_example_mismatch",
                             {"example": declared, "name": name, "pattern": pattern})
                return None
            return declared
        return patterns.example(pattern)

    # -- rules, permissions, workflow, reports ------------------------------------------------------

    def condition(self, path: Path, key: str, raw: Mapping[str, Any], env: Environment, name: str) -> Formula | None:
        return self.formula((*path, key), raw.get(key), env, what=part("decl_part_condition_of",
                                                                       {"key": key,
                                                                        "name": name}), expect=ftype_for("boolean"))

    def rules(self, base: Path, raw: list[Any], env: Environment) -> list[Rule]:
        rules = []
        for index, rule in enumerate(raw):
            if not isinstance(rule, dict):
                continue
            path = (*base, "rules", index)
            check = self.formula((*path, "assert"), rule.get("assert"), env,
                                 what=part("decl_part_rule", {"number": index + 1}), expect=ftype_for("boolean"))
            when = self.formula((*path, "when"), rule.get("when"), env, what=part("decl_part_when_rule",
                                                                                  {"number": index + 1}),
                                expect=ftype_for("boolean"))
            blamed = rule.get("field")
            if blamed is not None and blamed not in env.fields:
                self.problem((*path, "field"), "decl_rule_unknown_field",
                             {"number": index + 1, "field": blamed, "suggestion": closest(blamed, env.fields)})
            if check is not None:
                message = label_of(rule.get("message"), f"Rule {index + 1} failed: {check.text}")
                rules.append(Rule(check, message, when=when, field=blamed,
                                  severity=str(rule.get("severity", "error")), number=index + 1,
                                  on=guards.rule_moment(rule),
                                  by_user=guards.reads_user(check, when)))
        return rules

    def permissions(self, base: Path, raw: Mapping[str, Any], fields: Mapping[str, FieldSpec],
                    env: Environment) -> dict[str, Permission]:
        result = {}
        declared = [*self.roles, *BUILTIN_ROLES]
        for role, spec in raw.items():
            path = (*base, "permissions", role)
            if role not in declared:
                self.problem(path, "decl_role_not_declared",
                             {"role": role, "suggestion": closest(role, declared)}, key=True)
            if not isinstance(spec, dict):
                continue
            known = {a.value for a in Action}  # the schema reports unknown actions
            actions = {Action(a) for a in spec.get("actions") or () if a in known}
            for kind in ("hidden_fields", "readonly_fields"):
                for index, field_name in enumerate(spec.get(kind) or ()):
                    if field_name not in fields:
                        self.problem((*path, kind, index), "decl_permission_unknown_field",
                                     {"part": kind, "field": field_name, "suggestion": closest(field_name, fields)})
            rows = self.formula((*path, "rows"), spec.get("rows"), env, what=part("decl_part_row_filter",
                                                                                  {"role": role}),
                                expect=ftype_for("boolean"))
            result[str(role)] = Permission(
                actions=frozenset(actions), rows=rows,
                hidden_fields=frozenset(spec.get("hidden_fields") or ()),
                readonly_fields=frozenset(spec.get("readonly_fields") or ()),
            )
        return result

    def workflow(self, base: Path, raw: Any, env: Environment) -> Workflow | None:
        if not isinstance(raw, dict) or not raw.get("process"):
            return None
        process = str(raw["process"])
        start = str(raw.get("start", "on_submit"))
        cc = tuple(str(entry) for entry in raw.get("cc") or ())
        for index, entry in enumerate(cc):
            if not entry.startswith("user:") and entry not in self.roles:
                self.problem((*base, "workflow", "cc", index), "decl_cc_unknown_role",
                             {"role": entry, "suggestion": closest(entry, self.roles)})
        if process not in self.files:
            self.problem((*base, "workflow", "process"), "decl_workflow_process_missing",
                         {"file": process,
                          "suggestion": closest(process, [f for f in self.files if f.endswith(".bpmn")])})
            return Workflow(process=process, start=start, cc=cc)
        origin = self.source.file.rpartition("/")[0] or "."
        spec, problems = load_processes(self.files, process, origin=origin, roles=[*self.roles, *BUILTIN_ROLES],
                                        environment=env, params=self.param_types)
        self.problems += problems
        return Workflow(process=process, start=start, cc=cc, spec=spec)

    def project_scope(self, base: Path, name: str, raw: Any, fields: Mapping[str, FieldSpec],
                      workflow: Workflow | None) -> Workflow | None:
        """The workflow with its project field (where project-scoped roles find their members) and its
        separation of duties; a process giving tasks to project roles needs a project to take members from."""
        if workflow is None or not isinstance(raw, dict):
            return workflow
        path = (*base, "workflow", "project_field")
        declared = raw.get("project_field")
        chosen = str(declared) if declared is not None else "project"
        spec = fields.get(chosen)
        is_project_ref = spec is not None and spec.type == "ref" and spec.target == PROJECT_ENTITY
        if declared is not None and not is_project_ref:
            refs = [n for n, f in fields.items() if f.type == "ref" and f.target == PROJECT_ENTITY]
            self.problem(path, "decl_project_field_not_ref",
                         {"field": chosen, "project_entity": PROJECT_ENTITY, "name": name,
                          "suggestion": closest(chosen, refs)})
        used = sorted({role for task in workflow.spec.tasks.values() for role in task.roles
                       if role in self.project_roles}) if workflow.spec is not None else []
        is_project = f"{self.name}.{name}" == PROJECT_ENTITY
        if used and not is_project_ref and not is_project and declared is None:
            self.problem((*base, "workflow"), "decl_project_roles_without_project",
                         {"roles": ', '.join(used), "name": name, "project_entity": PROJECT_ENTITY})
        return replace(workflow, project_field=chosen if is_project_ref else None,
                       separation_of_duties=raw.get("separation_of_duties") is not False)

    def report(self, name: str, raw: Any, entities: Mapping[str, EntitySpec]) -> ReportSpec | None:
        return compile_report(self, name, raw, entities)

    def kpi(self, name: str, raw: Any, entities: Mapping[str, EntitySpec],
            reports: Mapping[str, ReportSpec]) -> Kpi | None:
        return compile_kpi(self, name, raw, entities, reports)


def _decimal_or_none(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        return Decimal(str(raw))
    except ArithmeticError:
        return None

