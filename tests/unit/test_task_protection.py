"""ECS task scale-in protection (handler/task_protection.py) against a stand-in ECS agent on
loopback, and the worker's use of it: protected while it holds a job, unprotected when idle."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from handler import task_protection, worker
from handler.task_protection import TaskProtection

pytestmark = pytest.mark.unit


@dataclass
class FakeAgent:
    """What the stand-in agent received, and how it answers the next requests."""

    base_url: str = ""
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"protection": {"ProtectionEnabled": True}})
    delay: float = 0.0

    def bodies(self) -> list[dict[str, Any]]:
        return [body for _, _, body in self.requests]


@pytest.fixture
def agent() -> Iterator[FakeAgent]:
    state = FakeAgent()

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            state.requests.append((self.path, self.headers["Content-Type"], body))
            time.sleep(state.delay)
            payload = json.dumps(state.answer).encode()
            try:
                self.send_response(state.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # a slow answer in progress does not hold up the test's end
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/api/task-1234"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_without_ecs_agent_uri_it_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECS_AGENT_URI", raising=False)
    protection = TaskProtection.from_environment()
    protection.hold(True)  # no agent to call: nothing happens, nothing fails
    assert protection.protected is False


def test_protects_while_busy_and_lifts_when_idle(agent: FakeAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECS_AGENT_URI", agent.base_url)
    protection = TaskProtection.from_environment()
    protection.hold(False)  # idle from the start: nothing to lift
    protection.hold(True)
    protection.hold(True)  # already protected: no second call
    assert protection.protected is True
    protection.hold(False)
    protection.hold(False)
    assert protection.protected is False
    assert agent.requests == [
        (
            "/api/task-1234/task-protection/v1/state",
            "application/json",
            {"ProtectionEnabled": True, "ExpiresInMinutes": task_protection.EXPIRES_MINUTES},
        ),
        ("/api/task-1234/task-protection/v1/state", "application/json", {"ProtectionEnabled": False}),
    ]


def test_a_held_protection_is_renewed_at_half_its_lifetime(agent: FakeAgent) -> None:
    clock = Clock()
    protection = TaskProtection(agent.base_url, expires_minutes=10, clock=clock)
    protection.hold(True)
    clock.now += 299
    protection.hold(True)
    assert len(agent.requests) == 1
    clock.now += 1
    protection.hold(True)
    assert agent.bodies() == [{"ProtectionEnabled": True, "ExpiresInMinutes": 10}] * 2


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (500, {"error": {"Code": "ServerException", "Message": "agent trouble"}}),
        (200, {"failure": {"Reason": "TASK_NOT_VALID", "Detail": "not a service task"}}),
    ],
)
def test_a_refusal_is_logged_and_retried_later_never_raised(
    agent: FakeAgent, caplog: pytest.LogCaptureFixture, status: int, answer: dict[str, Any]
) -> None:
    agent.status, agent.answer = status, answer
    clock = Clock()
    protection = TaskProtection(agent.base_url, clock=clock)
    with caplog.at_level(logging.WARNING, logger="handler.task_protection"):
        protection.hold(True)
    assert protection.protected is False
    assert "task scale-in protection not set" in caplog.text
    protection.hold(True)  # the same change again at once: not retried yet
    assert len(agent.requests) == 1
    agent.status, agent.answer = 200, {"protection": {"ProtectionEnabled": True}}
    clock.now += task_protection.RETRY_SECONDS
    protection.hold(True)
    assert protection.protected is True
    assert len(agent.requests) == 2


def test_an_unreachable_or_slow_agent_costs_at_most_the_timeout(
    agent: FakeAgent, caplog: pytest.LogCaptureFixture
) -> None:
    agent.delay = 1.0
    slow = TaskProtection(agent.base_url, timeout=0.2)
    refused = TaskProtection("http://127.0.0.1:9/api")  # port 9 (discard): nothing listens
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="handler.task_protection"):
        slow.hold(True)
        refused.hold(True)
    assert time.monotonic() - started < 1.5
    assert not slow.protected and not refused.protected
    assert caplog.text.count("task scale-in protection not set") == 2


class _OneJobQueue:
    """An SQS client with one job message, then none."""

    def __init__(self) -> None:
        self.messages = [{"MessageId": "m1", "ReceiptHandle": "r1", "Body": "{}"}]

    def get_queue_attributes(self, **_: Any) -> dict[str, Any]:
        return {"Attributes": {"VisibilityTimeout": "120"}}

    def receive_message(self, **_: Any) -> dict[str, Any]:
        messages, self.messages = self.messages, []
        return {"Messages": messages}

    def delete_message_batch(self, Entries: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        return {"Successful": [{"Id": entry["Id"]} for entry in Entries], "Failed": []}


def test_the_worker_is_protected_while_it_holds_a_job(
    agent: FakeAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECS_AGENT_URI", agent.base_url)
    seen_while_running: list[list[dict[str, Any]]] = []
    monkeypatch.setattr(worker, "parse_job", lambda body: body)

    def run_job(job: Any, deps: Any, cancelled: Any) -> None:
        time.sleep(0.3)  # the loop comes round while the job runs
        seen_while_running.append(agent.bodies())

    monkeypatch.setattr(worker, "run_job", run_job)
    deps: Any = SimpleNamespace(jobs=SimpleNamespace(url="http://queue"))
    summary = worker.Worker(deps, _OneJobQueue(), concurrency=1, grace_seconds=4).run(burst=True)

    assert summary.complete == 1
    assert seen_while_running == [[{"ProtectionEnabled": True, "ExpiresInMinutes": 60}]]
    assert agent.bodies()[-1] == {"ProtectionEnabled": False}
