"""The benchmark server: canned answers over keep-alive HTTP/1.1, in its own process.

``python benchmarks/_server.py`` prints ``PORT <n>`` on stdout, then answers on
``127.0.0.1:<n>`` until its stdin closes. Each ``stats`` line written to its stdin is answered
with one JSON line ``{"connections": ..., "requests": ...}``: TCP connections accepted and
requests answered since start. The runner reads the counts this way, so that asking for
them opens no connection of its own.

It is stdlib only (asyncio) and does no more per request than find the canned bytes, so
that the server costs the client's wall time as little as possible. The answers have the
shapes of the real API: ``GET /v1/api/auth/me`` (a ``User``), ``GET /v1/api/auth/user-tokens``
(1,000 ``UserTokenResponse``), ``POST /v1/api/auth/user-tokens`` (one ``UserTokenResponse``).
A request without an ``Authorization`` header gets a 401, any other path a 404.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Dict, Optional, Tuple

USER_TOKENS = 1000


def _token(i: int) -> Dict[str, str]:
    return {
        "id": f"6f1c2a4e-0000-4000-8000-{i:012d}",
        "name": f"service key {i}",
        "token": f"nu_ut_{i:08d}_3c9d7b1e5a2f4068b1d97e0c5a3f2b18",
        "userId": "0d6b9a1e-5c3f-4e27-9b8a-2f1d6c4e7a90",
        "createdAt": "2026-11-29T10:00:00Z",
        "expiresAt": "2027-11-29T10:00:00Z",
    }


def _answer(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Server: numind-bench\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


ME = _answer("200 OK", _dumps({"email": "bench@example.com"}))
USER_TOKENS_LIST = _answer("200 OK", _dumps([_token(i) for i in range(USER_TOKENS)]))
CREATED = _answer("200 OK", _dumps(_token(USER_TOKENS)))
UNAUTHORIZED = _answer("401 Unauthorized", _dumps({"code": "unauthorized", "message": "no"}))
NOT_FOUND = _answer("404 Not Found", _dumps({"code": "not_found", "message": "no route"}))
ROUTES: Dict[Tuple[str, str], bytes] = {
    ("GET", "/v1/api/auth/me"): ME,
    ("GET", "/v1/api/auth/user-tokens"): USER_TOKENS_LIST,
    ("POST", "/v1/api/auth/user-tokens"): CREATED,
}

stats = {"connections": 0, "requests": 0}


class _Connection(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stats["connections"] += 1
        self.transport: Optional[asyncio.Transport] = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = self.buffer[:end].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = 0
            authorized = False
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "authorization":
                    authorized = True
            if len(self.buffer) < end + 4 + length:
                return  # the body is still on its way
            self.buffer = self.buffer[end + 4 + length :]
            stats["requests"] += 1
            answer = ROUTES.get((method, target), NOT_FOUND) if authorized else UNAUTHORIZED
            assert self.transport is not None
            self.transport.write(answer)


def _control(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    for line in sys.stdin:
        if line.strip() == "stats":
            sys.stdout.write(json.dumps(stats) + "\n")
            sys.stdout.flush()
    loop.call_soon_threadsafe(stop.set)


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, "127.0.0.1", 0, backlog=64)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    stop = asyncio.Event()
    threading.Thread(target=_control, args=(loop, stop), daemon=True).start()
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
