"""A record's values made whole and checked before a write: lookups, rollups, formulas, numbers, references,
unique values and keys, conflicts; every problem found is reported at once."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.declarations.model import EntitySpec, FieldSpec
from engine.errors import FieldError, RecordInvalid
from engine.fields.json_schema import schema_errors
from engine.fields.values import to_document, to_json
from engine.records import files, links
from engine.records.compute import RuleWarning, check_field, check_record, compute, rule_errors, rule_warnings
from engine.records.conflicts import conflict_errors, conflict_warnings, held_by, holder_of, zh_values
from engine.records.flow import gathering
from engine.records.flow.frozen import keep_frozen
from engine.records.numbering import Planned, plan_numbers, take_numbers
from engine.records.unit_of_work import UnitOfWork, ref_ids, values_of
from engine.storage.models import Record
from engine.storage.queries import RecordQuery


def finish(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], record_id: str | None, *,
           numbered: bool = True, warnings: list[RuleWarning] | None = None, gathered: bool = False,
           snapshot: bool = False, by_user: bool = False, deferred: frozenset[str] = frozenset(),
           batched: bool = False, every: bool = False) -> dict[str, Any]:
    """Compute, number, check and serialise; every problem found is reported at once.

    `numbered` False leaves empty numbered fields empty (previews and dry runs take no number), and the rules that
    read them unchecked;
    `warnings` receives the warning rules a valid record breaks; `gathered` (a save while the record is
    editable) takes the rows of its gathered tables afresh; frozen fields keep their stored values
    (`snapshot`: a submission takes them anew); rules reading the acting user are checked `by_user` only.
    An import leaves the `deferred` required attachments for later, and checks unique values and keys
    `batched`, for all its rows at once (records/bulk/), and says `every` problem of a row at once (rules too).
    """
    evaluation = work.evaluation(entity)
    work.prefetch_refs(entity, values)  # what lookups, formulas, numbers and the reference check read
    links.fill_lookups(work, entity, values, record_id)
    links.compute_rollups(work, entity, values, record_id)
    frozen = keep_frozen(work, entity, values, record_id, snapshot=snapshot)
    if gathered and gathering.gathers(entity):
        compute(entity, values, evaluation, frozen)  # what the match formulas read, computed fields included
        gathering.gather_rows(work, entity, values, record_id)
    errors = compute(entity, values, evaluation, frozen)
    planned: Planned = {}
    if numbered:
        planned, problems = plan_numbers(entity, values, evaluation)
        errors += problems
    counted = frozenset(planned)  # numbers the tenant's counter gives last: unique by the counter, checked then
    unnumbered = frozenset(name for name, spec in entity.fields.items()  # what reads them waits for the numbers
                           if spec.numbering is not None and values.get(name) in (None, ""))
    errors += check_record(entity, values, evaluation, work.language, by_user=by_user,
                           deferred=deferred | unnumbered, every=every)
    document = {name: to_document(spec, values[name]) for name, spec in entity.fields.items()
                if values.get(name) is not None}
    reported = {e.field for e in errors}
    errors += [e for e in schema_errors(entity, document) if e.field not in reported and e.field not in deferred]
    errors += reference_errors(work, entity, values)
    errors += files.attachment_errors(work.session, entity, values)
    if not batched:
        errors += _uniqueness_errors(work, entity, values, record_id, counted)
        errors += _unique_key_errors(work, entity, values, record_id)
    if not errors:  # a clash with another record matters once the record itself is sound
        errors += conflict_errors(work.session, entity, evaluation, values, record_id, work.language,
                                  work.access(entity), work.named)
    if errors:
        raise RecordInvalid(_deduplicated(errors))
    if warnings is not None:
        warnings += rule_warnings(entity, values, evaluation, work.language, waiting=unnumbered)
        warnings += conflict_warnings(work.session, entity, evaluation, values, record_id, work.language,
                                      work.access(entity), work.named)
    if counted:
        _number(work, entity, values, document, planned, warnings, by_user=by_user)
    return document


def _number(work: UnitOfWork, entity: EntitySpec, values: dict[str, Any], document: dict[str, Any],
            planned: Planned, warnings: list[RuleWarning] | None, *, by_user: bool) -> None:
    """Take the sound record's numbers, last (the counter row is locked from here to the commit), then check what
    reads them: the numbered fields' own constraints and the rules that read them."""
    take_numbers(work.session, work.actor.tenant_id, entity, values, planned)
    counted, evaluation = frozenset(planned), work.evaluation(entity)
    errors = [e for name in counted for e in check_field(entity.fields[name], values[name], name, work.language)]
    errors += rule_errors(entity, values, evaluation, work.language, "save", by_user=by_user, reading=counted)
    if errors:
        raise RecordInvalid(_deduplicated(errors))
    if warnings is not None:
        warnings += rule_warnings(entity, values, evaluation, work.language, reading=counted)
    document.update({name: to_document(entity.fields[name], values[name]) for name in counted})


