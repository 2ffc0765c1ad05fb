"""The approval editor's engine side: read an entity's effective BPMN, check an edited one, save it into the draft.

An edited process is not a separate mechanism: it becomes the `workflows:` entry of the tenant's
overlay for the module (the very path of replacing a BPMN with the CLI or the REST API) and is kept
in the tenant's draft (`tenant_module_drafts`) until the administrator publishes it with the usual
dry run. So problems, versions, history and rollback are the overlays' own.
"""
from __future__ import annotations

import posixpath
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import yaml
from lxml import etree

from engine.core.declaration_codes import problem_at
from engine.core.suggestions import suggest
from engine.customization.overlays import MAIN, Overlay
from engine.customization.publishing import Adjustments
from engine.customization.tenant_versions import current
from engine.declarations.model import EntitySpec
from engine.errors import DeclarationError, NotFound, Problem
from engine.security import audit
from engine.storage.models import TenantModuleDraft
from engine.workflow.bpmn_parser import bpmn_tag, parse_xml

ORIGIN = MAIN  # problems of the overlay name it `overlay.yaml`, its BPMN files `./<path>`


def starter(module: str, base_version: str) -> str:
    """A new overlay: the two keys every overlay has."""
    return f"overlay: {module}\nbase_version: {base_version}\n"


def draft_of(adjustments: Adjustments, module: str) -> TenantModuleDraft | None:
    return adjustments.session.get(TenantModuleDraft, (adjustments.actor.tenant_id, module))


ProblemJson = Callable[[Problem, str | None], dict[str, Any]]  # a problem and the edited BPMN file -> JSON


class ProcessEditor:
    """Reads and edits the approval processes of one module for a tenant administrator."""

    def __init__(self, adjustments: Adjustments, shown: ProblemJson | None = None) -> None:
        self.adjustments = adjustments
        self.shown = shown or problem_json  # a page passes one that words the message in the reader's language

    # -- reading -------------------------------------------------------------------------------------

    def processes(self, module: str) -> list[dict[str, Any]]:
        """Each entity with an approval process: its file, process id and name, and where the BPMN comes from."""
        spec = self.adjustments.module(module)
        working = self.working(module)
        named = _workflows(working)
        result = []
        for entity in spec.entities.values():
            if entity.workflow is None:
                continue
            process = entity.workflow.spec
            result.append({
                "entity": entity.name, "title": entity.title.as_dict(), "file": entity.workflow.process,
                "process_id": process.process_id if process else None, "name": process.name if process else None,
                "draft": draft_of(self.adjustments, module) is not None and entity.name in named,
            })
        return result

    def entity(self, module: str, ref: str) -> EntitySpec:
        """The entity whose process `ref` names: the entity's name, its process file or its BPMN process id."""
        spec = self.adjustments.module(module)
        ref = ref.strip().strip("/")
        with_process = [e for e in spec.entities.values() if e.workflow is not None]
        for entity in with_process:
            assert entity.workflow is not None
            process_id = entity.workflow.spec.process_id if entity.workflow.spec else None
            if ref in (entity.name, entity.workflow.process, process_id):
                return entity
        known = [e.name for e in with_process]
        raise NotFound(f"{module} has no approval process {ref!r}" + suggest(ref, known)
                       + f"; name an entity with a process ({', '.join(known) or 'none'}), its .bpmn file or "
                         "its process id",
                       message_code="process_not_found",
                       params={"module": module, "ref": ref, "hint": suggest(ref, known),
                               "known": ', '.join(known) or 'none'})

    def read(self, module: str, ref: str) -> dict[str, Any]:
        """The BPMN the editor starts from: the draft's when there is one, else the tenant's current version's."""
        entity = self.entity(module, ref)
        assert entity.workflow is not None
        working = self.working(module)
        file = _workflows(working).get(entity.name)
        stored = draft_of(self.adjustments, module)
        if stored is not None and file is not None and file in working.files:
            xml, source = working.files[file], "draft"
        else:
            file, source = entity.workflow.process, "published"
            xml = self.adjustments.module(module).files.get(file, "")
        process = entity.workflow.spec
        return {"module": module, "entity": entity.name, "file": file, "source": source,
                "process_id": process.process_id if process else None, "name": process.name if process else None,
                "version": self.adjustments.module(module).version, "xml": xml}

    def working(self, module: str) -> Overlay:
        """The overlay being worked on: the draft, else the current version's, else an empty one."""
        stored = draft_of(self.adjustments, module)
        if stored is not None:
            return Overlay(ORIGIN, dict(stored.files))
        row = current(self.adjustments.session, module)
        if row is not None:
            return Overlay(ORIGIN, dict(row.files))
        base = self.adjustments.catalog_base(module)
        return Overlay(ORIGIN, {MAIN: starter(module, base.version)})

    # -- editing -------------------------------------------------------------------------------------

    def with_process(self, module: str, ref: str, xml: str) -> tuple[Overlay, str]:
        """The working overlay with `xml` as the entity's process, and the overlay file that holds it.

        The file is the one the overlay already uses for the entity, else `<module file>_tenant.bpmn`
        beside the module's own (an overlay may not reuse the name of one of the module's files).
        """
        entity = self.entity(module, ref)
        assert entity.workflow is not None
        working = self.working(module)
        files = dict(working.files)
        try:
            data = yaml.safe_load(working.text) or {}
        except yaml.YAMLError as error:
            raise DeclarationError([problem_at(ORIGIN, 1, 1, "decl_draft_yaml_invalid_designer",
                                               {"error": str(error).splitlines()[0]})]) from None
        if not isinstance(data, dict):
            raise DeclarationError([problem_at(ORIGIN, 1, 1, "decl_draft_not_mapping_designer")])
        found = data.get("workflows")
        workflows: dict[str, Any] = found if isinstance(found, dict) else {}
        file = workflows.get(entity.name)
        base_files = self.adjustments.catalog_base(module).files
        if not isinstance(file, str) or file in base_files or ".." in file:
            file = _free_name(entity.workflow.process, {*base_files, *files})
        files[file] = xml
        if workflows.get(entity.name) != file:
            data["workflows"] = {**workflows, entity.name: file}
            files[MAIN] = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)
        return Overlay(ORIGIN, files), file

    def validate(self, module: str, ref: str, xml: str) -> dict[str, Any]:
        """The problems the module would have with `xml` as the process; those in it carry element ids."""
        overlay, file = self.with_process(module, ref, xml)
        problems = self.adjustments.validate(module, overlay)
        return {"valid": not problems, "file": file, "problems": [self.shown(p, file) for p in problems]}

    def save(self, module: str, ref: str, xml: str) -> dict[str, Any]:
        """Keep `xml` as the entity's process in the tenant's draft, even with problems (they are returned).

        Text that is not a BPMN 2.0 document at all is refused: nothing could be drawn from it again.
        """
        overlay, file = self.with_process(module, ref, xml)
        not_bpmn = _not_bpmn(xml, file)
        if not_bpmn:
            raise DeclarationError(not_bpmn)
        problems = self.adjustments.validate(module, overlay)
        self.put_draft(module, overlay, note=f"process of {self.entity(module, ref).name} saved ({file})")
        return {"saved": True, "valid": not problems, "file": file,
                "problems": [self.shown(p, file) for p in problems]}

    def put_draft(self, module: str, overlay: Overlay, *, note: str) -> None:
        session, actor = self.adjustments.session, self.adjustments.actor
        audit.lock_chain(session, actor.tenant_id)
        stored = draft_of(self.adjustments, module)
        before = {"files": sorted(stored.files)} if stored is not None else None
        if stored is None:
            stored = TenantModuleDraft(module=module)
            session.add(stored)
        stored.base_version = self.adjustments.catalog_base(module).version
        stored.files = dict(overlay.files)
        stored.updated_at = datetime.now(UTC)
        stored.updated_by = actor.username
        session.flush()
        audit.write(session, actor.tenant_id, actor=actor.username, action="module.draft_saved",
                    target_type="module", target_id=module, before=before, after={"files": sorted(overlay.files)},
                    note=note)

    def discard(self, module: str) -> bool:
        """Drop the draft; False when there was none."""
        self.adjustments.module(module)
        stored = draft_of(self.adjustments, module)
        if stored is None:
            return False
        session, actor = self.adjustments.session, self.adjustments.actor
        audit.lock_chain(session, actor.tenant_id)
        session.delete(stored)
        session.flush()
        audit.write(session, actor.tenant_id, actor=actor.username, action="module.draft_discarded",
                    target_type="module", target_id=module, before={"files": sorted(stored.files)})
        return True

    def vocabulary(self, module: str, ref: str) -> dict[str, Any]:
        """What the properties panel offers: the module's roles and the entity's fields and parameters."""
        spec = self.adjustments.module(module)
        entity = self.entity(module, ref)
        return {
            "roles": [{"name": name, "label": label.as_dict()} for name, label in spec.roles.items()],
            "fields": [{"name": f.name, "type": f.type, "label": f.label.as_dict()} for f in entity.fields.values()],
            "parameters": [{"name": p.name, "type": p.type, "label": p.label.as_dict()}
                           for p in spec.parameters.values()],
        }


