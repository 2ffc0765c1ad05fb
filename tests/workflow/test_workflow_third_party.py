"""BPMN files written by others (Camunda, bpmn.io, the BPMN MIWG suite, SpiffWorkflow's own tests).

Each one either loads and runs (to a waiting or completed state), or is refused with problems that
name the file and a line in it. Nothing may raise. Roles are permissive (every lane and candidate
group counts as declared), since the files were not written for a Formwork module.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from engine.formula import Environment
from engine.workflow import ProcessFailed, ProcessRun, ProcessSpec, ScriptContext, load_processes

# BPMN files written by others, kept verbatim with their sources and licences (NOTICE.md, MANIFEST.tsv there);
# the variable points elsewhere.
VENDORED = Path(__file__).resolve().parents[1] / "fixtures" / "third_party_bpmn"
FOLDER = Path(os.environ.get("FORMWORK_THIRD_PARTY_BPMN", str(VENDORED)))
PATHS = sorted(FOLDER.glob("*.bpmn"))
# Files a module ships together: a call activity needs its callee.
COMPANIONS = {"camunda_tenant_main-process_callActivity.bpmn": ("camunda_tenant_sub-process.bpmn",)}
CTX = ScriptContext()
IN_CI = os.environ.get("CI", "").lower() == "true"
pytestmark = pytest.mark.skipif(not PATHS and not IN_CI, reason=f"no third-party BPMN files in {FOLDER}")


def test_the_third_party_files_are_there() -> None:
    assert len(PATHS) >= 50, f"expected the shared BPMN files in {FOLDER}"


def read(path: Path) -> str:
    # Undecodable bytes travel as surrogates, so the loader reports them at their line.
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def permissive_roles(texts: list[str]) -> set[str]:
    roles: set[str] = set()
    for text in texts:
        roles.update(re.findall(r'<(?:\w+:)?lane\b[^>]*\bname="([^"]+)"', text))
        for groups in re.findall(r'candidateGroups="([^"]*)"', text):
            roles.update(g.strip() for g in groups.split(",") if g.strip())
    return roles


def load(path: Path) -> tuple[ProcessSpec | None, list, dict[str, str]]:  # type: ignore[type-arg]
    module = {path.name: read(path)}
    for companion in COMPANIONS.get(path.name, ()):
        module[companion] = read(FOLDER / companion)
    process, problems = load_processes(
        module, path.name, origin="third_party", roles=permissive_roles(list(module.values())),
        environment=Environment(fields={}), params={},
    )
    return process, problems, module


def drive(run: ProcessRun, steps: int = 40) -> ProcessRun:
    """Approve whatever is open, storing the run between steps, until it completes or waits."""
    for _ in range(steps):
        open_tasks = run.open_tasks()
        if run.is_completed or not open_tasks:
            break
        run.complete(open_tasks[0].id, decision="approve", comment="ok", actor="tester")
        run = ProcessRun.restore(run.process, json.loads(json.dumps(run.dump())), engine=CTX)
    return run


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_third_party_file_runs_or_is_refused_with_located_problems(path: Path) -> None:
    process, problems, module = load(path)
    if process is None:
        assert problems, "a refused file must say why"
        for problem in problems:
            name = problem.file.removeprefix("third_party/")
            assert name in module, problem
            assert 1 <= problem.line <= module[name].count("\n") + 1, problem
            assert problem.message and "\n" not in problem.message
        return
    assert problems == []
    try:
        run = drive(ProcessRun.start(process, {"submitter": "ann"}, engine=CTX))
    except ProcessFailed as failure:  # a clear runtime error on missing data is acceptable, a crash is not
        pytest.fail(f"{path.name} loaded but failed: {failure}")
    assert run.is_completed or run.open_tasks() or run.next_timer_at() is not None
    assert isinstance(run.data, dict)


@pytest.mark.parametrize("path", [p for p in PATHS if p.name.startswith("bad_")], ids=lambda p: p.name)
def test_bad_files_are_refused(path: Path) -> None:
    process, problems, _ = load(path)
    assert process is None and problems


def test_malformed_xml_is_reported_at_its_line() -> None:
    path = FOLDER / "bad_miwg_GenMyModel_C.1.1-export_not-utf8.bpmn"
    _, problems, _ = load(path)
    assert [(p.file, p.line) for p in problems] == [(f"third_party/{path.name}", 26)]
    assert "malformed XML" in problems[0].message


def test_problems_name_the_element() -> None:
    _, problems, _ = load(FOLDER / "camunda_TwitterDemoProcess.bpmn")
    messages = [p.message for p in problems]
    assert any(m.startswith("service task 'service_task_send_rejection_notification': service tasks run plugin")
               for m in messages)
    # `approved` may be set by those (unknown) service tasks, so its condition is not blamed twice
    assert not any("unknown field 'approved'" in m for m in messages)
    assert any(m.startswith("user task 'user_task_review_tweet': assignee 'demo' names no field") for m in messages)


def test_some_third_party_files_load_and_run() -> None:
    loaded = [path.name for path in PATHS if load(path)[0] is not None]
    assert "camunda7perf_ExclusiveGatewayPerformanceTest.sync5gateways.bpmn" in loaded  # JUEL ${true}/${false}
    assert "spiff_timer.bpmn" in loaded
