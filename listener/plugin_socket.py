"""The plugin's Socket.IO connection to Ango Hub, kept up for as long as the listener runs.

imerit-ango's BasePlugin exits the process when a reconnect or a heartbeat fails; a listener that
must stay up instead reconnects with exponential backoff and full jitter, forever. Outgoing `log`
and `response` events go through an outbox, so a message emitted while the socket is down is sent
once it is back, not lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import socketio

from handler.contract.retry import full_jitter
from listener.connection_errors import describe_connect_error

logger = logging.getLogger(__name__)
NAMESPACE = "/plugin"
HEARTBEAT_SECONDS = 60.0  # what imerit-ango sends; Hub marks a plugin dead after a few minutes


@dataclass(frozen=True)
class _Outgoing:
    event: str
    data: dict[str, Any]
    sent: threading.Event


class PluginSocket:
    def __init__(
        self,
        host: str,
        plugin_id: str,
        secret: str,
        on_plugin: Callable[[Any], None],
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        max_backoff: float = 30.0,
    ) -> None:
        self._host, self._id, self._secret = host, plugin_id, secret
        self._on_plugin = on_plugin
        self._heartbeat_seconds, self._max_backoff = heartbeat_seconds, max_backoff
        self._client: socketio.Client | None = None
        self._connected = threading.Event()
        self._outbox: queue.Queue[_Outgoing] = queue.Queue()
        self.last_error: str | None = None  # why the last connection attempt failed, in words

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def emit(self, event: str, data: dict[str, Any]) -> threading.Event:
        """Queue an event for Hub; sent in order as soon as the socket is up. The returned event
        is set once it has been handed to the socket."""
        sent = threading.Event()
        self._outbox.put(_Outgoing(event, data, sent))
        return sent

    def run(self, stop: threading.Event) -> None:
        """Connect, stay connected, and send; returns when `stop` is set."""
        threads = [
            threading.Thread(target=self._send_loop, args=(stop,), name="outbox", daemon=True),
            threading.Thread(target=self._heartbeat_loop, args=(stop,), name="heartbeat", daemon=True),
        ]
        for thread in threads:
            thread.start()
        attempt = 0
        while not stop.is_set():
            if self.connected:
                attempt = 0
                stop.wait(0.5)
                continue
            if not self._connect_once():
                delay = full_jitter(attempt, 0.5, self._max_backoff)
                attempt += 1
                logger.warning(
                    "cannot reach Ango Hub: %s; retry %d in %.1fs", self.last_error, attempt, delay
                )
                stop.wait(delay)
        self._disconnect()

    def _connect_once(self) -> bool:
        self._disconnect()
        client = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
        client.on("connect", self._handle_connect, namespace=NAMESPACE)
        client.on("disconnect", self._handle_disconnect, namespace=NAMESPACE)
        client.on("plugin", self._on_plugin, namespace=NAMESPACE)
        self._client = client
        try:
            client.connect(self._host, namespaces=[NAMESPACE], transports=["websocket"], wait_timeout=10)
        except Exception as exc:  # socketio.exceptions.ConnectionError and transport errors alike
            self.last_error = describe_connect_error(exc, self._host)
            return False
        self.last_error = None
        return True

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        self._connected.clear()
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # already gone
                logger.debug("disconnect of a dead client failed", exc_info=True)

    def _handle_connect(self) -> None:
        logger.info("connected to Ango Hub as plugin %s", self._id)
        self._connected.set()
        self._beat()

    def _handle_disconnect(self, *reason: Any) -> None:
        logger.warning("disconnected from Ango Hub (%s); reconnecting", reason[0] if reason else "?")
        self._connected.clear()

    def _beat(self) -> None:
        client = self._client
        if client is None:
            return
        try:
            client.emit("heartbeat", {"id": self._id, "secret": self._secret}, namespace=NAMESPACE)
        except Exception:
            logger.warning("heartbeat not sent: socket is down")

    def _heartbeat_loop(self, stop: threading.Event) -> None:
        while not stop.wait(self._heartbeat_seconds):
            if self.connected:
                self._beat()

    def _send_loop(self, stop: threading.Event) -> None:
        pending: _Outgoing | None = None
        while not stop.is_set():
            if pending is None:
                try:
                    pending = self._outbox.get(timeout=0.5)
                except queue.Empty:
                    continue
            if self._send(pending.event, pending.data):
                pending.sent.set()
                pending = None
                self._outbox.task_done()
            else:
                self._connected.wait(timeout=0.5)

    def _send(self, event: str, data: dict[str, Any]) -> bool:
        client = self._client
        if client is None or not self.connected:
            return False
        try:
            client.emit(event, data, namespace=NAMESPACE)
        except Exception:
            return False
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until every queued event is sent (used before a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while self._outbox.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        return not self._outbox.unfinished_tasks
