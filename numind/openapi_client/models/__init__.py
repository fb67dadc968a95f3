"""The models of the API, one module each; loaded on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .create_or_update_user_token import CreateOrUpdateUserToken
    from .error import Error
    from .token_code_request import TokenCodeRequest
    from .token_refresh_request import TokenRefreshRequest
    from .token_request import TokenRequest
    from .token_response import TokenResponse
    from .user import User
    from .user_token_response import UserTokenResponse

#: public name -> the module that defines it
MODEL_MODULES = {
    "CreateOrUpdateUserToken": "create_or_update_user_token",
    "Error": "error",
    "TokenCodeRequest": "token_code_request",
    "TokenRefreshRequest": "token_refresh_request",
    "TokenRequest": "token_request",
    "TokenResponse": "token_response",
    "User": "user",
    "UserTokenResponse": "user_token_response",
}

__all__ = [
    "CreateOrUpdateUserToken",
    "Error",
    "TokenCodeRequest",
    "TokenRefreshRequest",
    "TokenRequest",
    "TokenResponse",
    "User",
    "UserTokenResponse",
]


def __getattr__(name: str) -> Any:
    module = MODEL_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
