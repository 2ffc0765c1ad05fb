"""`capture: camera | signature` and `stamp` on attachment fields: checked at load with file:line:col."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import builtin_folders, compile_all, validate_paths

MODULE = """\
module: site
version: 1.0.0
title: {zh: 现场, en: Site}
entities:
  ticket:
    title: {zh: 单据, en: Ticket}
    fields:
      place: {type: text}
      photos: {type: attachment, multiple: true, capture: camera, stamp: [place, plase]}
      sign: {type: attachment, capture: signature, stamp: [place]}
      signs: {type: attachment, multiple: true, capture: signature}
      note: {type: text, capture: camera}
      scan: {type: attachment, capture: scanner}
"""


def test_capture_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:9:82: stamp of 'photos' names 'plase', which is not another field of this entity "
        "(did you mean 'place'?)",
        "module.yaml:10:59: stamp of 'sign' needs 'capture: camera' (it is burned into photos)",
        "module.yaml:11:58: capture: signature of 'signs' holds one signature: leave out 'multiple'",
        "module.yaml:12:35: capture of 'note' needs an attachment field; 'note' is text",
        "module.yaml:13:41: 'capture' must be one of camera, signature, not 'scanner' (did you mean 'camera'?)",
    ]


def test_the_crew_leader_ticket_captures_photos_and_a_signature() -> None:
    modules, problems = compile_all(builtin_folders())
    assert not problems
    ticket = modules["labor"].entities["day_labor_ticket"]
    assert ticket.fields["photos"].presentation["capture"] == "camera"
    assert ticket.fields["photos"].presentation["stamp"] == ["project", "location"]
    assert ticket.fields["crew_leader_signature"].presentation["capture"] == "signature"
