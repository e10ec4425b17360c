"""Socket.IO side, driven by a bare python-socketio client (fast, and free to misbehave)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import socketio

from infra import demo_data as d
from infra.emulator.control import EmulatorControl, EmulatorError

pytestmark = pytest.mark.integration

PLUGIN = "socket-test-plugin"
SECRET = "socket-test-secret"


class FakePlugin:
    """Connects like the SDK (websocket only, namespace /plugin) and records `plugin` events."""

    def __init__(self, url: str) -> None:
        self.received: list[dict[str, Any]] = []
        self.got_run = threading.Event()
        self.client = socketio.Client(reconnection=False)
        self.client.on("plugin", self._on_plugin, namespace="/plugin")
        self.client.connect(url, namespaces=["/plugin"], transports=["websocket"], wait_timeout=10)

    def _on_plugin(self, data: dict[str, Any]) -> None:
        self.received.append(data)
        self.got_run.set()

    def emit(self, event: str, data: Any) -> None:
        self.client.emit(event, data, namespace="/plugin")

    def beat(self, secret: str = SECRET) -> None:
        self.emit("heartbeat", {"id": PLUGIN, "secret": secret})

    def close(self, emu: EmulatorControl) -> None:
        """Have the server drop us: a client-side disconnect waits ~3 s for the WebSocket close."""
        if self.client.connected:
            self.beat()
            sid = self.client.get_sid("/plugin")
            _until(lambda: sid in emu.plugin(PLUGIN)["liveSids"])
            emu.disconnect_plugin(PLUGIN)
            _until(lambda: not self.client.connected)
        self.client.disconnect()

    def wait_run(self) -> dict[str, Any]:
        assert self.got_run.wait(10), "no plugin event arrived"
        self.got_run.clear()
        return self.received[-1]


def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def fake(emu: EmulatorControl) -> Iterator[FakePlugin]:
    emu.seed({"plugins": [{"id": PLUGIN, "secret": SECRET}]})
    plugin = FakePlugin(emu.base_url)
    try:
        yield plugin
    finally:
        emu.configure(heartbeat_timeout_s=150)
        plugin.close(emu)


def _start(emu: EmulatorControl, **extra: Any) -> str:
    return emu.start_run(PLUGIN, d.PROJECT_ID, d.API_KEY, d.CATEGORY_MAPPING, [d.BATCH_B_ID], "{}", **extra)


def test_heartbeat_makes_live_and_run_payload_is_complete(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    status = emu.wait_for_plugin_live(PLUGIN, timeout=5)
    assert status["sid"] == fake.client.get_sid("/plugin") and status["lastHeartbeat"] > 0
    session = _start(emu)
    payload = fake.wait_run()
    assert payload == {
        "projectId": d.PROJECT_ID,
        "categorySchema": d.CATEGORY_MAPPING,
        "apiKey": d.API_KEY,
        "orgId": d.ORG_ID,
        "runBy": d.USER_ID,
        "session": session,
        "batches": [d.BATCH_B_ID],
        "configJSON": "{}",
    }
    assert emu.session(session)["status"] == "running"


def test_bad_secret_unbinds_and_liveness_expires(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    fake.beat(secret="nope")
    _until(lambda: emu.plugin(PLUGIN)["rejectedHeartbeats"] == 1)
    assert emu.plugin(PLUGIN)["live"] is False
    emu.configure(heartbeat_timeout_s=0.3)
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    _until(lambda: not emu.plugin(PLUGIN)["live"], timeout=5)
    with pytest.raises(EmulatorError) as refused:
        _start(emu)
    assert refused.value.status == 409


def test_logs_responses_duplicates_and_orphans(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    session = _start(emu)
    fake.wait_run()
    fake.emit("log", {"count": 3, "level": "INFO", "session": session, "msg": "hello"})
    fake.emit("response", {"response": "first", "session": session})
    fake.emit("response", {"error": True, "session": session})
    fake.emit("log", {"session": "no-such-session", "msg": "lost"})
    _until(lambda: len(emu.session(session)["responses"]) == 2 and len(emu.orphans()) == 1)
    state = emu.session(session)
    assert state["logs"] == [{"count": 3, "level": "INFO", "session": session, "msg": "hello"}]
    assert state["status"] == "completed"  # the first response decides; the second is still recorded
    assert emu.orphans()[0]["data"]["msg"] == "lost"


def test_raw_payload_is_sent_verbatim_to_the_newest_socket(emu: EmulatorControl, fake: FakePlugin) -> None:
    second = FakePlugin(emu.base_url)
    try:
        fake.beat()
        emu.wait_for_plugin_live(PLUGIN, timeout=5)
        second.beat()
        _until(lambda: emu.plugin(PLUGIN)["sid"] == second.client.get_sid("/plugin"))
        session = _start(emu, raw_payload={"session": "raw-1", "projectId": 42})
        assert session == "raw-1"
        assert second.wait_run() == {"session": "raw-1", "projectId": 42}
        assert fake.received == []
    finally:
        second.close(emu)


def test_run_refusals(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    cases = [
        ({"plugin_id": "nobody"}, 404),
        ({"user_api_key": d.OTHER_API_KEY}, 403),
        ({"user_api_key": "bad-key"}, 401),
    ]
    for change, status in cases:
        args: dict[str, Any] = {"plugin_id": PLUGIN, "project_id": d.PROJECT_ID, "user_api_key": d.API_KEY}
        args.update(change)
        with pytest.raises(EmulatorError) as refused:
            emu.start_run(**args)
        assert refused.value.status == status, change


OPTIONAL = ["batches", "orgId", "runBy", "configJSON", "categorySchema"]


def test_optional_payload_keys_can_arrive_null_or_not_at_all(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    session = _start(emu, nulls=OPTIONAL)
    payload = fake.wait_run()
    assert payload == {
        "projectId": d.PROJECT_ID,
        "apiKey": d.API_KEY,
        "session": session,
        **dict.fromkeys(OPTIONAL),
    }
    session = _start(emu, omit=OPTIONAL)
    assert fake.wait_run() == {"projectId": d.PROJECT_ID, "apiKey": d.API_KEY, "session": session}
    session = _start(emu, nulls=["categorySchema"], omit=["batches"])
    payload = fake.wait_run()
    assert payload["categorySchema"] is None and "batches" not in payload and payload["orgId"] == d.ORG_ID
    assert emu.session(session)["payload"]["categorySchema"] is None


def test_category_schema_entries_go_out_as_given(emu: EmulatorControl, fake: FakePlugin) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    odd: list[dict[str, Any]] = [
        {"schemaId": None, "modelClass": "Face"},
        {"schemaId": "", "modelClass": "Person"},
        {},
    ]
    emu.start_run(PLUGIN, d.PROJECT_ID, d.API_KEY, odd, [], "{}")
    assert fake.wait_run()["categorySchema"] == odd


@pytest.mark.parametrize(
    "extra",
    [
        {"nulls": ["apiKey"]},
        {"omit": ["session"]},
        {"nulls": ["orgId"], "omit": ["orgId"]},
        {"omit": ["batches"], "raw_payload": {"session": "raw-2"}},
    ],
)
def test_nulls_and_omit_refusals(emu: EmulatorControl, fake: FakePlugin, extra: dict[str, Any]) -> None:
    fake.beat()
    emu.wait_for_plugin_live(PLUGIN, timeout=5)
    with pytest.raises(EmulatorError) as refused:
        _start(emu, **extra)
    assert refused.value.status == 400
    assert fake.received == []
