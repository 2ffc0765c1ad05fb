"""`views.list.card`: the phone card of a list, checked at load (file:line:col), and its defaults."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.declarations.flow.cards import card_layout
from engine.declarations.loader import compile_all, read_folder, validate_paths
from engine.declarations.model import SYSTEM_FIELDS, EntitySpec, ListCard

HEAD = ("module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    title_field: code\n    fields:\n"
        "      code: {type: text}\n      day: {type: date}\n      amount: {type: money}\n"
        "      state: {type: enum, options: {open: Open, done: Done}}\n"
        "      lines: {type: table, fields: {x: {type: text}}}\n"
        "      note: {type: text}\n")


def _module(tmp_path: Path, views: str) -> Path:
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    (folder / "module.yaml").write_text(HEAD + "    views:\n" + views, encoding="utf-8")
    return folder


def _entity(folder: Path) -> EntitySpec:
    specs, problems = compile_all([read_folder(folder)], {})
    assert problems == []
    return specs["m"].entities["e"]


def _all(entity: EntitySpec) -> set[str]:
    return set(entity.fields) | set(SYSTEM_FIELDS)


def test_a_declared_card_names_its_title_badge_and_fields(tmp_path: Path) -> None:
    card = "      list:\n        card: {title: note, badge: state, fields: [day, amount]}\n"
    entity = _entity(_module(tmp_path, card))
    assert entity.list_card == ListCard(title="note", badge="state", fields=("day", "amount"))
    assert card_layout(entity, _all(entity)) == ListCard("note", "state", ("day", "amount"))


def test_a_card_as_a_list_names_its_fields_and_keeps_the_default_title_and_badge(tmp_path: Path) -> None:
    entity = _entity(_module(tmp_path, "      list:\n        card: [amount, note]\n"))
    assert card_layout(entity, _all(entity)) == ListCard("code", "state", ("amount", "note"))


def test_without_a_card_the_list_columns_make_it(tmp_path: Path) -> None:
    entity = _entity(_module(tmp_path, "      list:\n        columns: [code, day, state, amount, note, lines]\n"))
    assert card_layout(entity, _all(entity)) == ListCard("code", "state", ("day", "amount", "note"))


def test_a_card_leaves_out_what_the_user_may_not_see(tmp_path: Path) -> None:
    entity = _entity(_module(tmp_path, "      list:\n        card: {badge: state, fields: [day, amount]}\n"))
    assert card_layout(entity, _all(entity) - {"amount", "state", "code"}) == ListCard(None, None, ("day",))


@pytest.mark.parametrize(("views", "where", "message"), [
    ("      list:\n        card: [day, amout]\n", (16, 21),
     "card field 'amout' is not a field (did you mean 'amount'?)"),
    ("      list:\n        card: {title: cod, fields: [day]}\n", (16, 23),
     "card field 'cod' is not a field (did you mean 'code'?)"),
    ("      list:\n        card: {badge: day}\n", (16, 23),
     "card badge 'day' is a date field, not an enum (or 'status')"),
    ("      list:\n        card: {fields: [lines]}\n", (16, 25),
     "card field 'lines' is a table; a card shows one value per line"),
])
def test_a_card_naming_no_field_it_can_show_is_a_problem_at_its_position(
        tmp_path: Path, views: str, where: tuple[int, int], message: str) -> None:
    [problem] = validate_paths([_module(tmp_path, views)])
    assert ((problem.line, problem.column), problem.message) == (where, message)


def test_a_card_of_more_than_four_fields_is_refused_by_the_schema(tmp_path: Path) -> None:
    folder = _module(tmp_path, "      list:\n        card: [code, day, amount, state, note]\n")
    problems = validate_paths([folder])
    assert problems and all(p.line == 16 for p in problems)
