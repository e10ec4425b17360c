"""The listener: holds the plugin socket, accepts runs off the socket thread, relays status back."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from handler.contract import telemetry
from handler.contract.ango import client_factory
from handler.contract.aws import AwsClients, make_clients
from handler.contract.ledger import Ledger
from handler.contract.logs import log_context
from handler.contract.messages import PlanJob
from handler.contract.model import load_model_spec
from handler.contract.queues import MessageQueue
from handler.contract.records import RunRecord
from handler.contract.redaction import in_flight
from handler.contract.settings import Settings
from listener.acceptance import ActionDone, RunAcceptor, RunRejected, run_id_for
from listener.dead_letter_drain import DeadLetterDrain
from listener.payload import session_of
from listener.plugin_socket import PluginSocket
from listener.polling import POLL_SECONDS
from listener.relay import RunRegistry, StatusRelay

logger = logging.getLogger(__name__)


class Listener:
    def __init__(self, settings: Settings, clients: AwsClients | None = None) -> None:
        missing = settings.missing_aws_resources()
        missing += [name for name, value in _plugin_credentials(settings).items() if not value]
        if missing:
            raise ValueError(f"missing settings: {', '.join(missing)}")
        clients = clients or make_clients()
        ledger = Ledger.of(settings, clients)
        self._settings, self._ledger = settings, ledger
        self.drain = _drain(settings, clients, ledger)
        self.acceptor = RunAcceptor(
            plugin_id=settings.ango_plugin_id,
            spec=load_model_spec(settings.model_name),  # the model's module, not its weights or libraries
            ledger=ledger,
            jobs=MessageQueue(clients.sqs, settings.job_queue_url),
            ango=client_factory(settings),
            status=MessageQueue(clients.sqs, settings.status_queue_url),
        )
        self.registry = RunRegistry(ledger)
        interval = settings.progress_interval_seconds
        self.relay = StatusRelay(
            clients.sqs, settings.status_queue_url, self.registry, ledger, self, interval
        )
        self.socket = PluginSocket(
            settings.ango_host,
            settings.ango_plugin_id,
            settings.ango_plugin_secret.get_secret_value(),
            self._on_plugin,
        )
        self._accepting = ThreadPoolExecutor(4, thread_name_prefix="accept")

    def run(self, stop: threading.Event) -> None:
        self.recover_open_runs()
        threads = [threading.Thread(target=self.relay.run, args=(stop,), name="relay", daemon=True)]
        metrics = (stop, self._sample_connected)  # ListenerConnected and the counts, once a minute
        threads.append(
            threading.Thread(target=telemetry.keep_flushing, args=metrics, name="metrics", daemon=True)
        )
        if self.drain is not None:
            threads.append(threading.Thread(target=self.drain.run, args=(stop,), name="dlq", daemon=True))
        else:
            logger.warning("ANGO_BATCH_JOB_DLQ_URL unset: dead-lettered jobs are not reported to users")
        for thread in threads:
            thread.start()
        try:
            self.socket.run(stop)
        finally:
            self._accepting.shutdown(wait=True)
            self.socket.drain(timeout=5)
            # Pollers finish their current long poll and hand back what it brought.
            for thread in threads:
                thread.join(timeout=POLL_SECONDS + 2)
            logger.info("listener stopped")

    def recover_open_runs(self) -> None:
        """After a restart: send the plan job of any run accepted but killed before it was queued.
        Everything else of an open run is restored from the ledger when its next status arrives."""
        open_runs = self._ledger.open_runs()
        for run_id, queued in open_runs:
            if not queued:
                logger.warning("run %s: accepted but never queued; queueing it now", run_id)
                run = self._ledger.load_run(run_id)
                if run is not None:  # its index entry may be missing too (same key if not)
                    self._ledger.index_run(run)
                self.acceptor.jobs.send(PlanJob(run_id=run_id))
                self._ledger.mark_queued(run_id)
        logger.info("listener starting with %d open runs", len(open_runs))

    # -- socket side: returns at once, the work happens on the accept pool ---------------------

    def _on_plugin(self, data: Any) -> None:
        self._accepting.submit(self._accept_with_ids, data)

    def _accept_with_ids(self, data: Any) -> None:
        # Lines logged while accepting carry the id the run gets (derived from its session).
        session = session_of(data)
        with log_context(run_id=run_id_for(self._settings.ango_plugin_id, session) if session else None):
            self._accept(data)

    def _accept(self, data: Any) -> None:
        # The key in this payload is redacted from every log line written while it is handled,
        # tracebacks included: a library's error text can quote it.
        with in_flight(_text(data.get("apiKey")) if isinstance(data, dict) else ""):
            try:
                run = self.acceptor.accept(data)
            except RunRejected as exc:
                self._reject(data, str(exc))
                return
            except Exception:
                logger.exception("run of session %r: unexpected error while accepting", session_of(data))
                self._reject(data, "The plugin could not start this run (internal error); please try again.")
                return
        if isinstance(run, ActionDone):
            self._answer_action(data, run.message)
        elif run is not None:
            self.registry.add(run)
            telemetry.count("RunsAccepted")
            self.log(run, "INFO", f"Run accepted for project {run.project_id}; listing assets.")

    def _answer_action(self, data: Any, message: str) -> None:
        """A control click is answered at once: a log line and the response, with what it did."""
        session = session_of(data)
        logger.info("session %r: control action: %s", session, message)
        context = {key: _text(data.get(key))[:200] for key in ("orgId", "runBy")}
        self._emit_log(session, context["orgId"], context["runBy"], "INFO", message)
        self.socket.emit("response", {"response": message, "session": session})

    def _reject(self, data: Any, message: str) -> None:
        session = session_of(data)
        logger.warning("run of session %r rejected: %s", session, message)
        fields = data if isinstance(data, dict) else {}
        # Only strings are echoed back: str() of a hostile value (a 5,000-digit int) can itself raise.
        context = {key: _text(fields.get(key))[:200] for key in ("orgId", "runBy")}
        self._emit_log(session, context["orgId"], context["runBy"], "ERROR", f"Run not started: {message}")
        self.socket.emit("response", error_response(session))

    # -- Notifier: what the status relay calls -------------------------------------------------

    @property
    def connected(self) -> bool:
        return self.socket.connected

    def _sample_connected(self) -> None:
        telemetry.gauge("ListenerConnected", 1 if self.socket.connected else 0)

    def log(self, run: RunRecord, level: str, message: str) -> None:
        self._emit_log(run.session, run.org_id, run.run_by, level, message)

    def respond(self, run: RunRecord, message: str, error: bool = False) -> threading.Event:
        response = error_response(run.session) if error else {"response": message, "session": run.session}
        return self.socket.emit("response", response)

    def _emit_log(self, session: str, org_id: str, run_by: str, level: str, message: str) -> None:
        # The same shape imerit-ango's PluginLogger sends, so Hub shows it in Plugin Sessions.
        payload = {
            "level": level,
            "organization": org_id,
            "pluginId": self._settings.ango_plugin_id,
            "runBy": run_by,
            "session": session,
            "msg": message,
        }
        self.socket.emit("log", payload)


def _drain(settings: Settings, clients: AwsClients, ledger: Ledger) -> DeadLetterDrain | None:
    if not settings.job_dlq_url:
        return None
    status = MessageQueue(clients.sqs, settings.status_queue_url)
    return DeadLetterDrain(clients.sqs, settings.job_dlq_url, ledger, status)


def _plugin_credentials(settings: Settings) -> dict[str, str]:
    """The plugin's ID and Secret from Hub's plugin page: without the secret, Hub ignores the
    heartbeats and the plugin never turns live, which is silent; so the listener refuses to start."""
    return {
        "ANGO_PLUGIN_ID": settings.ango_plugin_id,
        "ANGO_PLUGIN_SECRET": settings.ango_plugin_secret.get_secret_value(),
    }


def error_response(session: str) -> dict[str, Any]:
    """Hub's form for a run that failed: exactly what imerit-ango sends when a callback raises. It
    carries no message, so the reason always goes first as an ERROR log line, which Hub shows in
    the run's Plugin Sessions log, as it does the SDK's "Plugin callback failed: ..." line."""
    return {"error": True, "session": session}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
