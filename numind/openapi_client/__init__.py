"""NuExtract API client.

The public names below are loaded on first use, so that ``import numind.openapi_client``
costs little more than its dependencies. Start with::

    import numind.openapi_client

    configuration = numind.openapi_client.Configuration()   # reads NUMIND_API_KEY
    with numind.openapi_client.ApiClient(configuration) as api_client:
        api = numind.openapi_client.AuthenticationApi(api_client)
        print(api.get_api_auth_me().email)
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any

from numind import __version__

# NUMIND_LOG=debug|info|warning: the SDK's log on stderr, from the start (as OPENAI_LOG).
# Looked at first, so that without it the import costs what it did (no logging module).
if os.environ.get("NUMIND_LOG"):
    from ._logging import log_from_environment

    log_from_environment()

if TYPE_CHECKING:
    from ._hooks import AttemptRequest, AttemptResponse, EventHooks
    from ._retry import RetryPolicy
    from ._token_provider import AsyncTokenProvider, TokenProvider
    from ._types import RequestOptions
    from .api.authentication_api import AuthenticationApi
    from .api_client import ApiClient
    from .api_response import ApiResponse
    from .auth import (
        CredentialStoreError,
        InvalidCredentialFileError,
        LoginError,
        LoginRequiredError,
        LogoutError,
        SessionNotRevokedWarning,
    )
    from .configuration import Configuration
    from .exceptions import (
        ApiAttributeError,
        ApiConnectionError,
        ApiException,
        ApiKeyError,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        BadRequestException,
        ConflictException,
        ForbiddenException,
        NotFoundException,
        OpenApiException,
        ServiceException,
        TooManyRequestsException,
        UnauthorizedException,
        UnprocessableEntityException,
    )
    from .models.create_or_update_user_token import (
        CreateOrUpdateUserToken,
        CreateOrUpdateUserTokenDict,
    )
    from .models.error import Error
    from .models.token_code_request import TokenCodeRequest, TokenCodeRequestDict
    from .models.token_refresh_request import TokenRefreshRequest, TokenRefreshRequestDict
    from .models.token_request import TokenRequest, TokenRequestDict
    from .models.token_response import TokenResponse
    from .models.user import User
    from .models.user_token_response import UserTokenResponse

__all__ = [
    "__version__",
    "ApiAttributeError",
    "ApiClient",
    "ApiConnectionError",
    "ApiException",
    "ApiKeyError",
    "ApiResponse",
    "ApiTimeoutError",
    "ApiTypeError",
    "ApiValueError",
    "AsyncTokenProvider",
    "AttemptRequest",
    "AttemptResponse",
    "AuthenticationApi",
    "BadRequestException",
    "Configuration",
    "ConflictException",
    "CreateOrUpdateUserToken",
    "CreateOrUpdateUserTokenDict",
    "CredentialStoreError",
    "Error",
    "EventHooks",
    "ForbiddenException",
    "InvalidCredentialFileError",
    "LoginError",
    "LoginRequiredError",
    "LogoutError",
    "NotFoundException",
    "OpenApiException",
    "RequestOptions",
    "RetryPolicy",
    "ServiceException",
    "SessionNotRevokedWarning",
    "TokenCodeRequest",
    "TokenCodeRequestDict",
    "TokenProvider",
    "TokenRefreshRequest",
    "TokenRefreshRequestDict",
    "TokenRequest",
    "TokenRequestDict",
    "TokenResponse",
    "TooManyRequestsException",
    "UnauthorizedException",
    "UnprocessableEntityException",
    "User",
    "UserTokenResponse",
]

_MODULES = {
    "AuthenticationApi": ".api.authentication_api",
    "ApiClient": ".api_client",
    "ApiResponse": ".api_response",
    "Configuration": ".configuration",
    "RetryPolicy": "._retry",
    "AsyncTokenProvider": "._token_provider",
    "TokenProvider": "._token_provider",
    "RequestOptions": "._types",
    "AttemptRequest": "._hooks",
    "AttemptResponse": "._hooks",
    "EventHooks": "._hooks",
    # the errors of signing in, where ``auth`` declares them
    "CredentialStoreError": ".auth",
    "InvalidCredentialFileError": ".auth",
    "LoginError": ".auth",
    "LoginRequiredError": ".auth",
    "LogoutError": ".auth",
    "SessionNotRevokedWarning": ".auth",
}


def _module_of(name: str) -> str:
    if name in _MODULES:
        return _MODULES[name]
    from . import exceptions  # small, and loaded only on the first lookup

    return ".exceptions" if name in exceptions.__all__ else ".models"


# Hidden from type checkers, which would otherwise take any name for one that exists (as
# Any), a misspelt import too: they see exactly the names imported above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in __all__ or name == "__version__":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(_module_of(name), __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
