"""The `network:` block of an entity (critical path method): checked field by field at its position."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import compile_all, read_folder, validate_paths

MODULE = """module: m
version: 1.0.0
title: M
entities:
  plan:
    fields:
      name: {type: text}
  task:
    fields:
      plan: {type: ref, entity: plan}
      start: {type: date}
      finish: {type: date}
      days: {type: integer}
      pct: {type: percent}
      links:
        type: table
        fields:
          pred: {type: ref, entity: task}
          kind: {type: enum, options: {FS: FS, SS: SS, finish_to_finish: FF, later: Later}}
          lag: {type: integer}
      es: {type: date}
      tf: {type: integer}
      crit: {type: boolean}
      ff: {type: date}
      late_by: {type: integer, formula: "days_between(finish, ff)"}
      due: {type: date, formula: "finish"}
    network:
%s
"""
GOOD = """      group: plan
      start: start
      finish: finish
      links: {table: links, predecessor: pred, type: kind, lag: lag}
      progress: {percent_complete: pct, status_date: "today()"}
      outputs: {early_start: es, total_float: tf, is_critical: crit, forecast_finish: ff}"""


def folder_with(tmp_path: Path, network: str, kind: str = "{FS: FS, SS: SS, finish_to_finish: FF}") -> Path:
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    text = MODULE % network
    text = text.replace("{FS: FS, SS: SS, finish_to_finish: FF, later: Later}", kind)
    (folder / "module.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_sound_network_compiles(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, GOOD)
    assert validate_paths([folder]) == []
    modules, problems = compile_all([read_folder(folder)])
    assert problems == []
    task = modules["m"].entities["task"]
    assert task.network is not None
    assert dict(task.network.outputs) == {"early_start": "es", "total_float": "tf", "is_critical": "crit",
                                          "forecast_finish": "ff"}
    assert task.network.dependents == ("late_by",)
    assert task.fields["tf"].readonly and not task.fields["start"].readonly
    assert {k: v.value for k, v in task.network.link_types.items()} == {
        "FS": "finish_to_start", "SS": "start_to_start", "finish_to_finish": "finish_to_finish"}


def test_network_problems_are_reported_at_their_line(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, """      group: start
      start: finish_typo
      finish: finish
      duration: days
      links: {table: links, predecessor: plan, type: kind, lag: pct}
      progress: {percent_complete: start}
      outputs: {early_start: tf, float: tf, forecast_start: due, total_float: tf}""",
                         kind="{FS: FS, later: Later}")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:28:7: a network needs either 'finish' (a date field) or 'duration' (an integer field of "
        "calendar days), not both",
        "module.yaml:28:14: network group 'start' has type date; it needs a ref field",
        "module.yaml:29:14: network start 'finish_typo' is not a field of 'task' (did you mean 'finish'?)",
        "module.yaml:32:42: network predecessor column 'plan' is not a field of 'links'",
        "module.yaml:32:54: option 'later' of links.kind is not a link type; name the options finish_to_start, "
        "start_to_start, finish_to_finish, start_to_finish (or FS, SS, FF, SF)",
        "module.yaml:32:65: network lag column 'pct' is not a field of 'links'",
        "module.yaml:33:36: network percent complete 'start' has type date; it needs a percent or decimal or "
        "integer field",
        "module.yaml:34:30: network output 'early_start' 'tf' has type integer; it needs a date field",
        "module.yaml:34:34: network output 'float' is not one the engine computes (did you mean 'total_float'?); "
        "it computes early_start, early_finish, late_start, late_finish, total_float, is_critical, "
        "forecast_start, forecast_finish",
        "module.yaml:34:61: network output field 'due' is written by the engine: give it no formula, rollup, "
        "lookup or 'required'",
    ]


def test_a_network_input_cannot_read_its_outputs(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, GOOD.replace('status_date: "today()"', "status_date: ff"))
    assert [p.message for p in validate_paths([folder])] == [
        "network input 'ff' reads the network's own outputs; inputs must not depend on what the engine computes "
        "from them"]
