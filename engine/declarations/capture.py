"""Check how an attachment field is captured on a phone: `capture: camera` (with `stamp`) or `capture: signature`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.core.suggestions import suggest
from engine.declarations.module_scope import ModuleScope, Path
from engine.formula import Environment

CAPTURE_MODES = ("camera", "signature")   # the schema refuses other values with their file:line:col


def check(compiler: ModuleScope, path: Path, raw: Mapping[str, Any], kind: str, name: str,
          env: Environment) -> None:
    """Report `capture` on a field that holds no files, a multi-file signature, and `stamp` naming no field."""
    mode = raw.get("capture")
    stamp = raw.get("stamp")
    if mode is not None and kind != "attachment":
        compiler.problem((*path, "capture"), f"capture of {name!r} needs an attachment field; {name!r} is {kind}")
    if mode == "signature" and raw.get("multiple"):
        compiler.problem((*path, "capture"), f"capture: signature of {name!r} holds one signature: "
                                             "leave out 'multiple'")
    if stamp is None or not isinstance(stamp, list):
        return
    if mode != "camera":
        compiler.problem((*path, "stamp"), f"stamp of {name!r} needs 'capture: camera' (it is burned into photos)")
    for index, field in enumerate(stamp):
        if str(field) not in env.fields or str(field) == name:
            compiler.problem((*path, "stamp", index), f"stamp of {name!r} names {field!r}, which is not another "
                                                      "field of this entity" + suggest(str(field), env.fields))
