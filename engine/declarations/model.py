"""Compiled, immutable declarations: what a module *is*, after validation."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

# What flows between records lives in flow.specs; importers may still name it here.
from engine.declarations.cascade_spec import Contribution as Contribution
from engine.declarations.cascade_spec import Effect as Effect
from engine.declarations.cascade_spec import Gather as Gather
from engine.declarations.cascade_spec import Lookup as Lookup
from engine.declarations.cascade_spec import Rollup as Rollup
from engine.declarations.cascade_spec import TaskFact as TaskFact

# The network block's types live in network_spec; importers may still name them here.
from engine.declarations.network_spec import LinkType as LinkType
from engine.declarations.network_spec import Network as Network
from engine.formula import Environment, Formula
from engine.workflow import ProcessSpec


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    SUBMIT = "submit"
    APPROVE = "approve"
    EXPORT = "export"
    IMPORT = "import"


FIELD_TYPES = frozenset(
    {"text", "integer", "decimal", "money", "percent", "boolean", "date", "datetime",
     "enum", "multi_enum", "ref", "user", "table", "attachment"}
)
NUMERIC_TYPES = frozenset({"integer", "decimal", "money", "percent"})
# Columns of the records table that formulas, filters and sorting may name like fields.
SYSTEM_FIELDS = ("id", "status", "version", "created_at", "created_by", "updated_at", "updated_by")


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def get(self, language: str) -> str:
        return self.zh if language.startswith("zh") else self.en

    def as_dict(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Mask:
    """How a field is shown to roles outside `unmasked_for`: the first `keep_start` and last `keep_end`
    characters stay, the others become `char`; spaces and dashes stay where they are."""

    keep_start: int
    keep_end: int
    unmasked_for: frozenset[str]
    char: str = "*"


@dataclass(frozen=True)
class NumberPart:
    """One piece of a number: literal `text`, a `formula` value (dates through strftime `format`), or the
    sequence (`is_seq`) zero-padded to `width`."""

    text: str = ""
    formula: Formula | None = None
    format: str = ""
    is_seq: bool = False
    width: int = 1


@dataclass(frozen=True)
class Numbering:
    """A number the engine assigns at create, e.g. `DG-{project.project_code}-{work_date:%Y%m%d}-{seq:3}`.

    The sequence counts per tenant, field and scope; the scope is the number without its sequence,
    so the example counts per project and day.
    """

    template: str
    parts: tuple[NumberPart, ...]


@dataclass(frozen=True)
class UniqueKey:
    """Fields whose values together are unique among the live records (of one tenant), where `when` holds."""

    fields: tuple[str, ...]
    when: Formula | None = None
    message: Label | None = None

    @property
    def name(self) -> str:
        return "+".join(self.fields)


@dataclass(frozen=True)
class ConflictCheck:
    """Another live record of the entity with equal `match` fields (and intersecting `overlaps` dates) clashes.

    `when` is evaluated on the other record, in SQL: it says which records count. An `error` refuses the
    save on the first match field; a `warning` saves it and reports the clash.
    """

    match: tuple[str, ...]
    number: int                                   # 1-based position among the entity's conflicts
    when: Formula | None = None
    overlaps: tuple[str, str] | None = None       # (start, end) date fields; an empty end is open
    severity: str = "error"
    message: Label | None = None
    shares: tuple[str, str] | None = None          # (table, column): where both list values, they share one

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


@dataclass(frozen=True, eq=False)  # identity hash: specs key caches
class FieldSpec:
    name: str
    type: str
    label: Label
    required: bool = False
    unique: bool = False
    indexed: bool = False
    default: Any = None
    min: Decimal | None = None
    max: Decimal | None = None
    max_length: int | None = None
    min_length: int | None = None
    scale: int | None = None
    pattern: str | None = None
    pattern_message: Label | None = None           # what users read when a value misses the pattern
    pattern_example: str | None = None             # else "格式不正确，例如：<this>" (declared or generated)
    formula: Formula | None = None
    visible_if: Formula | None = None
    readonly_if: Formula | None = None
    options: Mapping[str, Label] = field(default_factory=dict)
    target: str | None = None                      # ref: "module.entity"
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)   # table: row fields
    computed_order: tuple[str, ...] = ()           # table: computed row fields in dependency order
    multiline: bool = False
    hidden: bool = False
    readonly: bool = False                         # users never write it (a process or default sets it)
    scanned: bool = True                           # computed: the daily scan refreshes it when it reads the clock
    multiple: bool = False                         # user / attachment: a list of values
    lookup: Lookup | None = None
    fill: Formula | None = None                    # the value an empty field takes at a save (then kept)
    rollup: Rollup | None = None
    gather: Gather | None = None                   # table: rows taken from other records
    help: Label | None = None
    numbering: Numbering | None = None             # assigned by the engine at create, read-only after
    mask: Mask | None = None                       # shown masked to roles outside mask.unmasked_for
    presentation: Mapping[str, Any] = field(default_factory=dict)  # placeholder, unit, x-...: for forms
    optional_module: str | None = None             # a ref to an optional module's entity: absent without it
    freeze: str | None = None                      # computed: kept from submission ("submit") or creation ("create")
    task_fact: TaskFact | None = None              # written when a task of the record's process completes

    @property
    def is_computed(self) -> bool:
        return self.formula is not None or self.rollup is not None

    @property
    def decimal_places(self) -> int | None:
        """Places money and decimals keep: money 2 unless declared, percent 2, integer 0."""
        if self.type == "money":
            return 2 if self.scale is None else self.scale
        if self.type == "integer":
            return 0
        if self.type == "percent":
            return 2 if self.scale is None else self.scale
        return self.scale


@dataclass(frozen=True)
class Rule:
    check: Formula
    message: Label
    when: Formula | None = None       # the rule applies only where this holds
    field: str | None = None          # the field the message is shown on
    severity: str = "error"           # error: the save is refused; warning: saved, the message returned
    number: int = 0                   # 1-based position among the entity's rules (warnings name it)
    on: str = "save"                  # save: every write; submit: only when the record is submitted
    by_user: bool = False             # reads the acting user (user.name, user.roles): checked on users' writes only

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


@dataclass(frozen=True)
class Permission:
    actions: frozenset[Action]
    rows: Formula | None = None
    hidden_fields: frozenset[str] = frozenset()
    readonly_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Workflow:
    process: str
    start: str = "on_submit"
    cc: tuple[str, ...] = ()  # 抄送 when the approval ends: roles and `user:<name>`s (besides the process's own)
    spec: ProcessSpec | None = field(default=None, compare=False, repr=False)  # parsed and validated BPMN
    project_field: str | None = None    # the ref to base.project whose members take project-scoped roles' tasks
    separation_of_duties: bool = True   # the submitter may not approve, nor one person two steps


@dataclass(frozen=True)
class Section:
    """A titled group of fields: of the form (`views.form.sections`) or of the printed document."""

    title: Label | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ListCard:
    """How a record shows as a card on a phone (`views.list.card`); None parts fall to the defaults."""

    title: str | None = None                       # the field the card is headed with
    badge: str | None = None                       # the enum (or `status`) shown as a coloured badge
    fields: tuple[str, ...] = ()                   # 2-4 summary fields


@dataclass(frozen=True)
class PrintLayout:
    """How a record prints (`print:`); what it leaves out follows the form (docs/printing.md)."""

    title: Label | None = None
    sections: tuple[Section, ...] = ()             # none: the form's sections
    amounts: tuple[str, ...] | None = None         # money fields also written in Chinese capitals; None: the computed
    footer: Label | None = None


@dataclass(frozen=True, eq=False)  # identity hash: specs key caches
class EntitySpec:
    module: str
    name: str
    title: Label
    fields: Mapping[str, FieldSpec]
    title_field: str | None = None
    rules: tuple[Rule, ...] = ()
    permissions: Mapping[str, Permission] = field(default_factory=dict)
    workflow: Workflow | None = None
    list_columns: tuple[str, ...] = ()
    list_sort: str | None = None
    list_filter: Formula | None = None             # the list view's standing filter
    list_filters: tuple[str, ...] = ()             # the fields the list offers to filter on first
    list_card: ListCard = field(default_factory=ListCard)  # the list's card on a phone
    effects: tuple[Effect, ...] = ()
    unique: tuple[UniqueKey, ...] = ()             # composite unique keys
    conflicts: tuple[ConflictCheck, ...] = ()      # existence checks over the entity's other records
    computed_order: tuple[str, ...] = ()           # computed top-level fields in dependency order
    fill_order: tuple[str, ...] = ()               # lookup and `fill` fields, each after those it reads
    environment: Environment | None = None         # what formulas over this entity may name (filters)
    network: Network | None = None                 # critical path method over its records
    contributions: tuple[Contribution, ...] = ()   # what its records add to fields of other modules' entities
    readonly_when: Formula | None = None           # where it holds, no one updates or deletes the record
    readonly_except: tuple[str, ...] = ()          # ... but for these fields, which users may still change
    append_only: bool = False                      # records are created, never updated or deleted
    import_deferred: frozenset[str] = frozenset()  # required attachments imported rows may leave for later
    form_sections: tuple[Section, ...] = ()         # views.form.sections
    print_layout: PrintLayout = field(default_factory=PrintLayout)

    @property
    def frozen_fields(self) -> tuple[FieldSpec, ...]:
        """Frozen fields, the frozen columns of its tables included."""
        return tuple(spec for top in self.fields.values() for spec in (top, *top.fields.values())
                     if spec.freeze is not None)

    @property
    def task_facts(self) -> tuple[FieldSpec, ...]:
        return tuple(spec for spec in self.fields.values() if spec.task_fact is not None)

    @property
    def key(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    label: Label


@dataclass(frozen=True)
class Chart:
    """How a report is drawn: `x` a column, `y` the columns plotted against it."""

    type: str                                       # bar | line | area | pie
    x: str | None = None
    y: tuple[str, ...] = ()
    stacked: bool = False


@dataclass(frozen=True)
class Join:
    """Measures of a second entity, grouped by `match` and set beside the report's rows with equal keys."""

    entity: str                                    # "module.entity"
    match: tuple[tuple[str, Formula], ...]         # report grouping column -> formula over the entity
    measures: tuple[tuple[str, Formula], ...]      # aggregate formulas over the entity
    where: Formula | None = None


