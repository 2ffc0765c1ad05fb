"""Tenants' regular expressions (a field's `pattern`) run on RE2: linear time, and what RE2 refuses never loads."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from engine.core.patterns import InvalidPattern, check_pattern, fullmatches
from engine.declarations.loader import validate_paths
from engine.runtime import Formwork
from tests.conftest import Api, add_user, login

EVIL = "(a+)+$"          # exponential on Python's backtracking `re`
ATTACK = "a" * 39 + "!"  # 40 characters: 2^39 backtracking steps there


def pattern_overlay(pattern: str) -> str:
    return ("overlay: base\nbase_version: 1.6.0\nentities:\n  trade:\n    fields:\n"
            f"      trade_name: {{pattern: '{pattern}'}}\n")


@pytest.fixture
def administrator(engine: Formwork, tenant: str, client: FlaskClient) -> Api:
    add_user(engine, tenant, "boss", "admin")
    return login(client, tenant, "boss")


def test_a_catastrophic_pattern_in_a_published_overlay_answers_at_once(administrator: Api) -> None:
    published = administrator.post("/designer/base/publish", {"overlay": pattern_overlay(EVIL)})
    assert published.status_code == 200, published.get_json()
    started = time.monotonic()
    saved = administrator.post("/records/base/trade", {"trade_key": "evil", "trade_name": ATTACK,
                                                       "skill_level": "skilled", "guide_price": "300"})
    assert time.monotonic() - started < 2
    assert saved.status_code == 422, saved.get_json()
    said = {e["field"]: e["message"] for e in saved.get_json()["errors"]}
    assert said == {"trade_name": "has the wrong format, e.g. a"}
    assert EVIL not in saved.get_data(as_text=True)                # users never see the raw pattern
    fine = administrator.post("/records/base/trade", {"trade_key": "aaa", "trade_name": "aaa",
                                                      "skill_level": "skilled", "guide_price": "300"})
    assert fine.status_code == 201, fine.get_json()


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(a)\1", r"backreferences such as \1 are not supported"),
    ("(?=a)a", "lookahead and lookbehind"),
])
def test_a_pattern_re2_cannot_run_is_refused_at_dry_run_and_publish(administrator: Api, pattern: str,
                                                                     reason: str) -> None:
    for step in ("validate", "dryrun", "publish"):
        response = administrator.post(f"/designer/base/{step}", {"overlay": pattern_overlay(pattern)})
        problems = (response.get_json()["problems"] if step == "validate"
                    else response.get_json()["error"]["details"])
        assert step == "validate" or response.status_code == 422, response.get_json()
        [problem] = problems
        assert problem["text"].startswith("overlay.yaml:6:29: pattern of 'trade_name' cannot be used: ")
        assert reason in problem["text"]
    assert administrator.get("/designer/base").get_json()["version"] == "1.6.0"    # nothing was published


def test_a_module_with_a_pattern_re2_cannot_run_does_not_load(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    fields:\n"
        "      code: {type: text, pattern: '(?P<x>a)(?P=x)'}\n"
        "      rows: {type: table, fields: {part: {type: text, pattern: '(?<!a)b'}}}\n", encoding="utf-8")
    assert [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])] == [
        "module.yaml:7:35: pattern of 'code' cannot be used: named backreferences (?P=name) are not supported "
        "(patterns run on RE2, which matches in linear time)",
        "module.yaml:8:64: pattern of 'part' cannot be used: lookahead and lookbehind (?=, ?!, ?<=, ?<!) are not "
        "supported (patterns run on RE2, which matches in linear time)"]


def test_patterns_match_whole_values_in_linear_time() -> None:
    started = time.monotonic()
    assert not fullmatches(EVIL, "a" * 5000 + "!")
    assert time.monotonic() - started < 1
    assert fullmatches("[0-9]{4}-(0[1-9]|1[0-2])", "2024-05") and not fullmatches("[0-9]{4}", "2024-05")
    assert fullmatches("[\u4e00-\u9fa5]+", "木工") and check_pattern("[a-") is not None
    with pytest.raises(InvalidPattern, match=r"pattern '\(a\)\\\\1' is not supported: backreferences"):
        fullmatches(r"(a)\1", "aa")


def test_a_pattern_may_say_in_its_own_words_what_is_wrong(administrator: Api) -> None:
    overlay = ("overlay: base\nbase_version: 1.6.0\nentities:\n  trade:\n    fields:\n"
               "      trade_name: {pattern: '[a-z]+',\n"
               "                   pattern_message: {zh: 只能填写小写字母, en: lower-case letters only}}\n")
    published = administrator.post("/designer/base/publish", {"overlay": overlay})
    assert published.status_code == 200, published.get_json()
    body = {"trade_key": "t1", "trade_name": "Carpenter", "skill_level": "skilled", "guide_price": "300"}
    english = administrator.post("/records/base/trade", body)
    assert {e["field"]: e["message"] for e in english.get_json()["errors"]} == {"trade_name": "lower-case letters only"}
    chinese = administrator.post("/records/base/trade?lang=zh", body)
    assert {e["field"]: e["message"] for e in chinese.get_json()["errors"]} == {"trade_name": "只能填写小写字母"}
