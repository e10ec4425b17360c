"""Hub's plugin socket refused for long mid-run while its REST API stays up (the run finishes on
the workers meanwhile), and the listener restarted shortly before the socket comes back: the user
still gets exactly one final response, with the run ledger's counts.

What used to go wrong: the relay kept receiving status events while it could send nothing, so the
final one, never deleted, came back every visibility timeout (60 s) and after maxReceiveCount
receives went to the status dead-letter queue; the restarted listener, whose outbox had died with
the old process, never answered. Now the relay receives only while the socket is up, and on every
(re)connect answers runs the ledger shows done (their final event may be gone anyway).

The emulator cannot refuse plugin sockets for a while (it can only disconnect them, and the
listener reconnects at once), so the listener reaches it through `SocketGate`, a TCP forwarder that
refuses connections while closed. The workers talk to the emulator directly. The stack keeps its
status queue's visibility and maxReceiveCount (the reliability stack's 3).
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import boto3
import pytest

from handler.contract.ledger import Ledger
from handler.contract.records import FinalRecord
from infra import demo_data
from infra.emulator.control import EmulatorControl
from infra.localstack import local_aws_env
from infra.processes import AdapterProcesses, adapter_env, adapter_processes
from infra.stack import StackOutputs
from listener.acceptance import run_id_for
from listener.polling import POLL_SECONDS
from listener.progress import RunProgress
from tests.reliability.conftest import MODEL, emulator_with, start_run

pytestmark = pytest.mark.integration
ASSETS = 40
# 4 jobs of 10 assets, 2 model calls each: a job takes 8 s, longer than a long poll begun before
# the socket was cut, so the final status event comes while the listener cannot answer.
SECONDS_PER_BATCH = 4.0
FINAL = re.compile(
    rf"Pre-labeled {ASSETS} of {ASSETS} assets with {ASSETS} objects in [\d.]+ s; .*; 0 assets failed\.$"
)


class SocketGate:
    """Forwards TCP connections on its own port to Hub's; closed, it refuses them (nothing listens)
    and cuts the open ones, as a Hub whose plugin socket endpoint is down."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []
        probe = socket.create_server(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port again
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def close(self) -> None:
        server, self._server = self._server, None
        for sock in [server, *self._open]:
            if sock is not None:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        self._open.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # closed
                return
            upstream = socket.create_connection(self._target)
            self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for sock in (source, sink):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def adapter_behind_gate(
    localstack: str, stack: StackOutputs, emulator: EmulatorControl, log_dir: Path
) -> Iterator[tuple[AdapterProcesses, SocketGate]]:
    """Two workers on the emulator, and a listener that reaches it only through an open gate."""
    gate = SocketGate(int(emulator.base_url.rsplit(":", 1)[1]))
    extra = {"ANGO_BATCH_MODEL": MODEL, "ANGO_BATCH_PROGRESS_INTERVAL_SECONDS": "1"}
    env = adapter_env(
        stack,
        emulator.base_url,
        demo_data.PLUGIN_ID,
        demo_data.PLUGIN_SECRET,
        local_aws_env(localstack),
        extra,
    )
    gate.open()
    try:
        with adapter_processes(env, log_dir) as processes:
            processes.start_worker(concurrency=2)
            processes.start_worker(concurrency=2)
            processes.env = {**env, "ANGO_HOST": gate.url}  # only the listener goes through the gate
            processes.start_listener()
            emulator.wait_for_plugin_live(demo_data.PLUGIN_ID, timeout=60)
            yield processes, gate
    finally:
        gate.close()


def restart_listener(processes: AdapterProcesses) -> None:
    assert processes.listener is not None
    processes.listener.kill()
    processes.listener.wait(timeout=10)
    processes.start_listener()


def wait_until_done_in_ledger(ledger: Ledger, run_id: str, timeout: float) -> int:
    """Wait for every job's result in the ledger; the number of jobs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plan = ledger.load_plan(run_id)
        if plan is not None and len(ledger.list_job_results(run_id)) >= plan.total_jobs:
            return plan.total_jobs
        time.sleep(0.5)
    pytest.fail(f"run {run_id} not done in the ledger after {timeout} s")


def queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(attributes[names[0]]), int(attributes[names[1]])


def dead_letter_after_seconds(sqs: Any, url: str) -> float:
    """How long a message received and never deleted takes to reach the dead-letter queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    receives = int(re.search(r'"maxReceiveCount":\s*"?(\d+)', attributes["RedrivePolicy"]).group(1))  # type: ignore[union-attr]
    return int(attributes["VisibilityTimeout"]) * receives


def outage_until_done(
    gate: SocketGate, ledger: Ledger, emulator: EmulatorControl, session: str, sqs: Any, url: str
) -> int:
    """Refuse the socket from just after the run was accepted until it is done in the ledger (the
    workers go on, REST is up); the number of its status events left in the status queue."""
    run_id = run_id_for(demo_data.PLUGIN_ID, session)
    deadline = time.monotonic() + 30
    while ledger.load_run(run_id) is None:
        assert time.monotonic() < deadline, "run never accepted"
        time.sleep(0.2)
    gate.close()
    time.sleep(POLL_SECONDS + 1)  # a long poll begun while connected ends; the jobs take longer
    wait_until_done_in_ledger(ledger, run_id, timeout=120)
    assert not emulator.session(session)["responses"]
    visible, in_flight = queue_counts(sqs, url)
    assert visible >= 1 and in_flight == 0  # the final status event at least, untouched
    return visible


def hold_outage(sqs: Any, stack: StackOutputs, seconds: float, events: int) -> None:
    """Keep the socket refused for `seconds`, checking that nobody takes the run's status events
    meanwhile: they stay visible in the status queue and none goes to its dead-letter queue."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert queue_counts(sqs, stack.status_queue_url) == (events, 0)
        assert queue_counts(sqs, stack.status_dlq_url) == (0, 0)
        time.sleep(5)


def move_to_dead_letters(sqs: Any, stack: StackOutputs, events: int) -> None:
    """What a long outage did to the status events under the old relay: all dead-lettered."""
    moved = 0
    while moved < events:
        messages = sqs.receive_message(
            QueueUrl=stack.status_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=2
        ).get("Messages", [])
        assert messages, f"only {moved} of {events} status events in the queue"
        for message in messages:
            sqs.send_message(QueueUrl=stack.status_dlq_url, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=stack.status_queue_url, ReceiptHandle=message["ReceiptHandle"])
        moved += len(messages)


def answered_once(emulator: EmulatorControl, session: str, processes: AdapterProcesses) -> str:
    try:
        emulator.wait_for_response(session, timeout=90)
    except TimeoutError:
        pytest.fail(f"no response for session {session}\n{processes.log_text('listener')[-6000:]}")
    time.sleep(3.0)  # any second answer would arrive now
    responses = emulator.session(session)["responses"]
    assert len(responses) == 1, responses
    return str(responses[0]["response"])


@pytest.mark.parametrize("final_recorded", [False, True], ids=["open", "final-recorded"])
def test_dead_lettered_final_status_is_answered_by_a_restarted_listener(
    localstack: str, stack: StackOutputs, ledger: Ledger, tmp_path: Path, final_recorded: bool
) -> None:
    """The final status event is gone (dead-lettered), and the listener that might have held the
    response in its outbox was restarted: the answer comes from the ledger, once."""
    sqs = boto3.client("sqs")
    with (
        emulator_with([demo_data.bench_project(ASSETS)]) as emulator,
        adapter_behind_gate(localstack, stack, emulator, tmp_path / "logs") as (processes, gate),
    ):
        session = start_run(emulator, demo_data.BENCH_PROJECT_ID, SECONDS_PER_BATCH, job_size=10)
        run_id = run_id_for(demo_data.PLUGIN_ID, session)
        events = outage_until_done(gate, ledger, emulator, session, sqs, stack.status_queue_url)
        hold_outage(sqs, stack, 10, events)
        move_to_dead_letters(sqs, stack, events)
        expected = None
        if final_recorded:  # as the old relay left it: composed and recorded, never sent
            expected = _record_final(ledger, run_id)
        restart_listener(processes)
        time.sleep(3.0)  # the new listener is up before the socket comes back
        gate.open()
        message = answered_once(emulator, session, processes)

    assert FINAL.match(message), message
    assert message == (expected or message)
    final = ledger.load_final(run_id)
    assert final is not None and final.responded and final.message == message


@pytest.mark.slow
def test_long_socket_outage_with_a_listener_restart_answers_once(
    localstack: str, stack: StackOutputs, ledger: Ledger, tmp_path: Path
) -> None:
    """The reported case, in real time: the socket refused for longer than the status queue takes
    to dead-letter a received, undeleted event, the listener restarted shortly before it is back."""
    sqs = boto3.client("sqs")
    outage = dead_letter_after_seconds(sqs, stack.status_queue_url) + 25  # 3 x 60 s + a poll
    with (
        emulator_with([demo_data.bench_project(ASSETS)]) as emulator,
        adapter_behind_gate(localstack, stack, emulator, tmp_path / "logs") as (processes, gate),
    ):
        session = start_run(emulator, demo_data.BENCH_PROJECT_ID, SECONDS_PER_BATCH, job_size=10)
        events = outage_until_done(gate, ledger, emulator, session, sqs, stack.status_queue_url)
        hold_outage(sqs, stack, outage, events)
        restart_listener(processes)
        time.sleep(5.0)
        gate.open()
        message = answered_once(emulator, session, processes)
        left = queue_counts(sqs, stack.status_queue_url), queue_counts(sqs, stack.status_dlq_url)

    assert FINAL.match(message), message
    assert left == ((0, 0), (0, 0))  # every status event handled, none dead-lettered  # nothing dead-lettered


def _record_final(ledger: Ledger, run_id: str) -> str:
    run, plan = ledger.load_run(run_id), ledger.load_plan(run_id)
    assert run is not None and plan is not None
    progress = RunProgress(run)
    progress.restore(plan, ledger.list_job_results(run_id))
    message, error = progress.final_message()
    assert ledger.finish_run(run_id, FinalRecord(message=message, error=error))
    return message
