"""The message catalogs: every message code of engine/core/error_codes.py in zh_CN and en, as gettext PO files.

One entry per code: `msgctxt` is the code, `msgid` its English template, `msgstr` the text in the catalog's
language, with the English template's `{placeholders}` or some of them (str.format).
engine/locale/messages.pot is extracted from the code tables by `make messages`, which also updates the PO
files and keeps their translations (an entry whose English changed keeps its old text marked fuzzy, and fuzzy
texts are not used). The PO files are read once at run time: nothing to compile, so a fresh clone works as it
is.
"""
from __future__ import annotations

import io
import string
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from engine.core.error_codes import MESSAGES

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LOCALES = {"zh": "zh_CN", "en": "en"}  # the page's language -> the catalog's locale
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)  # fixed header dates: an extraction changes only what changed


def template_path() -> Path:
    return LOCALE_DIR / f"{DOMAIN}.pot"


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def _catalog(locale: str | None) -> Catalog:
    return Catalog(locale=locale, domain=DOMAIN, project="Formwork", version="1", charset="utf-8",
                   creation_date=_FIXED_DATE, revision_date=_FIXED_DATE, fuzzy=False,
                   msgid_bugs_address="Formwork", last_translator="Formwork", language_team="Formwork",
                   copyright_holder="", header_comment="# Formwork's message catalog: "
                   "one entry per engine message code (msgctxt). Extracted by `make messages`.")


def extract(messages: Mapping[str, str] = MESSAGES) -> Catalog:
    """The template: one entry per code, in the order of the code tables."""
    catalog = _catalog(None)
    for code, english in messages.items():
        catalog.add(english, context=code)
    return catalog


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def render(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, omit_header=False, ignore_obsolete=True)
    return buffer.getvalue()


def merged(template: Catalog, old: Catalog | None, locale: str, pending: Mapping[str, str]) -> Catalog:
    """The PO of `locale` for `template`: each code keeps its text; a text whose English changed is kept fuzzy;
    a code without text takes `pending`'s (texts written beside the code while the catalog was elsewhere);
    the English catalog restates the template."""
    previous = {message.context: message for message in old or () if message.id and message.context}
    catalog = _catalog(locale)
    for entry in template:
        if not entry.id:
            continue
        code, english = str(entry.context), str(entry.id)
        if locale == "en":
            catalog.add(english, english, context=code)
            continue
        before = previous.get(code)
        text = str(before.string) if before is not None and before.string else ""
        fuzzy = bool(text) and (before is not None and (before.fuzzy or before.id != english))
        if not text and pending.get(code):
            text, fuzzy = pending[code], False
        catalog.add(english, text, context=code, flags=("fuzzy",) if fuzzy else ())
    return catalog


def update(pending: Mapping[str, str] = {}) -> list[Path]:
    """`make messages`: write the template and update each PO file; the files written."""
    template = extract()
    written = [template_path()]
    LOCALE_DIR.mkdir(exist_ok=True)
    template_path().write_bytes(render(template))
    for locale in LOCALES.values():
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        old = read(path, locale) if path.exists() else None
        path.write_bytes(render(merged(template, old, locale, pending if locale == "zh_CN" else {})))
        written.append(path)
    return written


@cache
def texts(locale: str) -> dict[str, str]:
    """Code -> template of the catalog, without empty or fuzzy entries (read once per process)."""
    path = po_path(locale)
    if not path.exists():
        return {}
    return {str(m.context): str(m.string) for m in read(path, locale)
            if m.id and m.context and m.string and not m.fuzzy}


def template(code: str, language: str) -> str | None:
    """The template of `code` in the page language `language` ('zh' or 'en'); None when the catalog has none."""
    locale = LOCALES.get(language)
    return texts(locale).get(code) if locale else None


def placeholders(text: str) -> set[str]:
    """The names a template fills: `{value!r}` and `{value}` both name `value`."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
