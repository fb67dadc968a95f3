"""The HTTP/1.1 server that carries the API's rules (``_rules``): framing, keep-alive,
TLS, limits on idle and concurrent connections, and the ``on_exchange`` observer.

Nothing here knows the API: a request is framed into a ``Request``, answered by
``ApiRules.handle`` at the time of the server's clock, and the ``Response`` is written.
"""

import contextlib
import io
import selectors
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, List, NamedTuple, Optional, Set, Tuple

from numind.openapi_client.testing._rules import ApiRules, Request, Response, error_response

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_REQUEST_TIMEOUT",
    "Exchange",
    "HttpServer",
    "HttpServer6",
    "Service",
]

MAX_BODY_SIZE = 1 << 20
MAX_LINE_SIZE = 65536
#: Seconds that a connection may stay idle (between requests, or in the middle of one)
#: before the server closes it.
DEFAULT_IDLE_TIMEOUT = 60.0
#: Connections served at once; more wait in the listen backlog until one closes.
DEFAULT_MAX_CONNECTIONS = 256
#: Seconds that a whole request may take to arrive, from its first byte to the end of its
#: body (and that a TLS handshake may take): a client that sends a byte now and then, each
#: within the idle timeout, is still closed then, and cannot hold a connection for good.
DEFAULT_REQUEST_TIMEOUT = 30.0

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class Exchange(NamedTuple):
    """One request that the server answered, as seen on the wire (for ``on_exchange``)."""

    method: str
    target: str  # the raw request target: path and query, percent-encoded as sent
    request_headers: List[Tuple[str, str]]
    request_body: bytes
    status: int
    response_headers: List[Tuple[str, str]]  # Content-Type included
    response_body: bytes


class Service:
    """What the HTTP server carries: the API's ``rules``, answering at the time of
    ``clock``; what it has served (counted under ``lock``), and the ``on_exchange``
    observer."""

    def __init__(self, rules: ApiRules, clock: Callable[[], float]) -> None:
        self.rules = rules
        self.clock = clock
        self.lock = threading.Lock()
        self.on_exchange: Optional[Callable[[Exchange], None]] = None
        self.connections_opened = 0
        self.requests_handled = 0

    def answer(self, request: Request) -> Response:
        return self.rules.handle(request, self.clock())


class _DeadlineReader(io.RawIOBase):
    """The reads of one connection: each waits at most the idle timeout and, while a
    request is arriving (``deadline`` set, a ``time.monotonic()`` value), no later than
    the deadline of that whole request."""

    def __init__(self, sock: socket.socket, idle_timeout: float) -> None:
        super().__init__()
        self._sock = sock
        self._idle_timeout = idle_timeout
        self.deadline: Optional[float] = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.deadline is None:
            return self._sock.recv_into(buffer)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive whole within its deadline")
        self._sock.settimeout(min(self._idle_timeout, remaining))
        try:
            return self._sock.recv_into(buffer)
        finally:
            self._sock.settimeout(self._idle_timeout)


