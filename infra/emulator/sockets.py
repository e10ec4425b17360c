"""Hub's Socket.IO side: namespace `/plugin`, heartbeats in; `plugin` out; `log`/`response` in."""

from __future__ import annotations

import logging
from typing import Any

import socketio

from .state import HubState

logger = logging.getLogger(__name__)

NAMESPACE = "/plugin"


def create_socket_server(state: HubState) -> socketio.Server:
    sio = socketio.Server(async_mode="threading", logger=False, engineio_logger=False)

    def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        # Hub asks for nothing on connect: the credentials come in the first heartbeat (§2.1).
        with state.lock:
            state.registry.connect(sid)
        logger.info("socket %s connected", sid)

    def disconnect(sid: str, reason: Any = None) -> None:
        with state.lock:
            state.registry.disconnect(sid)
        logger.info("socket %s disconnected (%s)", sid, reason)

    def heartbeat(sid: str, data: Any = None) -> None:
        with state.lock:
            state.registry.heartbeat(sid, data)

    def log(sid: str, data: Any = None) -> None:
        with state.lock:
            state.sessions.add_log(data, "socket")

    def response(sid: str, data: Any = None) -> None:
        with state.lock:
            state.sessions.add_response(data, "socket")

    for event, handler in (
        ("connect", connect),
        ("disconnect", disconnect),
        ("heartbeat", heartbeat),
        ("log", log),
        ("response", response),
    ):
        sio.on(event, handler=handler, namespace=NAMESPACE)

    def emit(event: str, sid: str, data: dict[str, Any]) -> None:
        sio.emit(event, data, to=sid, namespace=NAMESPACE)

    def kick(sid: str) -> None:
        sio.disconnect(sid, namespace=NAMESPACE)

    state.emit = emit
    state.disconnect = kick
    return sio