@dataclass(frozen=True)
class Window:
    """A running column: an SQL window over the report's grouped rows (`closing: {sum: net, order: [period]}`)."""

    name: str
    function: str                                  # sum | avg | min | max | previous | next
    column: str                                    # the column of the report it reads
    source: Formula                                # that column's formula (the window's type is its type)
    partition: tuple[str, ...] = ()                # columns: the window restarts where they change
    order: tuple[tuple[str, bool], ...] = ()       # (column, descending); none: the whole partition
    offset: int = 1                                # previous / next: how many rows back or ahead


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: Label
    entity: str                                    # an entity of this module, or "module.entity" of a required one
    where: Formula | None
    group_by: tuple[tuple[str, Formula], ...]
    measures: tuple[tuple[str, Formula], ...]
    labels: Mapping[str, Label] = field(default_factory=dict)    # column -> label, declared or of its field
    chart: Chart | None = None
    order_by: tuple[tuple[str, bool], ...] = ()                  # (column, descending)
    limit: int | None = None
    joins: tuple[Join, ...] = ()
    derived: tuple[tuple[str, Formula], ...] = ()                # formulas over the columns before them
    running: tuple[Window, ...] = ()                             # windows over the grouped rows
    rows: str = "own"                                            # own: its entity's groups; any: any entity's

    @property
    def columns(self) -> tuple[tuple[str, Formula], ...]:
        """Every column in order: groupings, measures, the joins' measures, running columns, derived columns."""
        joined = tuple(m for join in self.joins for m in join.measures)
        running = tuple((w.name, w.source) for w in self.running)
        return (*self.group_by, *self.measures, *joined, *running, *self.derived)

    @property
    def aggregates(self) -> tuple[tuple[str, Formula], ...]:
        """The measures, this entity's and the joins': the columns a totals row may add up."""
        return (*self.measures, *(m for join in self.joins for m in join.measures))


@dataclass(frozen=True)
class Kpi:
    """A dashboard figure: one aggregate over an entity (or a report's rows), with a unit and thresholds."""

    name: str
    title: Label
    entity: str
    value: Formula
    where: Formula | None = None
    unit: Label | None = None
    warn_above: Decimal | str | None = None         # a number, or the name of a module parameter
    warn_below: Decimal | str | None = None
    report: str | None = None                       # the report the card links to
    from_report: str | None = None                  # value and where are over this report's rows and columns


@dataclass(frozen=True, eq=False)  # identity hash: specs key caches
class ModuleSpec:
    name: str
    version: str
    title: Label
    requires: tuple[str, ...]
    roles: Mapping[str, Label]
    entities: Mapping[str, EntitySpec]
    parameters: Mapping[str, Parameter]
    reports: Mapping[str, ReportSpec]
    kpis: Mapping[str, Kpi] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)   # relative path -> text, as installed
    digest: str = ""
    optional: tuple[str, ...] = ()                  # modules whose entities its optional refs point at
    project_roles: frozenset[str] = frozenset()     # roles declared (or inherited) `scope: project`
