"""Nothing raw in front of a person: the demo's users, in Chinese, walk every page they can reach by links
from the dashboard, and no page shows a UUID, an enum key, a dotted key, a regular expression or an English
sentence. On failure each finding names the page and the snippet."""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from flask import Flask

from app import create_app
from demo.data import DEMO_PASSWORD, DEMO_TENANT, DEMO_USERS
from engine.runtime import Formwork
from tests.demo_copy import demo_engine
from tests.web.conftest import Visitor, sign_in

USERS = ["admin", "pm", "site", "crew1", "alice", "finance"]
PAGES_PER_USER = 200
SKIPPED = re.compile(r"^/(logout|language|static/|files/|api/|welcome/|designer)|/pdf$|/export|/import"
                     r"|\.(pdf|xlsx|csv)$")
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
DOTTED = re.compile(r"(?<![\w./@-])[a-z][a-z0-9]*_?[a-z0-9_]*\.[a-z][a-z0-9_]*(?![\w./@-])")
REGEX = re.compile(r"\\[dwsDWS]|\[\^?[\w-]+\]\{?|\(\?[:=!P<]|\^\[|\$\)|\{\d+,\d*\}")
TIME = re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d|[+Z])")   # shown: 2026-12-06 14:30, local
ENGLISH = re.compile(r"\b[A-Za-z][a-z']+(?:[ ,]+[A-Za-z][a-z']+){2,}\b")
LOGIN = re.compile(r" \((?:" + "|".join(DEMO_USERS) + r")\)")
KEPT_WORDS: set[str] = {  # words that are neither keys nor English sentences (product names, units)
    "Formwork",
}
ALLOWED: list[str] = [
    "英文键 ",   # the cost account's 英文键 is a text field people type (labor, day_labor): data, not a key
]


class Visible(HTMLParser):
    """The text a person sees (and hovers): text nodes outside scripts and styles, titles and placeholders."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("script", "style", "template"):
            self.skipping += 1
        for name in ("title", "placeholder", "aria-label", "alt"):
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "a" and values.get("href") and "download" not in values:
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def enum_keys(engine: Formwork) -> set[str]:
    """Option keys of every installed module's enum fields that differ from their labels and are not words
    people read anyway (a key also found in a label, as 'A' or 'BIM' might be, or a number such as a tax rate)."""
    keys: set[str] = set()
    label_words: set[str] = set()
    for module in engine.catalog.modules().values():
        for entity in module.entities.values():
            fields = list(entity.fields.values())
            fields += [child for spec in fields for child in spec.fields.values()]
            for spec in fields:
                for text in (spec.label.get("zh"), *(o.get("zh") for o in spec.options.values())):
                    label_words.update(re.findall(r"[A-Za-z_]\w*", text or ""))
                if spec.type in ("enum", "multi_enum"):
                    keys.update(key for key, label in spec.options.items() if key not in (label.get("zh"),))
    return {key for key in keys if key not in label_words and len(key) > 1 and not re.fullmatch(r"[\d.]+", key)}


def findings(text: str, keys: re.Pattern[str]) -> list[str]:
    text = LOGIN.sub("", text)  # "王经理 (pm)": a login beside its name tells two namesakes apart
    found: list[str] = []
    for kind, pattern in (("uuid", UUID), ("enum key", keys), ("dotted key", DOTTED), ("regex", REGEX),
                          ("utc time", TIME), ("english", ENGLISH)):
        for match in pattern.finditer(text):
            snippet = text[max(0, match.start() - 30):match.end() + 30].replace("\n", " ")
            if any(allowed in snippet for allowed in ALLOWED):
                continue
            if kind == "english" and all(word in KEPT_WORDS for word in re.findall(r"\w+", match.group())):
                continue
            found.append(f"{kind}: {match.group()!r} in …{snippet}…")
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, re.Pattern[str]]]:
    """The demo tenant on a fresh SQLite database, built once for every user's walk."""
    engine = demo_engine(tmp_path_factory)
    keys = sorted(enum_keys(engine), key=len, reverse=True)
    pattern = re.compile(r"(?<![\w./-])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w/-])")
    yield create_app(engine, TESTING=True, SECRET_KEY="nothing-raw"), pattern


def walk(visitor: Visitor, keys: re.Pattern[str]) -> dict[str, list[str]]:
    """Breadth first from the dashboard over same-site GET links; the findings per page."""
    queue, seen, problems = deque(["/"]), {"/"}, {}
    shapes: dict[str, int] = {}
    visited = 0
    while queue and visited < PAGES_PER_USER:
        path = queue.popleft()
        response = visitor.get(path)
        if response.status_code >= 500:
            problems[path] = [f"status {response.status_code}"]
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        visited += 1
        parser = Visible()
        parser.feed(response.get_data(as_text=True))
        found = findings("\n".join(parser.parts), keys)
        if found:
            problems[path] = found
        for href in parser.links:
            target = urlsplit(urljoin(path, href))
            if target.scheme or target.netloc or SKIPPED.search(target.path):
                continue
            if target.query and set(parse_qs(target.query)) <= {"sort", "page"}:  # the same rows, ordered again
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            shape = UUID.sub("<id>", target.path) + ("?" if target.query else "")
            enough = 1 if target.query else 2  # two records of a kind tell what a third would; one filter
            if link in seen or shapes.get(shape, 0) >= enough:
                continue
            shapes[shape] = shapes.get(shape, 0) + 1
            seen.add(link)
            queue.append(link)
    return problems


@pytest.mark.parametrize("username", USERS)
def test_no_page_shows_a_raw_key_id_or_english_to_a_chinese_reader(demo: tuple[Flask, re.Pattern[str]],
                                                                    username: str) -> None:
    app, keys = demo
    visitor = sign_in(app.test_client(), DEMO_TENANT, username, language="zh", password=DEMO_PASSWORD)
    problems = walk(visitor, keys)
    report = "\n".join(f"{path}\n    " + "\n    ".join(found[:12]) for path, found in problems.items())
    assert not problems, f"{username} saw raw text on {len(problems)} pages:\n{report}"
