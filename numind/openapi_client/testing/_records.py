"""What the local server keeps: sign-in codes, sessions, access tokens and API keys, as
plain records (``ApiRules`` decides what they mean)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, NamedTuple, Optional, Set

__all__ = [
    "AccessToken",
    "Call",
    "Code",
    "Principal",
    "Session",
    "UserToken",
    "iso8601",
    "user_id_of",
]


class Principal(NamedTuple):
    email: str
    user_id: str


@dataclass
class Code:
    email: str
    redirect_uri: str
    expires_at: float


@dataclass
class Session:
    id: str
    email: str
    refresh_token: str = ""
    refresh_expires_at: float = 0.0
    access_tokens: Set[str] = field(default_factory=set[str])


@dataclass
class AccessToken:
    session_id: str
    email: str
    expires_at: float


@dataclass
class UserToken:
    id: str
    name: str
    secret: str
    email: str
    user_id: str
    created_at: int
    expires_at: int

    def to_json(self) -> Dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "token": self.secret,
            "userId": self.user_id,
            "createdAt": iso8601(self.created_at),
            "expiresAt": iso8601(self.expires_at),
        }


class Call(NamedTuple):
    params: Dict[str, str]
    query: str
    body: bytes
    principal: Optional[Principal]
    now: float


def iso8601(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def user_id_of(email: str) -> str:
    # Derived from the email so that a user keeps the same id across servers.
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "local-server:user:" + email))
