"""A process saved in the draft is never dropped silently by publishing an overlay that no longer names it.

The approval editor keeps an edited BPMN in the draft and names it under the overlay's `workflows:`.
An administrator who then replaces the YAML (the designer's source, the REST API) may publish a text
without that line: the draft, with its process, would be deleted by the publish. So publishing asks
first — `DraftProcessDropped` (409) — unless the caller confirms.
"""
from __future__ import annotations

from collections.abc import Mapping

import yaml

from engine.customization.overlays import MAIN
from engine.errors import Conflict


class DraftProcessDropped(Conflict):
    """Publishing would drop a process the draft holds; publish again with `confirm_drop_process` to drop it."""

    code = "draft_process_dropped"


def named_processes(overlay_text: str) -> set[str]:
    """The BPMN files an overlay's `workflows:` names (none when the YAML does not parse)."""
    try:
        data = yaml.safe_load(overlay_text) or {}
    except yaml.YAMLError:
        return set()
    workflows = data.get("workflows") if isinstance(data, dict) else None
    return {str(file) for file in workflows.values()} if isinstance(workflows, dict) else set()


def dropped_processes(draft_files: Mapping[str, str] | None, overlay_files: Mapping[str, str]) -> list[str]:
    """The draft's BPMN files that the overlay being published does not name under `workflows:`."""
    if not draft_files:
        return []
    named = named_processes(overlay_files.get(MAIN, ""))
    return sorted(f for f in draft_files if f != MAIN and f.endswith(".bpmn") and f not in named)


def refuse_dropping(draft_files: Mapping[str, str] | None, overlay_files: Mapping[str, str]) -> None:
    """Raise DraftProcessDropped when publishing `overlay_files` would drop one of the draft's processes."""
    dropped = dropped_processes(draft_files, overlay_files)
    if dropped:
        files = ", ".join(dropped)
        raise DraftProcessDropped(
            f"publishing this overlay drops the process the draft holds ({files}): its 'workflows:' no longer "
            "names it; publish again with confirm_drop_process to drop it, or add it back to 'workflows:'",
            details={"files": dropped}, message_code="draft_process_dropped", params={"files": files})
