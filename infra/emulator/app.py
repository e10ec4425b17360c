"""Assembles Flask (REST, files, control) and python-socketio on one origin, and serves it."""

from __future__ import annotations

import logging
import threading
from typing import Any

import socketio
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from .control_api import create_control_blueprint
from .envelope import install_hooks
from .knobs import Knobs
from .rest import create_files_blueprint, create_rest_blueprint
from .sockets import create_socket_server
from .state import HubState

logger = logging.getLogger(__name__)


def create_wsgi_app(state: HubState) -> Any:
    """Socket.IO answers under /socket.io/; everything else falls through to Flask."""
    flask_app = Flask("ango_hub_emulator")
    install_hooks(flask_app, state)
    flask_app.register_blueprint(create_rest_blueprint(state))
    flask_app.register_blueprint(create_files_blueprint(state))
    flask_app.register_blueprint(create_control_blueprint(state))
    sio = create_socket_server(state)
    return socketio.WSGIApp(sio, flask_app)


class EmulatorServer:
    """A threaded werkzeug server; `start()` binds at once so `base_url` knows the real port."""

    def __init__(
        self,
        spec: dict[str, Any],
        knobs: Knobs | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
    ) -> None:
        self.state = HubState(knobs or Knobs(), spec)
        self._server: BaseWSGIServer = make_server(host, port, create_wsgi_app(self.state), threaded=True)
        # Asset URLs must be reachable by the plugin; behind Docker that is not the bind address.
        self.base_url = public_url or f"http://{host}:{self._server.server_port}"
        self.state.base_url = self.base_url
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="emulator-http", daemon=True)
        self._thread.start()
        logger.info("Ango Hub emulator serving at %s", self.base_url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("Ango Hub emulator stopped")
