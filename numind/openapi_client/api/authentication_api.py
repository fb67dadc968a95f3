"""AuthenticationApi: sign-in, the signed-in user, and user tokens (API keys).

Each operation is described once, as an ``Endpoint``; its three public methods are
typed, one-line calls into the one pipeline of ``ApiClient``:

- ``op(...)`` returns the decoded body;
- ``op_with_http_info(...)`` returns an ``ApiResponse`` (status, headers, data, raw body);
- ``op_without_preload_content(...)`` returns urllib3's response with its body unread.

Every method also takes the keyword options ``_request_timeout`` (seconds, or
``(connect, read)``), ``_request_auth`` (an entry of ``Configuration.auth_settings()``
that replaces it for this call), ``_content_type``, ``_headers`` (they win over the
client's default headers) and ``_host_index``. A failed call raises an ``ApiException``
subclass; a bad argument raises ``ApiTypeError`` or ``ApiValueError`` before anything
is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

import urllib3

from .._endpoint import Endpoint, Param, RequestOptions
from ..api_client import ApiClient

if TYPE_CHECKING:
    from .._types import RequestAuth, RequestHeaders, RequestTimeout
    from ..api_response import ApiResponse
    from ..models.create_or_update_user_token import CreateOrUpdateUserToken
    from ..models.token_code_request import TokenCodeRequest
    from ..models.token_refresh_request import TokenRefreshRequest
    from ..models.token_request import TokenRequest
    from ..models.token_response import TokenResponse
    from ..models.user import User
    from ..models.user_token_response import UserTokenResponse

    #: a model argument may also be a dict with wire names, as in the docs
    TokenRequestArg = Union[TokenRequest, TokenCodeRequest, TokenRefreshRequest, Dict[str, Any]]
    UserTokenArg = Union[CreateOrUpdateUserToken, Dict[str, Any]]

__all__ = ["AuthenticationApi"]

_BEARER = ("oauth2Auth",)
_JSON = ("application/json",)
_USER_TOKEN_ID = Param("user_token_id", "userTokenId", "path", "str")
_USER_TOKEN_BODY = Param("create_or_update_user_token", "body", "body", "CreateOrUpdateUserToken")

_DELETE_USER_TOKEN: Endpoint[None] = Endpoint(
    operation_id="delete_api_auth_user_tokens_usertokenid",
    method="DELETE",
    path="/api/auth/user-tokens/{userTokenId}",
    params=(_USER_TOKEN_ID,),
    response_types={"200": None, "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
_GET_AUTH: Endpoint[str] = Endpoint(
    operation_id="get_api_auth",
    method="GET",
    path="/api/auth",
    params=(Param("redirect_uri", "redirectUri", "query", "str"),),
    response_types={"200": "str", "400": "str", "0": "Error"},
    accept="text/plain, application/json",
)
_GET_ME: Endpoint[User] = Endpoint(
    operation_id="get_api_auth_me",
    method="GET",
    path="/api/auth/me",
    params=(),
    response_types={"200": "User", "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
_LIST_USER_TOKENS: Endpoint[List[UserTokenResponse]] = Endpoint(
    operation_id="get_api_auth_user_tokens",
    method="GET",
    path="/api/auth/user-tokens",
    params=(),
    response_types={"200": "List[UserTokenResponse]", "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
_LOGOUT: Endpoint[Dict[str, Any]] = Endpoint(
    operation_id="post_api_auth_logout",
    method="POST",
    path="/api/auth/logout",
    params=(Param("body", "body", "body", "str"),),
    response_types={"200": "object", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)
_POST_TOKEN: Endpoint[TokenResponse] = Endpoint(
    operation_id="post_api_auth_token",
    method="POST",
    path="/api/auth/token",
    params=(
        Param(
            "token_request",
            "body",
            "body",
            "TokenRequest",
            also_accepts=("TokenCodeRequest", "TokenRefreshRequest"),
        ),
    ),
    response_types={"200": "TokenResponse", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
)
_CREATE_USER_TOKEN: Endpoint[UserTokenResponse] = Endpoint(
    operation_id="post_api_auth_user_tokens",
    method="POST",
    path="/api/auth/user-tokens",
    params=(_USER_TOKEN_BODY,),
    response_types={"200": "UserTokenResponse", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)
_UPDATE_USER_TOKEN: Endpoint[UserTokenResponse] = Endpoint(
    operation_id="put_api_auth_user_tokens_usertokenid",
    method="PUT",
    path="/api/auth/user-tokens/{userTokenId}",
    params=(_USER_TOKEN_ID, _USER_TOKEN_BODY),
    response_types={"200": "UserTokenResponse", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)


class AuthenticationApi:
    """The authentication operations of the NuExtract API.

    :param api_client: the client that sends the requests; ``ApiClient.get_default()``
        when omitted.
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = api_client if api_client is not None else ApiClient.get_default()

    def delete_api_auth_user_tokens_usertokenid(
        self,
        user_token_id: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> None:
        """Delete a user token (API key); it stops authenticating at once."""
        self.api_client.invoke(
            _DELETE_USER_TOKEN,
            (user_token_id,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def delete_api_auth_user_tokens_usertokenid_with_http_info(
        self,
        user_token_id: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[None]:
        """Call ``delete_api_auth_user_tokens_usertokenid``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _DELETE_USER_TOKEN,
            (user_token_id,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def delete_api_auth_user_tokens_usertokenid_without_preload_content(
        self,
        user_token_id: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``delete_api_auth_user_tokens_usertokenid``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _DELETE_USER_TOKEN,
            (user_token_id,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth(
        self,
        redirect_uri: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> str:
        """Get the URL where the user signs in; it redirects to ``redirect_uri?code=...``."""
        return self.api_client.invoke(
            _GET_AUTH,
            (redirect_uri,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def get_api_auth_with_http_info(
        self,
        redirect_uri: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[str]:
        """Call ``get_api_auth``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _GET_AUTH,
            (redirect_uri,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth_without_preload_content(
        self,
        redirect_uri: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``get_api_auth``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _GET_AUTH,
            (redirect_uri,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth_me(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> User:
        """Get the user that the access token or API key belongs to."""
        return self.api_client.invoke(
            _GET_ME,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def get_api_auth_me_with_http_info(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[User]:
        """Call ``get_api_auth_me``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _GET_ME,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth_me_without_preload_content(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``get_api_auth_me``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _GET_ME,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth_user_tokens(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> List[UserTokenResponse]:
        """List the user tokens (API keys) of the user."""
        return self.api_client.invoke(
            _LIST_USER_TOKENS,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def get_api_auth_user_tokens_with_http_info(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[List[UserTokenResponse]]:
        """Call ``get_api_auth_user_tokens``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _LIST_USER_TOKENS,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def get_api_auth_user_tokens_without_preload_content(
        self,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``get_api_auth_user_tokens``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _LIST_USER_TOKENS,
            (),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_logout(
        self,
        body: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> Dict[str, Any]:
        """End the session of a refresh token (``body``): it and its access tokens stop working."""
        return self.api_client.invoke(
            _LOGOUT,
            (body,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def post_api_auth_logout_with_http_info(
        self,
        body: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[Dict[str, Any]]:
        """Call ``post_api_auth_logout``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _LOGOUT,
            (body,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_logout_without_preload_content(
        self,
        body: str,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``post_api_auth_logout``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _LOGOUT,
            (body,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_token(
        self,
        token_request: TokenRequestArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> TokenResponse:
        """Exchange an authorization code, or a refresh token, for an access token."""
        return self.api_client.invoke(
            _POST_TOKEN,
            (token_request,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def post_api_auth_token_with_http_info(
        self,
        token_request: TokenRequestArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[TokenResponse]:
        """Call ``post_api_auth_token``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _POST_TOKEN,
            (token_request,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_token_without_preload_content(
        self,
        token_request: TokenRequestArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``post_api_auth_token``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _POST_TOKEN,
            (token_request,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_user_tokens(
        self,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> UserTokenResponse:
        """Create a user token (API key); its ``token`` is the secret."""
        return self.api_client.invoke(
            _CREATE_USER_TOKEN,
            (create_or_update_user_token,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def post_api_auth_user_tokens_with_http_info(
        self,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[UserTokenResponse]:
        """Call ``post_api_auth_user_tokens``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _CREATE_USER_TOKEN,
            (create_or_update_user_token,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def post_api_auth_user_tokens_without_preload_content(
        self,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``post_api_auth_user_tokens``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _CREATE_USER_TOKEN,
            (create_or_update_user_token,),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def put_api_auth_user_tokens_usertokenid(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> UserTokenResponse:
        """Rename a user token (API key)."""
        return self.api_client.invoke(
            _UPDATE_USER_TOKEN,
            (user_token_id, create_or_update_user_token),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        ).data

    def put_api_auth_user_tokens_usertokenid_with_http_info(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> ApiResponse[UserTokenResponse]:
        """Call ``put_api_auth_user_tokens_usertokenid``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            _UPDATE_USER_TOKEN,
            (user_token_id, create_or_update_user_token),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )

    def put_api_auth_user_tokens_usertokenid_without_preload_content(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        *,
        _request_timeout: RequestTimeout = None,
        _request_auth: RequestAuth = None,
        _content_type: Optional[str] = None,
        _headers: RequestHeaders = None,
        _host_index: Optional[int] = None,
    ) -> urllib3.BaseHTTPResponse:
        """Call ``put_api_auth_user_tokens_usertokenid``; return the urllib3 response, unread.

        The caller reads it (``.data``) or releases it (``.release_conn()``).
        """
        return self.api_client.invoke_unread(
            _UPDATE_USER_TOKEN,
            (user_token_id, create_or_update_user_token),
            RequestOptions(_request_timeout, _request_auth, _content_type, _headers, _host_index),
        )