def problem_json(problem: Problem, bpmn_file: str | None = None) -> dict[str, Any]:
    """A problem for JSON clients; `in_process` says it is in the edited BPMN (so `element` is on the diagram)."""
    in_process = bpmn_file is not None and posixpath.normpath(problem.file) == posixpath.normpath(bpmn_file)
    return {"file": problem.file, "line": problem.line, "column": problem.column, "message": problem.message,
            "element": problem.element, "in_process": in_process, "text": str(problem)}


def _workflows(overlay: Overlay) -> dict[str, str]:
    try:
        data = yaml.safe_load(overlay.text) or {}
    except yaml.YAMLError:
        return {}
    workflows = data.get("workflows") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in workflows.items()} if isinstance(workflows, dict) else {}


def _free_name(module_file: str, taken: set[str]) -> str:
    stem = module_file[:-5] if module_file.endswith(".bpmn") else module_file
    name, n = f"{stem}_tenant.bpmn", 1
    while name in taken:
        n += 1
        name = f"{stem}_tenant{n}.bpmn"
    return name


def _not_bpmn(xml: str, file: str) -> list[Problem]:
    try:
        root = parse_xml(xml)
    except etree.XMLSyntaxError as error:
        line, column = error.position if error.position else (error.lineno, 1)
        return [problem_at(f"./{file}", line or 1, column or 1, "decl_bpmn_malformed_xml", {"reason": error.msg})]
    except ValueError as error:
        return [problem_at(f"./{file}", 1, 1, "decl_bpmn_not_xml", {"reason": error})]
    if bpmn_tag(root) != "definitions":
        return [problem_at(f"./{file}", 1, 1, "decl_bpmn_not_bpmn")]
    return []
