"""Declaration checks of gathered tables (`gather:`): file:line:col problems, and the built-in summary's gather."""
from __future__ import annotations

from pathlib import Path

from engine.declarations.loader import builtin_folders, compile_all, validate_paths

MODULE = """\
module: gathers
version: 1.0.0
title: {zh: 汇总, en: Gathers}
entities:
  ticket:
    title: {zh: 单据, en: Ticket}
    fields:
      crew: {type: text}
      amount: {type: money}
      tags: {type: multi_enum, options: {a: A}}
  summary:
    title: {zh: 汇总, en: Summary}
    fields:
      crew: {type: text}
      note: {type: text, gather: {entity: ticket, match: {crew: crew}, row: ticket}}
      lines:
        type: table
        gather:
          entity: tickett
          match: {crew: crew}
          row: ticket
      others:
        type: table
        gather:
          entity: ticket
          match: {crw: crew, amount: crew}
          where: "len(tags) > 0 and amount"
          row: amount
          values: {ticket: crew, missing: amount, twice: amount}
          order_by: [tags]
        fields:
          ticket: {type: ref, entity: ticket}
          amount: {type: money}
          twice: {type: money, formula: "amount * 2"}
"""


def test_gather_problems_are_reported_where_they_are(tmp_path: Path) -> None:
    folder = tmp_path / "gathers"
    folder.mkdir()
    (folder / "module.yaml").write_text(MODULE, encoding="utf-8")
    lines = [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])]
    assert lines == [
        "module.yaml:15:26: 'gather' belongs to table fields; 'note' is a text field",
        "module.yaml:16:7: field 'lines' is missing 'fields' (a field of type 'table' needs it)",
        "module.yaml:17:9: table field 'lines' needs 'fields' for its rows",
        "module.yaml:19:19: ref target 'tickett' is not an entity (did you mean 'ticket'?)",
        "module.yaml:26:19: gather match 'crw' is not a field of gathers.ticket (did you mean 'crew'?)",
        "module.yaml:26:38: gather match 'amount': expected a money formula, found text",
        "module.yaml:27:37: gather where: 'and' needs bool operands, not money",
        "module.yaml:28:16: gather row 'amount' must be a ref column of table 'others' pointing at gathers.ticket",
        "module.yaml:29:28: gather value 'ticket': expected a ref formula, found text",
        "module.yaml:29:34: gather value 'missing' is not a column of table 'others'",
        "module.yaml:29:51: gather value 'twice' is a computed column",
        "module.yaml:30:22: gather order_by 'tags' is not a single-valued field of gathers.ticket",
    ]


def test_the_monthly_summary_gathers_the_signed_tickets_of_its_crew_and_month() -> None:
    modules, problems = compile_all(builtin_folders())
    assert not problems
    gather = modules["labor"].entities["day_labor_summary"].fields["lines"].gather
    assert gather is not None and gather.source == "labor.day_labor_ticket" and gather.row == "ticket"
    assert [name for name, _formula in gather.match] == ["project", "crew", "period"]
    assert gather.where is not None and gather.where.text == "status == 'signed'"
    assert gather.order_by == ("work_date", "ticket_no")
