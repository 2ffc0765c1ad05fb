"""A ref to any entity (`{type: ref, entity: any}`): a payment request's source documents name records of any
enabled entity by id; an id that names no live record is refused."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.declarations.loader import validate_paths
from tests.conftest import errors_of
from tests.modules.helpers_finance import post
from tests.modules.test_funds import plan_with_line, request_body, world  # noqa: F401 - `world` is a fixture


def test_source_documents_refer_to_records_of_any_entity(world: dict[str, Any]) -> None:  # noqa: F811
    cost = world["users"]["cost"]
    plan, _line = plan_with_line(world)
    body = request_body(world, "250000.00")
    body["source_docs"][0]["source_doc"] = plan["id"]                     # a funds record
    body["source_docs"].append({"source_type": "other", "source_no": "HT", "source_doc": world["material"]["id"]})
    request = post(cost, "funds", "payment_request", body)                  # ... and a base contract
    assert [row.get("source_doc") for row in request["data"]["source_docs"]] == [plan["id"], world["material"]["id"]]
    body.update(doc_no="FK-002")
    body["source_docs"][1]["source_doc"] = "00000000-0000-0000-0000-000000000000"
    assert errors_of(cost.post("/records/funds/payment_request", body)) == {
        "source_docs[1].source_doc": "refers to record '00000000-0000-0000-0000-000000000000', which does not exist"}


def test_a_ref_to_any_entity_has_no_fields_to_read(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "module.yaml").write_text(
        "module: m\nversion: 1.0.0\ntitle: M\nentities:\n  e:\n    fields:\n"
        "      source: {type: ref, entity: any}\n"
        "      name: {type: text, formula: \"source.doc_no\"}\n"
        "      has_source: {type: boolean, formula: \"source != null\"}\n", encoding="utf-8")
    assert [p.message for p in validate_paths([folder])] == ["formula of 'name': unknown field 'doc_no' of 'source'"]
