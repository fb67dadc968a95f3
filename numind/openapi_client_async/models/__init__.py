"""The models: the sync package's own, shared by both clients; loaded on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numind.openapi_client.models.create_or_update_user_token import (
        CreateOrUpdateUserToken,
        CreateOrUpdateUserTokenDict,
    )
    from numind.openapi_client.models.error import Error
    from numind.openapi_client.models.token_code_request import (
        TokenCodeRequest,
        TokenCodeRequestDict,
    )
    from numind.openapi_client.models.token_refresh_request import (
        TokenRefreshRequest,
        TokenRefreshRequestDict,
    )
    from numind.openapi_client.models.token_request import TokenRequest, TokenRequestDict
    from numind.openapi_client.models.token_response import TokenResponse
    from numind.openapi_client.models.user import User
    from numind.openapi_client.models.user_token_response import UserTokenResponse

__all__ = [
    "CreateOrUpdateUserToken",
    "CreateOrUpdateUserTokenDict",
    "Error",
    "TokenCodeRequest",
    "TokenCodeRequestDict",
    "TokenRefreshRequest",
    "TokenRefreshRequestDict",
    "TokenRequest",
    "TokenRequestDict",
    "TokenResponse",
    "User",
    "UserTokenResponse",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module("numind.openapi_client.models"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
