"""The floor: the least a Python client on urllib3 + pydantic can do for each call.

One ``urllib3.PoolManager``, the headers a real call needs, and one pydantic
``TypeAdapter(...).validate_json`` of the body: no argument checks, no error mapping,
no options. Any SDK on this stack pays at least this much per call; ``run.py`` measures
the SDK against it. ``AsyncFloor`` is the same on asyncio: one ``aiohttp.ClientSession``
with its defaults, against which the async client is measured. Run it alone against any
server of the API::

    python benchmarks/floor.py http://127.0.0.1:8000/v1 ACCESS_TOKEN
"""

from __future__ import annotations

import json
import sys
from typing import Any, List

import urllib3
from pydantic import BaseModel, Field, TypeAdapter


class User(BaseModel):
    email: str


class UserTokenResponse(BaseModel):
    id: str
    name: str
    token: str
    user_id: str = Field(alias="userId")
    created_at: str = Field(alias="createdAt")
    expires_at: str = Field(alias="expiresAt")


USER = TypeAdapter(User)
USER_TOKEN = TypeAdapter(UserTokenResponse)
USER_TOKENS = TypeAdapter(List[UserTokenResponse])


class Floor:
    """The three benchmarked calls, written by hand."""

    def __init__(self, base_url: str, access_token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = urllib3.PoolManager()
        self.get_headers = {"Accept": "application/json", "Authorization": f"Bearer {access_token}"}
        self.post_headers = dict(self.get_headers, **{"Content-Type": "application/json"})

    def get_me(self) -> User:
        response = self.http.request(
            "GET", self.base_url + "/api/auth/me", headers=self.get_headers
        )
        return USER.validate_json(response.data)

    def list_user_tokens(self) -> List[UserTokenResponse]:
        url = self.base_url + "/api/auth/user-tokens"
        response = self.http.request("GET", url, headers=self.get_headers)
        return USER_TOKENS.validate_json(response.data)

    def create_user_token(self, name: str) -> UserTokenResponse:
        url = self.base_url + "/api/auth/user-tokens"
        body = json.dumps({"name": name}).encode("utf-8")
        response = self.http.request("POST", url, body=body, headers=self.post_headers)
        return USER_TOKEN.validate_json(response.data)

    def close(self) -> None:
        self.http.clear()


class AsyncFloor:
    """The async calls, written by hand on one ``aiohttp.ClientSession`` (made inside the
    running loop, as aiohttp wants)."""

    def __init__(self, base_url: str, access_token: str, timeouts: bool = False) -> None:
        import aiohttp  # only the async rows need it

        self.base_url = base_url.rstrip("/")
        # ``timeouts``: the SDK's default bounds (60 s per call, 10 s to connect, 20 s per
        # wait for data) as aiohttp's own, for a floor with the same protection.
        timeout = aiohttp.ClientTimeout(total=60, sock_connect=10, sock_read=20)
        self.session = (
            aiohttp.ClientSession(timeout=timeout) if timeouts else aiohttp.ClientSession()
        )
        self.get_headers = {"Accept": "application/json", "Authorization": f"Bearer {access_token}"}
        self.post_headers = dict(self.get_headers, **{"Content-Type": "application/json"})

    async def get_me(self) -> User:
        url = self.base_url + "/api/auth/me"
        async with self.session.get(url, headers=self.get_headers) as response:
            return USER.validate_json(await response.read())

    async def list_user_tokens(self) -> List[UserTokenResponse]:
        url = self.base_url + "/api/auth/user-tokens"
        async with self.session.get(url, headers=self.get_headers) as response:
            return USER_TOKENS.validate_json(await response.read())

    async def create_user_token(self, name: str) -> UserTokenResponse:
        url = self.base_url + "/api/auth/user-tokens"
        body = json.dumps({"name": name}).encode("utf-8")
        async with self.session.post(url, data=body, headers=self.post_headers) as response:
            return USER_TOKEN.validate_json(await response.read())

    async def close(self) -> Any:
        await self.session.close()


if __name__ == "__main__":
    floor = Floor(sys.argv[1], sys.argv[2])
    print(floor.get_me())
    print(len(floor.list_user_tokens()), "user tokens")
    print(floor.create_user_token("floor"))
