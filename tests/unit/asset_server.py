"""A real HTTP(S) server on loopback for download tests: routes are set per test, and every request
that reaches it is recorded, so a test can tell "refused before connecting" from "fetched"."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class AssetServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Host header) of each request received
        self.server_names: list[str | None] = []  # TLS SNI names, when serving https
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.scheme = "http"
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive and chunked bodies, as real servers do

            def do_GET(self) -> None:
                server.requests.append((self.path, self.headers.get("Host", "")))
                route = server.routes.get(self.path.split("?")[0])
                try:
                    if route is None:
                        send(self, 404, b"not found")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (e.g. at its size cap): expected

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    headers.setdefault("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def body(data: bytes, **headers: str) -> Route:
    return lambda handler: send(handler, 200, data, **headers)


def redirect(location: str, status: int = 302) -> Route:
    return lambda handler: send(handler, status, b"", Location=location)


def chunked(total: int) -> Route:
    """A body of `total` bytes with no Content-Length at all (chunked transfer encoding)."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        piece, sent = b"\0" * 65536, 0
        while sent < total:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            sent += len(piece)
        handler.wfile.write(b"0\r\n\r\n")

    return route


def lying_length(declared: int, actual: int) -> Route:
    """Declares one Content-Length and sends another number of bytes, then closes."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(declared))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(b"\0" * actual)
        handler.close_connection = True

    return route
