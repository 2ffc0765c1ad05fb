"""A closed-loop load generator cheap enough to share two cores with the server and the database.

Each client is one forked process with one keep-alive connection (http.client) that sends its own list of
requests, prepared (bodies serialised) before the start, one after the other. All clients start together; the
throughput is the requests of all of them over the time from the start to the last answer, the latency the
median of every request. The clients' own CPU time is returned too, so the table can show what they cost.
(`wrk` would be cheaper still, but it runs for a duration, and an approval task can be completed only once:
a fixed list of requests per client serves both kinds of run.)
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import resource
import statistics
import time
from dataclasses import dataclass
from typing import Any

Request = tuple[str, str, bytes]  # method, path, body


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    client_cpu: float  # the clients' CPU seconds
    errors: int
    server_cpu: float = 0.0  # the server's workers' CPU seconds, when the caller measured them
    busiest_worker: float = 1.0  # the share of that CPU time the busiest worker used

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """The server's CPU time per request."""
        return self.server_cpu * 1000 / self.requests


def body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


def _client(port: int, token: str, requests: list[Request], barrier: Any, out: Any) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.connect()
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    latencies, errors = [], []
    barrier.wait()
    started = time.perf_counter()
    for method, path, payload in requests:
        sent = time.perf_counter()
        connection.request(method, path, payload, headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - sent)
        if response.status >= 300:
            errors.append(f"{response.status} {path} {answer[:300]!r}")
    ended = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)  # this process's own, to the microsecond
    out.put((started, ended, latencies, errors, cpu.ru_utime + cpu.ru_stime))


def run(port: int, clients: list[tuple[str, list[Request]]]) -> Result:
    """Run every client's (token, requests) at once; each is one process with one connection."""
    context = multiprocessing.get_context("fork")
    barrier, out = context.Barrier(len(clients)), context.Queue()
    processes = [context.Process(target=_client, args=(port, token, requests, barrier, out))
                 for token, requests in clients]
    for process in processes:
        process.start()
    reports = [out.get() for _ in processes]
    for process in processes:
        process.join()
    errors = [error for report in reports for error in report[3]]
    if errors:
        print(f"  {len(errors)} failed requests, the first: {errors[0]}")
    latencies = sorted(latency for report in reports for latency in report[2])
    return Result(requests=len(latencies), seconds=max(r[1] for r in reports) - min(r[0] for r in reports),
                  p50_ms=statistics.median(latencies) * 1000,
                  p95_ms=statistics.quantiles(latencies, n=20)[-1] * 1000 if len(latencies) > 1 else 0.0,
                  client_cpu=sum(r[4] for r in reports), errors=len(errors))
