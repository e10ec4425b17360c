"""A failed connection to Hub says why, from the real exceptions python-socketio raises."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import socketio

from listener.connection_errors import describe_connect_error

pytestmark = pytest.mark.unit


@pytest.fixture
def http_404_server() -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _reason(url: str) -> str:
    client = socketio.Client(reconnection=False, logger=False, engineio_logger=False)
    with pytest.raises(Exception) as failed:
        client.connect(url, namespaces=["/plugin"], transports=["websocket"], wait_timeout=5)
    return describe_connect_error(failed.value, url)


def test_each_cause_is_named(http_404_server: str):
    assert "DNS lookup" in _reason("http://no-such-host.invalid")
    assert "refused the connection" in _reason("http://127.0.0.1:9")
    assert "answered HTTP 404" in _reason(f"http://{http_404_server}")
    assert "TLS handshake" in _reason(f"https://{http_404_server}")
