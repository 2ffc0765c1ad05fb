"""Positioned loading of declaration files: data shape, positions, problems instead of exceptions."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.declarations.source import ScalarStyle, load_source, load_source_text

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

NESTED = """\
module: expense
entities:
  claim:
    fields:
      amount: {type: money, formula: "qty * price"}
      lines:
        type: table
        fields:
          qty: {type: decimal}
    rules:
      - assert: "date <= today()"
        message: {en: Not in the future}
"""


def _column_of(text: str, line: int, fragment: str) -> int:
    return text.splitlines()[line - 1].index(fragment) + 1


def test_positions_of_nested_values_and_keys() -> None:
    source = load_source_text(NESTED, "m.yaml")
    formula = ("entities", "claim", "fields", "amount", "formula")
    assert source.problems == []
    assert source.position(formula) == (5, _column_of(NESTED, 5, '"qty'))
    assert source.position(formula, key=True) == (5, _column_of(NESTED, 5, "formula"))
    assert source.position(("entities", "claim", "fields", "lines", "fields", "qty"), key=True) == (9, 11)
    assert source.position(("entities", "claim", "fields", "lines", "type")) == (7, 15)
    assert source.position(("module",)) == (1, 9)
    assert source.position(("module",), key=True) == (1, 1)


def test_positions_of_list_items() -> None:
    source = load_source_text(NESTED, "m.yaml")
    rule = ("entities", "claim", "rules", 0)
    assert source.position((*rule, "assert")) == (11, 17)
    assert source.position((*rule, "message", "en")) == (12, 23)
    assert source.position(rule, key=True) == (11, 9)  # an item has no key: its own position


def test_position_falls_back_to_nearest_ancestor() -> None:
    source = load_source_text(NESTED, "m.yaml")
    assert source.position(("entities", "claim", "fields", "amount", "scale")) == source.position(
        ("entities", "claim", "fields", "amount"))
    assert source.position(("nothing", "here"), key=True) == (1, 1)


def test_scalar_styles_are_recorded() -> None:
    text = "a: plain\nb: 'single'\nc: \"double\"\nd: |\n  literal\ne: >\n  folded\nf: {x: 1}\n"
    source = load_source_text(text, "m.yaml")
    assert [source.style((key,)) for key in "abcdef"] == [
        ScalarStyle.PLAIN, ScalarStyle.SINGLE_QUOTED, ScalarStyle.DOUBLE_QUOTED,
        ScalarStyle.LITERAL, ScalarStyle.FOLDED, None]


@pytest.mark.parametrize(("line_text", "offset", "expected_char"), [
    ("f: qty * price", 4, "*"),
    ("f: 'qty * price'", 4, "*"),
    ("f: \"qty * price\"", 6, "p"),
    ("f: 'it''s * price'", 5, "*"),
    ("f: \"a\\tb * c\"", 4, "*"),
    ("f: \"\\u00e9 * c\"", 2, "*"),
])
def test_position_in_single_line_scalar(line_text: str, offset: int, expected_char: str) -> None:
    source = load_source_text(f"x: 1\n{line_text}\n", "m.yaml")
    line, column = source.position_in_scalar(("f",), offset)
    assert line == 2
    assert line_text[column - 1] == expected_char


def test_position_in_scalar_at_end_points_after_last_character() -> None:
    source = load_source_text('f: "ab"\n', "m.yaml")
    assert source.position_in_scalar(("f",), 2) == (1, 7)  # the closing quote
    assert source.position_in_scalar(("f",), 99) == (1, 7)


def test_position_in_literal_block_scalar() -> None:
    text = "rules:\n  - assert: |\n      if(a > 1,\n         b, c)\n"
    source = load_source_text(text, "m.yaml")
    path = ("rules", 0, "assert")
    assert source.data["rules"][0]["assert"] == "if(a > 1,\n   b, c)\n"
    assert source.position_in_scalar(path, 0) == (3, 7)
    assert source.position_in_scalar(path, source.data["rules"][0]["assert"].index("c")) == (4, 13)


def test_position_in_folded_and_multiline_plain_scalars() -> None:
    text = "a: >-\n  x and\n  y\nb: one\n  two\n"
    source = load_source_text(text, "m.yaml")
    assert source.data == {"a": "x and y", "b": "one two"}
    assert source.position_in_scalar(("a",), 6) == (3, 3)
    assert source.position_in_scalar(("b",), 4) == (5, 3)


def test_position_in_scalar_of_a_mapping_is_its_position() -> None:
    source = load_source_text(NESTED, "m.yaml")
    assert source.position_in_scalar(("entities", "claim"), 3) == source.position(("entities", "claim"))


def test_decimals_are_exact_and_integers_stay_int() -> None:
    source = load_source_text("a: 5000.50\nb: 5000\nc: 0.1\nd: -1.5e3\ne: '5000.50'\n", "m.yaml")
    assert source.data == {"a": Decimal("5000.50"), "b": 5000, "c": Decimal("0.1"),
                           "d": Decimal("-1.5e3"), "e": "5000.50"}
    assert str(source.data["a"]) == "5000.50"
    assert type(source.data["b"]) is int
    assert not any(isinstance(value, float) for value in source.data.values())


def test_dates_times_and_yaml11_booleans_stay_text() -> None:
    text = "d: 2024-05-01\nt: 2024-05-01T08:00:00Z\ny: yes\no: off\nb: true\nn: ~\n"
    source = load_source_text(text, "m.yaml")
    assert source.data == {"d": "2024-05-01", "t": "2024-05-01T08:00:00Z", "y": "yes", "o": "off",
                           "b": True, "n": None}


def test_keys_are_always_text() -> None:
    source = load_source_text("options:\n  1: one\n  true: yes\n", "m.yaml")
    assert source.data == {"options": {"1": "one", "true": "yes"}}


def test_duplicate_key_reported_with_both_positions() -> None:
    source = load_source(FIXTURES / "broken" / "duplicate_key")
    assert [(p.line, p.column) for p in source.problems] == [(10, 7)]
    message = source.problems[0].message
    assert "duplicate key 'amount'" in message
    assert "line 10, column 7" in message and "line 8, column 7" in message
    assert source.data["entities"]["claim"]["fields"]["amount"] == {"type": "money"}  # the first one wins


def test_duplicate_key_in_json() -> None:
    source = load_source_text('{"a": 1, "a": 2}', "m.json")
    assert [(p.line, p.column) for p in source.problems] == [(1, 10)]


def test_syntax_error_is_a_problem_with_position() -> None:
    source = load_source(FIXTURES / "broken" / "syntax_error")
    assert source.data == {}
    [problem] = source.problems
    assert (problem.line, problem.column) == (9, 11)
    assert problem.message.startswith("YAML syntax error:")
    assert "line 8" in problem.message
    assert problem.file.endswith("syntax_error/module.yaml")


def test_tab_indentation_gets_a_hint() -> None:
    [problem] = load_source_text("a:\n\tb: 1\n", "m.yaml").problems
    assert (problem.line, problem.column) == (2, 1)
    assert "indent with spaces" in problem.message


def test_json_with_tabs_and_no_spaces_loads_with_positions() -> None:
    text = '{\n\t"module":"x",\n\t"n":\t5000.50,\n\t"l": [1,{"a":null}]\n}'
    source = load_source_text(text, "module.json")
    assert source.problems == []
    assert source.data == {"module": "x", "n": Decimal("5000.50"), "l": [1, {"a": None}]}
    assert source.position(("n",)) == (3, 7)
    assert source.position(("module",), key=True) == (2, 2)
    assert source.position(("l", 1, "a")) == (4, 15)
    assert source.text == text


def test_module_json_in_folder_is_found(tmp_path: Path) -> None:
    (tmp_path / "module.json").write_text('{\n\t"module": "x"\n}', encoding="utf-8")
    source = load_source(tmp_path)
    assert source.file == str(tmp_path / "module.json")
    assert source.data == {"module": "x"}
    assert source.position(("module",)) == (2, 12)


def test_folder_without_module_file_is_a_problem(tmp_path: Path) -> None:
    [problem] = load_source(tmp_path).problems
    assert "module.yaml" in problem.message


def test_non_utf8_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "module.yaml"
    path.write_bytes("module: x\nnote: caf\xe9\n".encode("latin-1"))
    source = load_source(path)
    assert source.data == {}
    assert [(p.line, p.column) for p in source.problems] == [(2, 10)]
    assert "UTF-8" in source.problems[0].message
    assert source.file == str(path)


def test_byte_order_mark_and_crlf_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "module.yaml"
    path.write_bytes("\ufeffmodule: x\r\nversion: 1.0.0\r\n".encode())
    source = load_source(path)
    assert source.problems == []
    assert source.position(("version",)) == (2, 10)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_file_is_a_problem(text: str) -> None:
    source = load_source_text(text, "m.yaml")
    assert source.data == {}
    assert [p.message for p in source.problems] == [
        "the file is empty; a declaration is a mapping of keys such as 'module: expense'"]


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", "the value 'hello'")])
def test_top_level_must_be_a_mapping(text: str, kind: str) -> None:
    source = load_source_text(text, "m.yaml")
    assert source.data == {}
    assert source.problems[0].message.endswith(f"not {kind}")


def test_unsupported_tags_are_problems_not_objects() -> None:
    source = load_source_text("a: !!python/object:os.system x\nb: !!str 5\n", "m.yaml")
    assert source.data == {"a": "x", "b": "5"}
    assert [(p.line, p.column) for p in source.problems] == [(1, 4)]
    assert "'!!python/object:os.system'" in source.problems[0].message


def test_alias_bomb_is_cut_off() -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]" for a, b in zip("abcdef", "bcdefg", strict=True)]
    source = load_source_text("\n".join(rows), "m.yaml")
    assert any("expands to more than" in p.message for p in source.problems)


def test_anchors_and_merge_keys_work() -> None:
    source = load_source_text("base: &b {x: 1, y: 2}\nmerged: {<<: *b, y: 3}\n", "m.yaml")
    assert source.problems == []
    assert source.data["merged"] == {"x": 1, "y": 3}