class _FramingError(Exception):
    """The request body cannot be delimited: answer with an error and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NuExtractLocal/1.0"
    # HTTP/0.9 answers have no status line; answer garbage request lines as HTTP/1.0.
    default_request_version = "HTTP/1.0"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm
    # and delayed ACKs would add ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    @property
    def _service(self) -> Service:
        assert isinstance(self.server, HttpServer)
        return self.server.service

    def setup(self) -> None:
        server = self.server
        assert isinstance(server, HttpServer)
        if isinstance(self.request, ssl.SSLSocket):
            # In this thread rather than at accept, so a slow client blocks no one else;
            # the timeout bounds the whole handshake (one deadline for all its reads).
            self.request.settimeout(min(server.idle_timeout, server.request_timeout))
            self.request.do_handshake()
        # Every read waits at most this long: an idle connection (or one stuck in the
        # middle of a request) is closed, and its thread ends.
        self.request.settimeout(server.idle_timeout)
        super().setup()
        # And a request that has begun must arrive whole within request_timeout.
        self.rfile.close()  # the socket's own file; the socket stays open
        self._reader = _DeadlineReader(self.request, server.idle_timeout)
        self._buffered = io.BufferedReader(self._reader)
        self.rfile = self._buffered

    def handle_one_request(self) -> None:
        server = self.server
        assert isinstance(server, HttpServer)
        reader = self._reader
        reader.deadline = None
        try:
            begun = self._buffered.peek(1)  # the first byte (or one already read): idle till then
        except TimeoutError as exc:
            self.log_error("Request timed out: %r", exc)
            self.close_connection = True
            return
        if not begun:  # the client closed the connection
            self.close_connection = True
            return
        reader.deadline = time.monotonic() + server.request_timeout
        try:
            super().handle_one_request()  # a timeout closes the connection
        finally:
            reader.deadline = None

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
        except _FramingError as exc:
            self.send_error(exc.status, exc.message)
            return
        try:
            response = self._service.answer(
                Request(
                    self.command,
                    self.path,
                    self.headers.get("Authorization"),
                    body,
                    self.headers.get("Content-Type"),
                )
            )
        except Exception as exc:  # a bad request must never take the server down
            traceback.print_exc(file=sys.stderr)
            message = f"Internal server error ({type(exc).__name__})"
            response = error_response(500, "INTERNAL", message)
        observer = self._service.on_exchange
        if observer is not None:
            # Before the write: once the client has its answer, the observer has seen it.
            headers = list(response.headers)
            if response.content_type is not None:
                headers.append(("Content-Type", response.content_type))
            exchange = Exchange(
                self.command,
                self.path,
                list(self.headers.items()),
                body,
                response.status,
                headers,
                response.body,
            )
            try:
                observer(exchange)
            except Exception:  # the observer's bug; the client still gets its answer
                traceback.print_exc(file=sys.stderr)
        self._write(response)

    def __getattr__(self, name: str) -> Any:
        # Every method (TRACE, PROPFIND, ...) is routed: a known path answers 405 with
        # Allow, as the contract expects, instead of http.server's 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _read_body(self) -> bytes:
        transfer_encoding = self.headers.get("Transfer-Encoding")
        if transfer_encoding is not None:
            if transfer_encoding.strip().lower() != "chunked":
                raise _FramingError(501, f"Unsupported Transfer-Encoding: {transfer_encoding}")
            return self._read_chunked()
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not (length.isascii() and length.isdigit()):
            raise _FramingError(400, "Invalid Content-Length")
        size = int(length)
        if size > MAX_BODY_SIZE:
            raise _FramingError(413, f"Request body larger than {MAX_BODY_SIZE} bytes")
        body = self.rfile.read(size)
        if len(body) != size:
            raise _FramingError(400, "Incomplete request body")
        return body

    def _read_chunked(self) -> bytes:
        chunks: List[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(MAX_LINE_SIZE)
            size_field = line.split(b";", 1)[0].strip()
            if not line.endswith(b"\n") or not size_field or not _HEX_DIGITS.issuperset(size_field):
                raise _FramingError(400, "Invalid chunked body")
            size = int(size_field, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY_SIZE:
                raise _FramingError(413, f"Request body larger than {MAX_BODY_SIZE} bytes")
            chunk = self.rfile.read(size)
            if len(chunk) != size or self.rfile.readline(MAX_LINE_SIZE).strip():
                raise _FramingError(400, "Invalid chunked body")
            chunks.append(chunk)
        while True:  # trailer fields, ignored
            line = self.rfile.readline(MAX_LINE_SIZE)
            if not line.endswith(b"\n"):
                raise _FramingError(400, "Invalid chunked body")
            if not line.strip():
                return b"".join(chunks)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        elif self.request_version == "HTTP/1.0":
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        super().send_response(code, message)
        self.send_header("X-Request-Id", uuid.uuid4().hex)
        with self._service.lock:
            self._service.requests_handled += 1

    def send_error(
        self, code: int, message: Optional[str] = None, explain: Optional[str] = None
    ) -> None:
        """Protocol-level errors (bad request line, framing...) as Error JSON; then close."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        error_code = "INTERNAL" if code == 500 else phrase.upper().replace(" ", "_")
        self._write(error_response(code, error_code, message or phrase))

    def log_message(self, format: str, *args: Any) -> None:
        if isinstance(self.server, HttpServer) and self.server.verbose:
            super().log_message(format, *args)


