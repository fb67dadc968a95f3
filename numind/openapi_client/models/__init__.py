"""The models of the API, one module each, and the dict forms of the request models
(``...Dict``: ``TypedDict``s with the wire names); loaded on first use."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .create_or_update_user_token import CreateOrUpdateUserToken, CreateOrUpdateUserTokenDict
    from .error import Error
    from .token_code_request import TokenCodeRequest, TokenCodeRequestDict
    from .token_refresh_request import TokenRefreshRequest, TokenRefreshRequestDict
    from .token_request import TokenRequest, TokenRequestDict
    from .token_response import TokenResponse
    from .user import User
    from .user_token_response import UserTokenResponse

#: public model name -> the module that defines it
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
#: the dict form of each request model (wire names) -> the module of its model
DICT_MODULES = {
    "CreateOrUpdateUserTokenDict": "create_or_update_user_token",
    "TokenCodeRequestDict": "token_code_request",
    "TokenRefreshRequestDict": "token_refresh_request",
    "TokenRequestDict": "token_request",
}

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

# Hidden from type checkers, which would otherwise take any name for one that exists (as
# Any): they see exactly the names imported above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = MODEL_MODULES.get(name) or DICT_MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
