"""NuExtract API client for asyncio: the twin of ``numind.openapi_client``, on aiohttp.

Change one import and add ``await``::

    import numind.openapi_client_async as nuextract

    async def main() -> None:
        configuration = nuextract.Configuration()  # reads NUMIND_API_KEY
        async with nuextract.ApiClient(configuration) as api_client:
            api = nuextract.AuthenticationApi(api_client)
            print((await api.get_api_auth_me()).email)

``ApiClient``, ``AuthenticationApi`` and ``rest`` are this package's own. Every other name
is the sync package's own object, not a copy: ``Configuration``, the models, the
exceptions, ``ApiResponse``, ``RetryPolicy``. Needs aiohttp: the ``async`` extra
(``pip install ".[async]"`` in a checkout of this SDK; ``numind`` on PyPI is another package).
The names are loaded on first use, as in the sync package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

try:
    import aiohttp  # noqa: F401  # pyright: ignore[reportUnusedImport]  (its absence, with the fix)
except ImportError as exc:  # pragma: no cover - run in a subprocess by the tests
    raise ImportError(
        "numind.openapi_client_async needs aiohttp, which is not installed: "
        'pip install ".[async]" in a checkout of this SDK (the numind on PyPI is another package)'
    ) from exc

from numind import __version__

if TYPE_CHECKING:
    from numind.openapi_client import (
        ApiAttributeError,
        ApiConnectionError,
        ApiException,
        ApiKeyError,
        ApiResponse,
        ApiTimeoutError,
        ApiTypeError,
        ApiValueError,
        AsyncTokenProvider,
        AttemptRequest,
        AttemptResponse,
        BadRequestException,
        Configuration,
        ConflictException,
        CreateOrUpdateUserToken,
        CreateOrUpdateUserTokenDict,
        CredentialStoreError,
        Error,
        EventHooks,
        ForbiddenException,
        InvalidCredentialFileError,
        LoginError,
        LoginRequiredError,
        LogoutError,
        NotFoundException,
        OpenApiException,
        RequestOptions,
        RetryPolicy,
        ServiceException,
        SessionNotRevokedWarning,
        TokenCodeRequest,
        TokenCodeRequestDict,
        TokenProvider,
        TokenRefreshRequest,
        TokenRefreshRequestDict,
        TokenRequest,
        TokenRequestDict,
        TokenResponse,
        TooManyRequestsException,
        UnauthorizedException,
        UnprocessableEntityException,
        User,
        UserTokenResponse,
    )

    from .api.authentication_api import AuthenticationApi
    from .api_client import ApiClient

# The same names as numind.openapi_client's (test_async_surface.py checks it).
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

_OWN = {"ApiClient": ".api_client", "AuthenticationApi": ".api.authentication_api"}


# Hidden from type checkers, which see exactly the names imported above.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in __all__ or name == "__version__":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if name in _OWN:
            value = getattr(importlib.import_module(_OWN[name], __name__), name)
        else:
            value = getattr(importlib.import_module("numind.openapi_client"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