class HttpServer(ThreadingHTTPServer):
    """Tracks its connections and handler threads so ``stop()`` leaves none behind, and
    serves at most ``max_connections`` at once (a thread each)."""

    daemon_threads = True
    # handle_request() is only called once the listening socket is readable: never wait.
    timeout = 0.0
    # socketserver's backlog of 5 overflows when dozens of threads connect at once: the
    # kernel then drops SYNs (a 1 s retransmit each) and can reset connections.
    request_queue_size = 128

    def __init__(
        self,
        address: Tuple[str, int],
        service: Service,
        ssl_context: Optional[ssl.SSLContext],
        verbose: bool,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.service = service
        self.ssl_context = ssl_context
        self.verbose = verbose
        self.idle_timeout = idle_timeout
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        self._stopping = False
        self._tracking_lock = threading.Lock()
        self._connections: Set[socket.socket] = set()
        self._handler_threads: Set[threading.Thread] = set()
        self._wakeup_recv, self._wakeup_send = socket.socketpair()
        self._wakeup_send.setblocking(False)
        try:
            super().__init__(address, _Handler)
        except BaseException:
            self._close_wakeup()
            raise

    def serve_until_woken(self) -> None:
        """Like serve_forever(), but ``wake()`` ends it at once instead of at the next poll;
        while ``max_connections`` are open, new ones wait in the backlog."""
        with selectors.DefaultSelector() as selector:
            selector.register(self._wakeup_recv, selectors.EVENT_READ)
            accepting = False
            while True:
                with self._tracking_lock:
                    room = len(self._connections) < self.max_connections
                if room and not accepting:
                    selector.register(self, selectors.EVENT_READ)
                elif accepting and not room:
                    selector.unregister(self)
                accepting = room
                ready = selector.select()
                if any(key.fileobj is self._wakeup_recv for key, _ in ready):
                    self._wakeup_recv.recv(4096)
                    if self._stopping:
                        return
                    continue  # a connection closed: there may be room again
                self.handle_request()

    def wake(self) -> None:
        self._stopping = True
        self._notify()

    def _notify(self) -> None:
        with contextlib.suppress(OSError):  # full (it wakes anyway) or closed (stopped)
            self._wakeup_send.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._close_wakeup()

    def _close_wakeup(self) -> None:
        self._wakeup_recv.close()
        self._wakeup_send.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a reverse DNS lookup that can be slow.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> Tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        return sock, address

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name=f"LocalServer-connection-{client_address[1]}",
            daemon=True,
        )
        with self._tracking_lock:
            self._connections.add(request)
            self._handler_threads.add(thread)
        with self.service.lock:
            self.service.connections_opened += 1
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._tracking_lock:
                self._handler_threads.discard(threading.current_thread())

    def shutdown_request(self, request: Any) -> None:
        with self._tracking_lock:
            self._connections.discard(request)
        super().shutdown_request(request)
        self._notify()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Only connection-level failures (peer reset, TLS handshake) get here.
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Wake every handler thread blocked on an idle keep-alive connection."""
        with self._tracking_lock:
            connections = list(self._connections)
        for sock in connections:
            # The plain-socket shutdown, also for TLS: it only needs the descriptor.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def join_handler_threads(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._tracking_lock:
            threads = list(self._handler_threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class HttpServer6(HttpServer):
    address_family = socket.AF_INET6
