"""A value that misses its field's pattern reads "格式不正确，例如：…": never the regular expression."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.core.patterns import example, fullmatches
from engine.declarations.loader import validate_paths
from tests.conftest import Api
from tests.overlays.test_tenant_patterns import administrator  # noqa: F401 - the fixture

EXAMPLES = [
    (r"DG-\d{3}", "DG-111"),
    (r"[A-Z]{2}-[0-9]{4}", "AA-1111"),
    (r"(HT|CG)-\d{4}-\d{3}", "HT-1111-111"),
    (r"1[3-9]\d{9}", "13111111111"),
    (r"\w+@\w+\.com", "a@a.com"),
    (r"^[A-Z0-9-]{2,20}$", "AA"),
    (r"(?:ab)?c", "c"),
    (r"[^\d]x", "ax"),
    (r"([0-9]{2}){1,4}", "11"),
]


@pytest.mark.parametrize(("pattern", "sample"), EXAMPLES)
def test_an_example_is_generated_from_the_pattern(pattern: str, sample: str) -> None:
    assert example(pattern) == sample
    assert fullmatches(pattern, sample)


@pytest.mark.parametrize("pattern", [r"a*", r".{50}", r"(a)\1", r"[\x{4e00}-\x{9fa5}]+", "(?=a)a", "\\pN+"])
def test_no_example_when_the_generator_cannot_make_a_fitting_one(pattern: str) -> None:
    assert example(pattern) is None


def _module(folder: Path, field: str) -> Path:
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    fields:\n"
        f"      code: {field}\n", encoding="utf-8")
    return folder


def test_a_declared_example_must_match_its_pattern(tmp_path: Path) -> None:
    folder = _module(tmp_path / "m", "{type: text, pattern: 'DG-[0-9]{3}', pattern_example: 'DG-01'}")
    assert [str(p).replace(str(folder) + "/", "") for p in validate_paths([folder])] == [
        "module.yaml:7:67: pattern_example 'DG-01' of 'code' does not match its pattern 'DG-[0-9]{3}'"]
    fine = _module(tmp_path / "n", "{type: text, pattern: 'DG-[0-9]{3}', pattern_example: 'DG-001'}")
    assert validate_paths([fine]) == []


def example_overlay(pattern: str, declared: str | None = None) -> str:
    extra = f", pattern_example: '{declared}'" if declared else ""
    return ("overlay: base\nbase_version: 1.6.0\nentities:\n  trade:\n    fields:\n"
            f"      trade_name: {{pattern: '{pattern}'{extra}}}\n")


def _saved(api: Api, name: str, language: str) -> dict[str, str]:
    api.headers["Accept-Language"] = language
    response = api.post("/records/base/trade", {"trade_key": "t1", "trade_name": name, "skill_level": "skilled",
                                                "guide_price": "300"})
    assert response.status_code == 422, response.get_json()
    [error] = response.get_json()["errors"]
    assert error["field"] == "trade_name"
    return {"message": error["message"], "code": error["code"], **error["params"], "body": response.get_data(True)}


def test_the_declared_example_is_shown_and_never_the_pattern(administrator: Api) -> None:  # noqa: F811
    pattern = "DG-[0-9]{3}"
    published = administrator.post("/designer/base/publish", {"overlay": example_overlay(pattern, "DG-001")})
    assert published.status_code == 200, published.get_json()
    zh = _saved(administrator, "木工", "zh-CN")
    assert (zh["message"], zh["code"], zh["example"]) == ("格式不正确，例如：DG-001", "pattern_example", "DG-001")
    assert pattern not in zh["body"]
    en = _saved(administrator, "carpenter", "en")
    assert en["message"] == "has the wrong format, e.g. DG-001" and pattern not in en["body"]


def test_without_a_declared_example_one_is_made_from_the_pattern(administrator: Api) -> None:  # noqa: F811
    pattern = "[A-Z]{2}[0-9]{2}"
    published = administrator.post("/designer/base/publish", {"overlay": example_overlay(pattern)})
    assert published.status_code == 200, published.get_json()
    zh = _saved(administrator, "木工", "zh-CN")
    assert zh["message"] == "格式不正确，例如：AA11" and pattern not in zh["body"]