def warnings_of(work: UnitOfWork, entity: EntitySpec, row: Record) -> list[RuleWarning]:
    """The warning rules and warning conflicts a stored record has now (for its page)."""
    values, evaluation = values_of(entity, row), work.evaluation(entity)
    return (rule_warnings(entity, values, evaluation, work.language)
            + conflict_warnings(work.session, entity, evaluation, values, row.id, work.language,
                                work.access(entity), work.named))


def reference_errors(work: UnitOfWork, entity: EntitySpec, values: Mapping[str, Any]) -> list[FieldError]:
    """Each reference must name a live record of its target entity (read past the actor's row filters)."""
    work.load(ref_ids(entity, values))  # those computed since the prefetch, in one query
    errors = []
    for name, spec in entity.fields.items():
        targets: list[tuple[str, FieldSpec, Any]] = []
        if spec.type == "ref" and values.get(name):
            targets.append((name, spec, values[name]))
        if spec.type == "table":
            for index, row in enumerate(values.get(name) or []):
                targets += [(f"{name}[{index}].{c}", child, row[c]) for c, child in spec.fields.items()
                            if child.type == "ref" and row.get(c)]
        for where, ref_spec, ref_id in targets:
            if ref_spec.target is None:   # `entity: any`: a live record of an entity enabled for the tenant
                row = work.load([str(ref_id)]).get(str(ref_id))
                if row is None or work.entity_of(f"{row.module}.{row.entity}") is None:
                    errors.append(FieldError(where, f"refers to record {ref_id!r}, which does not exist",
                                             code="missing_any_ref", params={"id": ref_id}))
            elif work.load_ref(ref_spec.target, str(ref_id)) is None:
                errors.append(FieldError(where, f"refers to {ref_spec.target} {ref_id!r}, which does not exist",
                                         code="missing_ref", params={"target": ref_spec.target, "id": ref_id}))
    return errors


def _uniqueness_errors(work: UnitOfWork, entity: EntitySpec, values: Mapping[str, Any],
                       record_id: str | None, counted: frozenset[str] = frozenset()) -> list[FieldError]:
    """Unique fields another live record holds; not the numbers the counter just gave, nor a value the record
    already holds (an approval step's change, an edit of other fields): the unique index of each unique field
    refuses the rare clash that slips past either (a number typed by hand), as a 409."""
    stored = work.loaded.get(record_id) if record_id is not None else None
    query = RecordQuery(work.session, entity, work.evaluation(entity))
    return [FieldError(name, f"{to_json(values[name])!r} is already used by another {entity.title.en}",
                       code="unique", params={"value": to_json(values[name]), "entity": entity.title.en})
            for name, spec in entity.fields.items()
            if spec.unique and values.get(name) is not None and name not in counted
            and (stored is None or stored.data.get(name) != to_document(spec, values[name]))
            and query.exists_with(name, to_json(values[name]), exclude_id=record_id)]


def _unique_key_errors(work: UnitOfWork, entity: EntitySpec, values: Mapping[str, Any],
                       record_id: str | None) -> list[FieldError]:
    """Composite unique keys: reported on the key's last field, naming the record that holds the values."""
    errors = []
    evaluation = work.evaluation(entity)
    query = RecordQuery(work.session, entity, evaluation)
    for key in entity.unique:
        if any(values.get(name) is None for name in key.fields):
            continue  # like the index: a key with an empty part clashes with nothing
        if key.when is not None and key.when.evaluate(evaluation.record(values)) is not True:
            continue
        clash = query.clash({name: to_json(values[name]) for name in key.fields}, exclude_id=record_id,
                            where=key.when)
        if clash is None:
            continue
        language = work.language
        holder = holder_of(work.named, entity, clash, language)
        access = work.access(entity)
        if language == "zh":   # labels and values as read
            shown = zh_values(entity, key.fields, access, values)
        else:
            readable = access.shown({name: to_json(values[name]) for name in key.fields}) or {}
            shown = ", ".join(f"{name} = {value!r}" for name, value in readable.items()) or "this combination of values"
        held = held_by(holder, language, after_message=key.message is not None)
        if key.message is not None:
            message = key.message.get(language) + held
        else:
            message = f"{shown} is already used by another {entity.title.en}" + held
        errors.append(FieldError(
            key.fields[-1], message, code="unique_key" if key.message is None else "unique_key_message",
            params={"values": shown, "entity": entity.title.en, "record": holder or "",
                    "message": key.message.get(language) if key.message is not None else "", "held_by": held}))
    return errors


def _deduplicated(errors: list[FieldError]) -> list[FieldError]:
    return list(dict.fromkeys(errors))
