"""The message catalogs (engine/locale) are complete and current: CI fails while a code has no Chinese text.

Each code of the engine's code tables needs a zh_CN entry that is neither empty nor fuzzy and fills
`{placeholders}` of its English template only; the checked-in template (messages.pot) must be what
`make messages` extracts today. A failure names the codes, so whoever merges knows what to translate (or to move: texts
written beside the catalog in web/ui/<branch>_text.py dicts join error_text.ZH until `make messages` moves them).
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest

from engine.core import catalogs
from engine.core.error_codes import MESSAGES
from web.ui.error_text import ZH

ROOT = Path(__file__).resolve().parents[2]


def _entries(locale: str) -> dict[str, Any]:
    return {str(m.context): m for m in catalogs.read(catalogs.po_path(locale), locale) if m.id and m.context}


def test_every_code_has_a_chinese_text() -> None:
    entries = _entries("zh_CN")
    missing = sorted(code for code in MESSAGES if code not in entries or not entries[code].string)
    fuzzy = sorted(code for code in MESSAGES if code in entries and entries[code].string and entries[code].fuzzy)
    pending = sorted(code for code in missing if code in ZH)
    assert (missing, fuzzy) == ([], []), (
        f"codes without a Chinese text in {catalogs.po_path('zh_CN').relative_to(ROOT)}: {missing}; fuzzy (their "
        f"English changed, check the text and drop the fuzzy flag): {fuzzy}. Run `make messages` (it moves the "
        f"texts waiting in web.ui.error_text.ZH into the catalog: {pending}), then write the rest.")


def test_every_chinese_text_fills_only_placeholders_of_its_english_template() -> None:
    """A Chinese text may leave a placeholder out (a record's or a task's id where the reader knows which one they
    acted on), never name one the English does not have."""
    entries = _entries("zh_CN")
    differ = {code: (MESSAGES[code], str(entries[code].string)) for code in MESSAGES
              if code in entries and entries[code].string
              and not catalogs.placeholders(str(entries[code].string)) <= catalogs.placeholders(MESSAGES[code])}
    assert differ == {}


# Codes an end user meets while working on a record or a task: their Chinese never shows its id (a UUID).
ID_FREE = ("task_not_found", "not_submittable", "task_already_done", "task_not_yours", "approval_not_running",
           "task_not_offered", "task_not_delegable", "not_under_review", "withdraw_after_action",
           "already_under_review", "record_not_editable", "record_not_deletable", "record_append_only",
           "record_read_only_when", "version_conflict", "task_project_members_only", "admin_not_approver",
           "task_waiting_signers", "remind_not_submitter", "in_parent_record", "record_not_found", "missing_ref",
           "missing_any_ref", "file_missing", "file_not_found", "process_task_not_found")


def test_what_an_end_user_meets_in_chinese_names_no_id() -> None:
    entries = _entries("zh_CN")
    named = {code: str(entries[code].string) for code in ID_FREE
             if catalogs.placeholders(str(entries[code].string)) & {"id", "task_id", "record_id", "file_id"}}
    assert named == {}


def test_the_english_catalog_restates_every_template() -> None:
    entries = _entries("en")
    assert {code: english for code, english in MESSAGES.items()
            if code not in entries or entries[code].string != english} == {}


def test_the_checked_in_template_is_what_make_messages_extracts() -> None:
    extracted = [(m.context, m.id) for m in catalogs.extract() if m.id]
    checked_in = [(m.context, m.id) for m in catalogs.read(catalogs.template_path()) if m.id]
    assert checked_in == extracted, "engine/locale/messages.pot is stale: run `make messages` and commit the catalogs"


def test_the_catalogs_hold_no_code_the_tables_dropped() -> None:
    for locale in catalogs.LOCALES.values():
        assert sorted(set(_entries(locale)) - set(MESSAGES)) == [], f"{locale}: run `make messages`"


def test_make_messages_is_documented() -> None:
    assert "messages:" in (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make messages" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make messages" in (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")


def _sample(name: str, spec: str) -> Any:
    """A value for one placeholder: a number where the template formats one, else a short text."""
    return 1.5 if spec and spec[-1] in "gfe%" else 3 if spec and spec[-1] in "dn" else f"<{name}>"


@pytest.mark.parametrize("locale", sorted(catalogs.LOCALES.values()))
def test_every_template_renders_with_its_params(locale: str) -> None:
    failed = {}
    for code, text in catalogs.texts(locale).items():
        fields = [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(text) if name]
        params = {name: _sample(name, spec) for name, spec in fields}
        try:
            rendered = text.format(**params)
        except (KeyError, IndexError, ValueError) as error:
            failed[code] = repr(error)
            continue
        if not rendered.strip():
            failed[code] = "renders empty"
    assert failed == {}


def test_the_catalog_is_read_from_its_files() -> None:
    assert catalogs.template("required", "zh") == "必填"
    assert catalogs.template("required", "en") == "is required"
    assert catalogs.template("no_such_code", "zh") is None and catalogs.template("required", "fr") is None
