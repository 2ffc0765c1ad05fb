"""The tenant's draft overlay as data: the visual designer's pages change one part of it at a time.

Every page of the visual designer (form, rules, list view, permissions) reads the overlay being worked
on — the draft, else the current version's, else a new one — as a mapping, changes its part and keeps
the result in the same draft the YAML source tab and the approval editor use. Publishing stays the
overlays' own dry run and publish, so nothing here can bypass their checks.
"""
from __future__ import annotations

from typing import Any

import yaml

from engine.core.declaration_codes import problem_at
from engine.customization.overlays import MAIN, Overlay
from engine.customization.process_editor import ProcessEditor, problem_json
from engine.customization.publishing import Adjustments
from engine.declarations.model import ModuleSpec
from engine.errors import DeclarationError, Problem


def dump_overlay(data: dict[str, Any]) -> str:
    """The overlay's YAML as the source tab shows it (keys in the order they were written)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110)


class DraftOverlay:
    """Reads, previews and saves the overlay of one module as a mapping."""

    def __init__(self, adjustments: Adjustments) -> None:
        self.adjustments = adjustments
        self.editor = ProcessEditor(adjustments)

    def load(self, module: str) -> dict[str, Any]:
        """The working overlay's data; a draft whose YAML does not parse is a DeclarationError (fix it in source)."""
        working = self.editor.working(module)
        try:
            data = yaml.safe_load(working.text) or {}
        except yaml.YAMLError as error:
            raise DeclarationError([problem_at(MAIN, 1, 1, "decl_draft_yaml_invalid",
                                               {"error": str(error).splitlines()[0]})]) from None
        if not isinstance(data, dict):
            raise DeclarationError([problem_at(MAIN, 1, 1, "decl_draft_not_mapping")])
        return data

    def overlay(self, module: str, data: dict[str, Any]) -> Overlay:
        """`data` as an overlay, with the BPMN files the working overlay holds."""
        files = dict(self.editor.working(module).files)
        files[MAIN] = dump_overlay(data)
        return Overlay(MAIN, files)

    def preview(self, module: str, data: dict[str, Any]) -> tuple[list[Problem], ModuleSpec | None]:
        """The problems of `data`, and the module it would publish when there are none."""
        overlay = self.overlay(module, data)
        problems = self.adjustments.validate(module, overlay)
        return problems, None if problems else self.adjustments.plan(module, overlay).new

    def save(self, module: str, data: dict[str, Any], *, note: str) -> dict[str, Any]:
        """Keep `data` in the draft, even with problems (they are returned, as the approval editor does)."""
        overlay = self.overlay(module, data)
        problems = self.adjustments.validate(module, overlay)
        self.editor.put_draft(module, overlay, note=note)
        return {"saved": True, "valid": not problems, "overlay": overlay.text,
                "problems": [problem_json(p) for p in problems]}
