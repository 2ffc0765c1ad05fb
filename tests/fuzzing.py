"""Schemathesis over the API's OpenAPI document: bounded examples of every operation, valid and invalid,
and the server errors and undocumented statuses they meet (tests/api/test_fuzz.py, bench/fuzz.py)."""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import hypothesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

CHECKS = [not_a_server_error, status_code_conformance]
Headers = Callable[[APIOperation], dict[str, str]]
# Operations that end the token they are sent with: each call gets a token of its own, or every later request
# would answer 401 and test nothing.
TOKEN_ENDING = frozenset({("DELETE", "/auth/token"), ("POST", "/auth/refresh")})


def ends_its_token(operation: APIOperation) -> bool:
    return (operation.method.upper(), operation.path) in TOKEN_ENDING


@dataclass(frozen=True)
class Finding:
    """One failed check: the operation, the status answered and the request that got it."""

    operation: str
    status: int
    problem: str
    request: str

    def __str__(self) -> str:
        return f"{self.operation} -> {self.status}: {self.problem}\n    {self.request}"


@dataclass
class Report:
    calls: Counter[str] = field(default_factory=Counter)       # operation -> requests sent
    statuses: Counter[int] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        lines = [f"{sum(self.calls.values())} requests over {len(self.calls)} operations in {self.seconds:.1f} s",
                 "statuses: " + ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())),
                 f"server errors: {sum(1 for f in self.findings if f.status >= 500)}, "
                 f"undocumented statuses: {sum(1 for f in self.findings if f.status < 500)}"]
        unique = {(f.operation, f.status, f.problem.splitlines()[0]): f for f in self.findings}
        lines += [str(finding) for finding in unique.values()]
        return "\n".join(lines)


def operations(schema: BaseSchema, keep: Callable[[APIOperation], bool] = lambda _: True) -> list[APIOperation]:
    found = [result.ok() for result in schema.get_all_operations()]
    return [operation for operation in found if keep(operation)]


def fuzz(chosen: Iterable[APIOperation], headers: Headers, examples: int, *,
         modes: Iterable[GenerationMode] = tuple(GenerationMode), base_url: str | None = None,
         seconds: float | None = None) -> Report:
    """Send `examples` generated requests per operation and mode; collect what the checks find. With `seconds`,
    no further operation starts once that much time has passed (the report says how many were run)."""
    report = Report()
    started = time.perf_counter()
    for operation in chosen:
        if seconds is not None and time.perf_counter() - started > seconds:
            break
        for mode in modes:
            _run(operation, mode, headers, examples, base_url, report)
    report.seconds = time.perf_counter() - started
    return report


def _run(operation: APIOperation, mode: GenerationMode, headers: Headers, examples: int, base_url: str | None,
         report: Report) -> None:
    @hypothesis.settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                         phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: Case) -> None:
        sent = headers(operation)
        response = case.call(base_url=base_url, headers=sent)
        report.calls[operation.label] += 1
        report.statuses[response.status_code] += 1
        failures: tuple[Failure, ...] = ()
        try:
            case.validate_response(response, checks=CHECKS, headers=sent)
        except FailureGroup as group:
            failures = group.exceptions
        except Failure as failure:
            failures = (failure,)
        request = response.request
        body = request.body[:300] if isinstance(request.body, bytes | str) else request.body
        report.findings += [Finding(operation.label, response.status_code, failure.title or type(failure).__name__,
                                    f"{request.method} {request.url} {body!r} -> {response.text[:300]}")
                            for failure in failures]

    one()
