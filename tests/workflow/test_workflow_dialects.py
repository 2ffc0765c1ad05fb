"""Camunda JUEL and Zeebe FEEL conditions become formula language; ISO timers are recognised."""

from __future__ import annotations

import pytest

from engine.workflow.scripts.dialects import Untranslatable, assignee_name, is_cron, is_iso_timer, to_formula


@pytest.mark.parametrize(("text", "formula"), [
    ("${amount > 1000}", "amount > 1000"),
    ("#{amount >= 1000 && approved}", "amount >= 1000 and approved"),
    ("${a || b}", "a or b"),
    ("#{!approved}", "(not approved)"),
    ("${!(a > 1)}", "not (a > 1)"),
    ("${x eq 'a' and y ne \"b\"}", "x == 'a' and y != \"b\""),
    ("${n gt 1 or n lt 0 or n ge 5 or n le 9}", "n > 1 or n < 0 or n >= 5 or n <= 9"),
    ("${total div 2 mod 3 == 1}", "total / 2 % 3 == 1"),
    ("${empty note}", "(note == null or len(note) == 0)"),
    ("${not empty note}", "not (note == null or len(note) == 0)"),
    ("${true}", "true"),
    ("= amount > 1000", "amount > 1000"),
    ("=decision = \"reject\"", "decision == \"reject\""),
    ("= not(approved)", "not (approved)"),
    ("= a != 1 and b <= 2", "a != 1 and b <= 2"),
    ("total > 5", "total > 5"),
    ("${x == 'a ( b'}", "x == 'a ( b'"),
])
def test_translation(text: str, formula: str) -> None:
    assert to_formula(text) == formula


@pytest.mark.parametrize(("text", "reason"), [
    ("${a ? b : c}", "'?' has no equivalent"),
    ("${execution.getVariable('x')}", "method call execution.getVariable(...)"),
    ("= every r in risks satisfies r = 'ok'", "FEEL 'every' expressions"),
    ("= for x in xs return x", "FEEL 'for' expressions"),
    ("${}", "the expression is empty"),
    ("${empty}", "'empty' must be followed by a variable name"),
])
def test_untranslatable_expressions_say_why(text: str, reason: str) -> None:
    with pytest.raises(Untranslatable, match=reason.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        to_formula(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("PT4H", True), ("P2D", True), ("P1Y2M3DT4H5M6S", True), ("PT0.5S", True), ("P2W", True),
    ("R3/PT1H", True), ("R/P1D", True), ("R2/2026-01-01T09:00:00Z/PT1H", True),
    ("2026-01-01T09:00:00Z", True), ("2026-01-01T09:00:00+08:00", True), ("2026-01-01", True),
    ("P", False), ("PT", False), ("params.x", False), ("'PT4H'", False), ("4H", False),
])
def test_iso_timer_literals(text: str, expected: bool) -> None:
    assert is_iso_timer(text) is expected


def test_cron_is_recognised() -> None:
    assert is_cron("0/5 0/1 * 1/1 * ?") and is_cron("0 0 12 * * ?")
    assert not is_cron("PT4H") and not is_cron("a > 1 and b < 2 or c")


@pytest.mark.parametrize(("text", "name"), [
    ("${initiator}", "submitter"), ("submitter", "submitter"), ("${created_by}", "created_by"),
    ("#{reviewer}", "reviewer"), ("= approver", "approver"), (" created_by ", "created_by"),
])
def test_assignee_names(text: str, name: str) -> None:
    assert assignee_name(text) == name
