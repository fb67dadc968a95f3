"""Stand-ins for what the pure core reads: a clock, an answer, a transport."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeResponse:
    """What the pipeline reads of an answer: status, reason, headers, the body (``data``)."""

    def __init__(
        self,
        status: int = 200,
        body: Optional[bytes] = b"",
        headers: Optional[Mapping[str, str]] = None,
        reason: str = "",
        method: str = "GET",
        url: str = "https://api.example.com/v1/api/auth/me",
    ) -> None:
        self.status = status
        self.reason = reason
        self.data = body
        self.headers: Dict[str, str] = dict(headers or {})
        self.method = method
        self.url = url
        self.retry_note: Optional[str] = None
        self.deadline = None
        self.discarded = False
        self.response = self  # what ``*_without_preload_content`` hands over

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return default

    def getheaders(self) -> Dict[str, str]:
        return self.headers

    def get_redirect_location(self) -> bool:
        return False

    def read(self) -> Optional[bytes]:
        return self.data

    def discard(self) -> None:
        self.discarded = True


class FakeTransport:
    """Stands for the client's transport (``ApiClient.rest_client``): records each request
    and answers with the next of ``answers``."""

    def __init__(self, *answers: FakeResponse) -> None:
        self.answers = list(answers)
        self.requests: List[Dict[str, Any]] = []

    def send(self, request: Any) -> FakeResponse:
        """One attempt of a ``PreparedRequest``: recorded as sent, its JSON body decoded."""
        body = None if request.body is None else json.loads(request.body)
        self.requests.append(
            {
                "method": request.method,
                "url": request.url,
                "headers": request.headers,
                "body": body,
                "request": request,
            }
        )
        answer = self.answers.pop(0)
        answer.method, answer.url = request.method, request.url
        return answer

    def close(self) -> None:
        pass

    @property
    def last(self) -> Dict[str, Any]:
        return self.requests[-1]


def client_with(configuration: Any, *answers: FakeResponse) -> Any:
    """An ``ApiClient`` of ``configuration`` whose requests ``FakeTransport`` answers."""
    import numind.openapi_client as sdk

    client = sdk.ApiClient(configuration)
    client.rest_client = FakeTransport(*answers)  # type: ignore[assignment]
    return client


def json_answer(body: bytes, status: int = 200, **headers: str) -> FakeResponse:
    return FakeResponse(status, body, {"Content-Type": "application/json", **headers})
