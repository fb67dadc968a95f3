"""A loopback HTTP/1.1 server that misbehaves on purpose, one scripted fault per request.

``with FaultyServer([Fault.status(503), Fault.ok(body)]) as server:`` answers the first
request with a 503 and the second with a 200; requests beyond the script get ``default``.
``server.requests`` records each request that was read (method, path, body) and
``server.connections`` counts accepted connections, so a test sees how often the client
tried. Plain sockets and threads, so that every byte and every pause is under control.
"""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from recording_server import Recorded

Action = Callable[["_Connection", "Recorded"], bool]  # returns False to close the connection


def _head(status: int, headers: dict[str, str], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} Status {status}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


JSON = {"Content-Type": "application/json"}


class Fault:
    """The faults (and the normal answer), as actions of a script."""

    @staticmethod
    def ok(body: bytes, headers: Optional[dict[str, str]] = None, status: int = 200) -> Action:
        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(_head(status, headers or JSON, len(body)) + body)
            return True

        return act

    @staticmethod
    def status(status: int, headers: Optional[dict[str, str]] = None) -> Action:
        body = json.dumps({"code": f"E{status}", "message": f"scripted {status}"}).encode()
        return Fault.ok(body, {**JSON, **(headers or {})}, status)

    @staticmethod
    def hang() -> Action:
        """Read the request, never answer."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.stopped.wait()
            return False

        return act

    @staticmethod
    def slow_headers(delay: float, body: bytes = b"{}") -> Action:
        """Send the status line, then the rest of the headers after ``delay``."""

        def act(conn: _Connection, req: Recorded) -> bool:
            head = _head(200, JSON, len(body))
            first_line, rest = head.split(b"\r\n", 1)
            conn.send(first_line + b"\r\n")
            if conn.stopped.wait(delay):
                return False
            conn.send(rest + body)
            return True

        return act

    @staticmethod
    def stall_body(body: bytes, sent: int, delay: float) -> Action:
        """Send the headers and ``sent`` bytes of the body, pause ``delay``, send the rest."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(_head(200, JSON, len(body)) + body[:sent])
            if conn.stopped.wait(delay):
                return False
            conn.send(body[sent:])
            return True

        return act

    @staticmethod
    def trickle_headers(interval: float, duration: float = 4.0) -> Action:
        """Send the status line, then a header one byte every ``interval`` for ``duration``
        seconds: each wait for data is short, the headers do not end."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
            until = time.monotonic() + duration
            while time.monotonic() < until and not conn.stopped.wait(interval):
                conn.send(b"a")
            return False

        return act

    @staticmethod
    def trickle_body(interval: float, duration: float = 4.0) -> Action:
        """Send whole headers for a long body, then the body one byte every ``interval``
        for ``duration`` seconds."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(_head(200, JSON, 1_000_000) + b'{"email": "')
            until = time.monotonic() + duration
            while time.monotonic() < until and not conn.stopped.wait(interval):
                conn.send(b"a")
            return False

        return act

    @staticmethod
    def drip_body(body: bytes, pieces: int, interval: float) -> Action:
        """Send the headers, then ``body`` in ``pieces`` pieces, ``interval`` apart."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(_head(200, JSON, len(body)))
            size = -(-len(body) // pieces)
            for start in range(0, len(body), size):
                if conn.stopped.wait(interval):
                    return False
                conn.send(body[start : start + size])
            return True

        return act

    @staticmethod
    def cut_body(body: bytes, sent: int, reset: bool) -> Action:
        """Send the headers and ``sent`` bytes of the body, then close (``reset``: with RST)."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.send(_head(200, JSON, len(body)) + body[:sent])
            if reset:
                conn.reset()
            return False

        return act

    @staticmethod
    def reset() -> Action:
        """Read the request, then reset the connection without answering."""

        def act(conn: _Connection, req: Recorded) -> bool:
            conn.reset()
            return False

        return act


class _Connection:
    def __init__(self, sock: socket.socket, stopped: threading.Event) -> None:
        self.sock = sock
        self.stopped = stopped
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    def read_request(self) -> Optional[Recorded]:
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Recorded(method, path, headers, body)


@dataclass
class FaultyServer:
    """See the module docstring; ``arrivals`` holds the ``time.monotonic()`` at which each
    request was read."""

    script: list[Action] = field(default_factory=list)
    default: Action = field(default_factory=lambda: Fault.ok(b"{}"))
    requests: list[Recorded] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        # Here, not in the thread: a server closed before its thread ran would fail there.
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []

    def __enter__(self) -> FaultyServer:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv()
        for thread in self._threads:
            thread.join(5)

    def _next_action(self, request: Recorded) -> Action:
        with self._lock:
            self.requests.append(request)
            self.arrivals.append(time.monotonic())
            return self.script.pop(0) if self.script else self.default

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        conn = _Connection(sock, self._stopped)
        try:
            while not self._stopped.is_set():
                request = conn.read_request()
                if request is None or not self._next_action(request)(conn, request):
                    break
        except OSError:
            pass  # the client went away: nothing to answer
        finally:
            sock.close()


def closed_port() -> int:
    """A loopback port that nothing listens on: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def elapsed(start: float) -> float:
    return time.monotonic() - start
