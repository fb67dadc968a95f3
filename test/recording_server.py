"""A loopback HTTP server that records each request and answers with canned responses.

For tests that must see exactly what the client put on the wire, or that need an
answer the local reference server never gives.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Canned:
    status: int = 200
    body: bytes = b"{}"
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})


Answer = Union[Canned, Callable[[Recorded], Canned]]


class RecordingServer:
    """``with RecordingServer() as server:``; ``server.url`` ends with ``/v1``."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        # Answered in order, then the default; a function makes the answer from the request.
        self.responses: list[Answer] = []
        self.default: Answer = Canned()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, dict(self.headers.items()), body)
                outer.requests.append(recorded)
                canned = outer.responses.pop(0) if outer.responses else outer.default
                if callable(canned):
                    canned = canned(recorded)
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        # serve_forever() looks for shutdown() every poll_interval (0.5 s by default): each
        # test would wait that long for the server to stop.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    @property
    def last(self) -> Recorded:
        return self.requests[-1]
