"""The loopback side of a sign-in: the one-shot listener on 127.0.0.1 that receives the
browser's redirect (answering only this machine's user who started the sign-in, told by
``/proc/net/tcp``), and paste mode's reserved port, held but never listened on."""

from __future__ import annotations

import contextlib
import html
import io
import logging
import os
import secrets
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn
from typing import Any, ClassVar, Dict, List, Optional, Set, Tuple
from urllib.parse import parse_qs, urlsplit

from ._errors import LoginError
from ._redirect import CALLBACK_PATH, STATE_MISMATCH, code_from_redirect, state_matches

logger = logging.getLogger("numind.openapi_client")

#: Seconds that one connection to the sign-in listener has to send its request.
CONNECTION_TIMEOUT = 10.0
#: Redirects with a wrong ``state`` after which the listener gives up: someone is trying.
MAX_WRONG_STATES = 3
#: Paste mode picks its port at random from the dynamic range (RFC 6335).
PASTE_PORTS = range(49152, 65536)
_MAX_CONNECTIONS = 16
#: Connections whose peer is being checked; more are closed unanswered.
_MAX_UNVERIFIED = 64
#: Other loopback addresses (127.0.0.2 ...) that paste mode falls back to.
_FALLBACK_HOSTS = 8
_MAX_REQUEST_HEAD = 16384

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>NuExtract sign-in</title>"
    "</head><body><h1>{title}</h1><p>{text}</p></body></html>"
)


class ReservedPort:
    """Paste mode's redirect URI: a port of 127.0.0.1 picked at random, never twice in a
    process, and held (bound, never listening) while the sign-in lasts, so that no other
    user of this machine can listen there and catch the code."""

    _used: ClassVar[Set[Tuple[str, int]]] = set()
    _used_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self) -> None:
        #: What paste mode had to fall back to when its ports were taken (None: no need).
        self.fallback: Optional[str] = None
        #: The sentence that says so, for the user.
        self.note: Optional[str] = None
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # No SO_REUSEADDR (nor SO_REUSEPORT): while bound, no one else can bind it.
            host, port = "127.0.0.1", self._bind_random("127.0.0.1")
            if port is None:
                # Another program (maybe another user) holds the range: any free port of
                # the ephemeral range, then the range on other loopback addresses.
                host, port = "127.0.0.1", self._bind("127.0.0.1", 0)
                if port is not None:
                    self.fallback = f"port {port} of the ephemeral range"
            for last in range(2, 2 + _FALLBACK_HOSTS):
                if port is not None:
                    break
                host = f"127.0.0.{last}"
                port = self._bind_random(host)
                if port is not None:
                    self.fallback = f"address {host}"
            if port is None:
                raise LoginError("No free port for the paste-mode redirect: try again")
        except BaseException:
            self._socket.close()
            raise
        self.redirect_uri = f"http://{host}:{port}{CALLBACK_PATH}"
        if self.fallback is not None:
            self.note = (
                f"The paste-mode ports {PASTE_PORTS[0]}-{PASTE_PORTS[-1]} of 127.0.0.1 are "
                f"all taken (another program may be holding them): using {self.fallback} "
                "for the redirect instead."
            )

    def _bind_random(self, host: str) -> Optional[int]:
        for _ in range(100):
            port = PASTE_PORTS[secrets.randbelow(len(PASTE_PORTS))]
            if self._bind(host, port) is not None:
                return port
        return None

    def _bind(self, host: str, port: int) -> Optional[int]:
        """Bind to ``port`` (0: any) of ``host``: the port, or None when taken or used."""
        with self._used_lock:
            if (host, port) in self._used:
                return None
            try:
                self._socket.bind((host, port))
            except OSError:
                return None  # someone (maybe someone hostile) has it: pick another
            bound = self._socket.getsockname()[1]
            if (host, bound) in self._used:  # the ephemeral range gave a port used before
                self._socket.close()
                self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                return None
            self._used.add((host, bound))
            return int(bound)

    def __enter__(self) -> ReservedPort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._socket.close()


# -- the listener --------------------------------------------------------------------------


class _ListenerServer(ThreadingMixIn, HTTPServer):
    daemon_threads = True
    # A flood of connections waits in the kernel's queue, not in front of the browser's.
    request_queue_size = 1024

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        super().__init__(("127.0.0.1", 0), _ListenerHandler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        # Only counted here: whose connection it is, is told in its own thread, so the
        # accept loop never waits on that lookup.
        return self.listener.admit(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._check_then_process,
            args=(request, client_address),
            name="numind-login-connection",
            daemon=True,
        )
        self.listener.track(request, thread)
        try:
            thread.start()
        except BaseException:
            self.listener.verified(request, refused=True)
            self.shutdown_request(request)
            raise

    def _check_then_process(self, request: Any, client_address: Any) -> None:
        if not self.listener.check(request):
            self.shutdown_request(request)
            return
        self.process_request_thread(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        self.listener.untrack(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # e.g. a browser's idle pre-connection timing out: not the user's problem
        logger.debug("sign-in listener: a connection failed", exc_info=True)


class _ListenerHandler(BaseHTTPRequestHandler):
    server: _ListenerServer  # pyright: ignore[reportIncompatibleVariableOverride]

    def handle(self) -> None:
        # The request head is read here, against one deadline for the whole connection:
        # a client that sends a byte every few seconds is cut off, not waited for.
        head = self._read_head()
        if head is None:
            self.close_connection = True
            return
        self.rfile.close()
        self.rfile = io.BytesIO(head)
        self.connection.settimeout(CONNECTION_TIMEOUT)  # for writing the answer
        self.handle_one_request()

    def _read_head(self) -> Optional[bytes]:
        deadline = min(time.monotonic() + CONNECTION_TIMEOUT, self.server.listener.deadline)
        head = b""
        while b"\r\n\r\n" not in head and b"\n\n" not in head:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or len(head) > _MAX_REQUEST_HEAD:
                return None
            self.connection.settimeout(remaining)
            try:
                chunk = self.connection.recv(4096)
            except OSError:
                return None
            if not chunk:
                return None
            head += chunk
        return head

    def do_GET(self) -> None:
        self.server.listener.handle(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line holds the code


class Listener:
    """A one-shot HTTP listener on 127.0.0.1 for the browser's redirect.

    It serves a one-time start path (a redirect to the sign-in page) and the callback,
    each connection in a thread of its own with a deadline, so a slow or idle connection
    holds up neither the real redirect nor the end of the wait.
    """

    def __init__(self, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        self._timeout = timeout
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._result: Optional[Tuple[Optional[str], Optional[LoginError]]] = None
        self._authorization_url: Optional[str] = None
        self._state: Optional[str] = None
        self._start_path = "/" + secrets.token_urlsafe(24)
        self._started = False
        self._connections: Dict[Any, threading.Thread] = {}
        self.wrong_states = 0
        self.other_users = 0
        self.dropped = 0
        self._unverified = 0
        self._pending: Set[Any] = set()
        self._server = _ListenerServer(self)
        port = self._server.server_port
        self.redirect_uri = f"http://127.0.0.1:{port}{CALLBACK_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="numind-login-listener",
            daemon=True,
        )

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            # Wakes a handler blocked on a slow client; it then closes its socket.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        end = time.monotonic() + 1.0
        for thread in connections.values():
            thread.join(max(0.0, end - time.monotonic()))

    def expect(self, authorization_url: str, state: str) -> str:
        """The one-time link for the browser, which redirects once to ``authorization_url``."""
        self._authorization_url, self._state = authorization_url, state
        return f"http://127.0.0.1:{self._server.server_port}{self._start_path}"

    # -- connections (called by the server)

    def admit(self, connection: socket.socket) -> bool:
        """In the accept loop, and cheap: False (the connection is closed unanswered) when
        too many connections are waiting for their peer check already."""
        with self._lock:
            if self._unverified >= _MAX_UNVERIFIED:
                self.dropped += 1
                return False
            self._unverified += 1
            self._pending.add(connection)
        return True

    def check(self, connection: socket.socket) -> bool:
        """In the connection's thread: whether to serve it (another user's is refused)."""
        if _peer_is_another_user(connection):
            self.verified(connection, refused=True)
            with self._lock:
                self.other_users += 1
            _refuse_other_user(connection)
            return False
        return self.verified(connection, refused=False)

    def verified(self, connection: socket.socket, *, refused: bool) -> bool:
        with self._lock:
            if connection in self._pending:
                self._pending.discard(connection)
                self._unverified -= 1
            if refused:
                return False
            served = len(self._connections) - self._unverified
            return served <= _MAX_CONNECTIONS

    def track(self, connection: socket.socket, thread: threading.Thread) -> None:
        with self._lock:
            self._connections[connection] = thread

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)
            if connection in self._pending:
                self._pending.discard(connection)
                self._unverified -= 1

    # -- requests

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        with self._lock:
            answer = self._decide(parts.path, parse_qs(parts.query))
        status, title, text, location = answer
        try:
            if location is not None:
                _redirect(request, location)
            else:
                _answer(request, status, title, text)
        finally:
            # Only now: the browser gets its page before the listener closes.
            if self._result is not None:
                self._done.set()

    def _decide(
        self, path: str, query: Dict[str, List[str]]
    ) -> Tuple[int, str, str, Optional[str]]:
        """What to answer (status, title, text, redirect location); called with the lock."""
        if self._result is not None or self._authorization_url is None:
            return 404, "Not found", "This is the NuExtract sign-in listener.", None
        if path == self._start_path:
            if self._started:
                self._finish(
                    None,
                    LoginError(
                        "The sign-in link was opened twice, so another program may have "
                        "opened it first to sign you in to an account of its choosing. "
                        "Nothing was signed in: run the login again"
                    ),
                )
                return 400, "Sign-in link used already", "This link works once.", None
            self._started = True
            return 302, "", "", self._authorization_url
        if path != CALLBACK_PATH:
            return 404, "Not found", "This is the NuExtract sign-in listener.", None
        if not state_matches(query, self._state):
            # Not ours (a stale tab, or a forged link): refuse it, and stop after a few.
            self.wrong_states += 1
            if self.wrong_states >= MAX_WRONG_STATES:
                self._finish(
                    None,
                    LoginError(
                        f"The sign-in got {self.wrong_states} redirects with a wrong state: "
                        "someone may be trying to sign you in to their account. Nothing was "
                        "signed in: run the login again"
                    ),
                )
            return 400, "Sign-in link not recognised", STATE_MISMATCH, None
        try:
            code = code_from_redirect(query, self._state)
        except LoginError as exc:
            self._finish(None, exc)
            return 400, "Sign-in failed", str(exc), None
        self._finish(code, None)
        return 200, "Signed in", "You can close this tab and return to your program.", None

    def _finish(self, code: Optional[str], error: Optional[LoginError]) -> None:
        self._result = (code, error)

    def wait(self) -> str:
        if not self._done.wait(max(0.0, self.deadline - time.monotonic())):
            notes: List[str] = []
            if self.wrong_states:
                notes.append(f"{self.wrong_states} redirect(s) with a mismatched state")
            if self.other_users:
                notes.append(f"{self.other_users} connection(s) of other users")
            extra = f" ({' and '.join(notes)} were refused)" if notes else ""
            if self._started:
                raise LoginError(
                    f"No sign-in within {self._timeout:g} seconds{extra}: the browser opened "
                    "the sign-in page but was never sent back here. If the page shows an "
                    'error (such as "Invalid parameter: redirect_uri"), the server refused '
                    "this sign-in; otherwise run the login again (a longer timeout gives more "
                    "time)"
                )
            raise LoginError(
                f"No sign-in within {self._timeout:g} seconds{extra}: run the login again, "
                "or use paste mode (`numind auth login --paste`) on a remote machine"
            )
        assert self._result is not None
        code, error = self._result
        if error is not None:
            raise error
        assert code is not None
        return code


def _peer_is_another_user(connection: socket.socket) -> bool:
    """True when the other end of this loopback connection is a socket of another user of
    this machine (Linux: asked of the kernel by the exact address with netlink
    ``sock_diag``, else looked up in ``/proc/net/tcp``; False where that cannot be told).

    A socket that no process holds any more (inode 0: closed, or in TIME_WAIT, shown as
    root's) counts as another user's: a browser waits for the answer.
    """
    try:
        peer = connection.getpeername()
        local = connection.getsockname()
    except OSError:
        return True  # gone already
    owner = _owner_by_netlink(peer, local)
    if owner is None:
        owner = _owner_by_proc(peer, local)
    if owner is None:
        return False
    uid, inode = owner
    return inode == 0 or uid not in (os.geteuid(), 0)


_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLMSG_ERROR = 2
_NLM_F_REQUEST = 1
_NETLINK_TIMEOUT = 1.0


def _owner_by_netlink(peer: Tuple[Any, ...], local: Tuple[Any, ...]) -> Optional[Tuple[int, int]]:
    """(uid, inode) of the socket at ``peer`` connected to ``local``, asked of the kernel
    for that one socket (``inet_diag_req_v2`` without NLM_F_DUMP); None where netlink
    ``sock_diag`` is not available or does not know it."""
    family = getattr(socket, "AF_NETLINK", None)
    if family is None:
        return None
    for inet in (socket.AF_INET, socket.AF_INET6):
        try:
            sockid = (
                struct.pack("!HH", peer[1], local[1])
                + _diag_address(inet, str(peer[0]))
                + _diag_address(inet, str(local[0]))
                + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)  # any interface, no cookie
            )
            request = struct.pack("=BBBBI", inet, socket.IPPROTO_TCP, 0, 0, 0xFFFFFFFF) + sockid
            header = struct.pack(
                "=IHHII", 16 + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0
            )
            with socket.socket(family, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as diag:
                diag.settimeout(_NETLINK_TIMEOUT)
                diag.sendall(header + request)
                reply = diag.recv(65536)
        except (OSError, ValueError, struct.error):
            return None
        if len(reply) < 16:
            return None
        length, kind = struct.unpack_from("=IH", reply)
        if kind == _NLMSG_ERROR:
            continue  # e.g. ENOENT: not in this family's table
        # struct inet_diag_msg: family, state, timer, retrans, sockid (48 bytes), expires,
        # rqueue, wqueue, uid, inode
        if kind != _SOCK_DIAG_BY_FAMILY or length < 16 + 72 or len(reply) < 16 + 72:
            return None
        uid, inode = struct.unpack_from("=II", reply, 16 + 64)
        return uid, inode
    return None


def _diag_address(inet: int, host: str) -> bytes:
    # 16 bytes in network order: an IPv4 address first, or the IPv4-mapped IPv6 address.
    if inet == socket.AF_INET:
        return socket.inet_aton(host) + bytes(12)
    return socket.inet_pton(socket.AF_INET6, "::ffff:" + host)


def _owner_by_proc(peer: Tuple[Any, ...], local: Tuple[Any, ...]) -> Optional[Tuple[int, int]]:
    """(uid, inode) from ``/proc/net/tcp`` (and ``tcp6``): only lines that end with the
    peer's address are split, and the scan stops at the first match."""
    expected = [
        ("/proc/net/tcp", _proc_address(peer, ipv6=False), _proc_address(local, ipv6=False)),
        ("/proc/net/tcp6", _proc_address(peer, ipv6=True), _proc_address(local, ipv6=True)),
    ]
    for table, peer_address, local_address in expected:
        needle = f" {peer_address} {local_address} "
        try:
            with open(table, encoding="ascii") as lines:
                next(lines, None)
                for line in lines:
                    if needle not in line:
                        continue
                    fields = line.split()
                    if fields[1:3] == [peer_address, local_address]:
                        return int(fields[7]), int(fields[9])
        except (OSError, ValueError, IndexError):
            continue
    return None


def _proc_address(address: Tuple[Any, ...], *, ipv6: bool) -> str:
    # /proc/net/tcp prints addresses as 32-bit words in host byte order, ports in hex.
    host, port = address[0], address[1]
    if ipv6:
        words = struct.unpack("=4I", socket.inet_pton(socket.AF_INET6, "::ffff:" + host))
        return "".join(f"{word:08X}" for word in words) + f":{port:04X}"
    (word,) = struct.unpack("=I", socket.inet_aton(host))
    return f"{word:08X}:{port:04X}"


def _refuse_other_user(connection: socket.socket) -> None:
    body = _PAGE.format(
        title="Not your sign-in",
        text="This sign-in listener answers only the user who started the sign-in.",
    ).encode()
    head = (
        "HTTP/1.0 403 Forbidden\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    connection.settimeout(1.0)
    with contextlib.suppress(OSError):
        connection.sendall(head + body)


def _redirect(request: BaseHTTPRequestHandler, location: str) -> None:
    request.send_response(302)
    request.send_header("Location", location)
    request.send_header("Content-Length", "0")
    request.send_header("Cache-Control", "no-store")
    request.send_header("Referrer-Policy", "no-referrer")
    request.end_headers()


def _answer(request: BaseHTTPRequestHandler, status: int, title: str, text: str) -> None:
    body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
    request.send_response(status)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.send_header("Cache-Control", "no-store")
    request.end_headers()
    request.wfile.write(body)
