"""AuthenticationApi: sign-in, the signed-in user, and user tokens (API keys).

Each operation is described once, as an ``Endpoint``; its three public methods are
typed, one-line calls into the one pipeline of ``ApiClient``:

- ``op(...)`` returns the decoded body;
- ``op_with_http_info(...)`` returns an ``ApiResponse`` (status, headers, data, raw body);
- ``op_without_preload_content(...)`` returns urllib3's response with its body unread.
  ``max_response_size`` does not apply to it: its ``.data`` reads the whole body, however
  large. To bound what you read, read at most ``limit + 1`` bytes with ``.read(limit + 1)``
  (or count the chunks of ``.stream(65536)``), refuse an answer that goes past ``limit``,
  then ``.release_conn()``.

``numind.openapi_client_async.AuthenticationApi`` is its asyncio twin: the same methods,
parameters and docstrings, over the same endpoint descriptions (``_endpoints``).

Every method also takes the keyword options of ``RequestOptions``: ``_request_timeout``
(seconds, or ``(connect, read)``), ``_request_auth`` (an entry of
``Configuration.auth_settings()`` that replaces it for this call), ``_content_type``,
``_headers`` (they win over the client's default headers) and ``_host_index``; any other
keyword is a ``TypeError``. A model argument also takes its dict form, typed by the
``...Dict`` of the model (wire names). A failed call raises an ``ApiException``
subclass; a bad argument raises ``ApiTypeError`` or ``ApiValueError`` before anything
is sent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .._endpoint import with_option_signatures
from .._endpoints import (
    CREATE_USER_TOKEN,
    DELETE_USER_TOKEN,
    GET_AUTH,
    GET_ME,
    LIST_USER_TOKENS,
    LOGOUT,
    POST_TOKEN,
    UPDATE_USER_TOKEN,
)
from .._request import call_options
from ..api_client import ApiClient
from ..exceptions import ApiTypeError

if TYPE_CHECKING:
    from typing import Union

    from typing_extensions import Unpack

    from .._types import RequestOptions, RESTResponseType
    from ..api_response import ApiResponse
    from ..models.create_or_update_user_token import (
        CreateOrUpdateUserToken,
        CreateOrUpdateUserTokenDict,
    )
    from ..models.token_code_request import TokenCodeRequest
    from ..models.token_refresh_request import TokenRefreshRequest
    from ..models.token_request import TokenRequest, TokenRequestDict
    from ..models.token_response import TokenResponse
    from ..models.user import User
    from ..models.user_token_response import UserTokenResponse

    #: a model argument may also be its dict form, with wire names, as in the docs
    TokenRequestArg = Union[TokenRequest, TokenCodeRequest, TokenRefreshRequest, TokenRequestDict]
    UserTokenArg = Union[CreateOrUpdateUserToken, CreateOrUpdateUserTokenDict]

__all__ = ["AuthenticationApi"]


@with_option_signatures
class AuthenticationApi:
    """The authentication operations of the NuExtract API.

    :param api_client: the client that sends the requests; ``ApiClient.get_default()``
        when omitted. Anything else than an ``ApiClient`` raises ``ApiTypeError``.
    """

    def __init__(self, api_client: Optional[ApiClient] = None) -> None:
        self.api_client = _checked_client(api_client)

    def delete_api_auth_user_tokens_usertokenid(
        self, user_token_id: str, **options: Unpack[RequestOptions]
    ) -> None:
        """Delete a user token (API key); it stops authenticating at once."""
        self.api_client.invoke(DELETE_USER_TOKEN, (user_token_id,), call_options(options))

    def delete_api_auth_user_tokens_usertokenid_with_http_info(
        self, user_token_id: str, **options: Unpack[RequestOptions]
    ) -> ApiResponse[None]:
        """Call ``delete_api_auth_user_tokens_usertokenid``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(DELETE_USER_TOKEN, (user_token_id,), call_options(options))

    def delete_api_auth_user_tokens_usertokenid_without_preload_content(
        self, user_token_id: str, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``delete_api_auth_user_tokens_usertokenid``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(
            DELETE_USER_TOKEN, (user_token_id,), call_options(options)
        )

    def get_api_auth(self, redirect_uri: str, **options: Unpack[RequestOptions]) -> str:
        """Get the URL where the user signs in; it redirects to ``redirect_uri?code=...``."""
        return self.api_client.invoke(GET_AUTH, (redirect_uri,), call_options(options)).data

    def get_api_auth_with_http_info(
        self, redirect_uri: str, **options: Unpack[RequestOptions]
    ) -> ApiResponse[str]:
        """Call ``get_api_auth``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(GET_AUTH, (redirect_uri,), call_options(options))

    def get_api_auth_without_preload_content(
        self, redirect_uri: str, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``get_api_auth``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(GET_AUTH, (redirect_uri,), call_options(options))

    def get_api_auth_me(self, **options: Unpack[RequestOptions]) -> User:
        """Get the user that the access token or API key belongs to."""
        return self.api_client.invoke(GET_ME, (), call_options(options)).data

    def get_api_auth_me_with_http_info(
        self, **options: Unpack[RequestOptions]
    ) -> ApiResponse[User]:
        """Call ``get_api_auth_me``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(GET_ME, (), call_options(options))

    def get_api_auth_me_without_preload_content(
        self, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``get_api_auth_me``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(GET_ME, (), call_options(options))

    def get_api_auth_user_tokens(
        self, **options: Unpack[RequestOptions]
    ) -> List[UserTokenResponse]:
        """List the user tokens (API keys) of the user."""
        return self.api_client.invoke(LIST_USER_TOKENS, (), call_options(options)).data

    def get_api_auth_user_tokens_with_http_info(
        self, **options: Unpack[RequestOptions]
    ) -> ApiResponse[List[UserTokenResponse]]:
        """Call ``get_api_auth_user_tokens``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(LIST_USER_TOKENS, (), call_options(options))

    def get_api_auth_user_tokens_without_preload_content(
        self, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``get_api_auth_user_tokens``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(LIST_USER_TOKENS, (), call_options(options))

    def post_api_auth_logout(self, body: str, **options: Unpack[RequestOptions]) -> Dict[str, Any]:
        """End the session of a refresh token (``body``): it and its access tokens stop working."""
        return self.api_client.invoke(LOGOUT, (body,), call_options(options)).data

    def post_api_auth_logout_with_http_info(
        self, body: str, **options: Unpack[RequestOptions]
    ) -> ApiResponse[Dict[str, Any]]:
        """Call ``post_api_auth_logout``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(LOGOUT, (body,), call_options(options))

    def post_api_auth_logout_without_preload_content(
        self, body: str, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``post_api_auth_logout``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(LOGOUT, (body,), call_options(options))

    def post_api_auth_token(
        self, token_request: TokenRequestArg, **options: Unpack[RequestOptions]
    ) -> TokenResponse:
        """Exchange an authorization code, or a refresh token, for an access token."""
        return self.api_client.invoke(POST_TOKEN, (token_request,), call_options(options)).data

    def post_api_auth_token_with_http_info(
        self, token_request: TokenRequestArg, **options: Unpack[RequestOptions]
    ) -> ApiResponse[TokenResponse]:
        """Call ``post_api_auth_token``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(POST_TOKEN, (token_request,), call_options(options))

    def post_api_auth_token_without_preload_content(
        self, token_request: TokenRequestArg, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``post_api_auth_token``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(POST_TOKEN, (token_request,), call_options(options))

    def post_api_auth_user_tokens(
        self, create_or_update_user_token: UserTokenArg, **options: Unpack[RequestOptions]
    ) -> UserTokenResponse:
        """Create a user token (API key); its ``token`` is the secret."""
        return self.api_client.invoke(
            CREATE_USER_TOKEN, (create_or_update_user_token,), call_options(options)
        ).data

    def post_api_auth_user_tokens_with_http_info(
        self, create_or_update_user_token: UserTokenArg, **options: Unpack[RequestOptions]
    ) -> ApiResponse[UserTokenResponse]:
        """Call ``post_api_auth_user_tokens``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            CREATE_USER_TOKEN, (create_or_update_user_token,), call_options(options)
        )

    def post_api_auth_user_tokens_without_preload_content(
        self, create_or_update_user_token: UserTokenArg, **options: Unpack[RequestOptions]
    ) -> RESTResponseType:
        """Call ``post_api_auth_user_tokens``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(
            CREATE_USER_TOKEN, (create_or_update_user_token,), call_options(options)
        )

    def put_api_auth_user_tokens_usertokenid(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        **options: Unpack[RequestOptions],
    ) -> UserTokenResponse:
        """Rename a user token (API key)."""
        return self.api_client.invoke(
            UPDATE_USER_TOKEN, (user_token_id, create_or_update_user_token), call_options(options)
        ).data

    def put_api_auth_user_tokens_usertokenid_with_http_info(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        **options: Unpack[RequestOptions],
    ) -> ApiResponse[UserTokenResponse]:
        """Call ``put_api_auth_user_tokens_usertokenid``; return an ``ApiResponse``.

        Its ``data`` is the decoded body; it also has the status code, headers and raw body.
        """
        return self.api_client.invoke(
            UPDATE_USER_TOKEN, (user_token_id, create_or_update_user_token), call_options(options)
        )

    def put_api_auth_user_tokens_usertokenid_without_preload_content(
        self,
        user_token_id: str,
        create_or_update_user_token: UserTokenArg,
        **options: Unpack[RequestOptions],
    ) -> RESTResponseType:
        """Call ``put_api_auth_user_tokens_usertokenid``; return its response, unread.

        It is the HTTP library's own: the caller reads it or releases it (urllib3:
        ``.data`` or ``.release_conn()``; aiohttp: ``await .read()`` or ``.release()``).
        """
        return self.api_client.invoke_unread(
            UPDATE_USER_TOKEN, (user_token_id, create_or_update_user_token), call_options(options)
        )


def _checked_client(api_client: object) -> ApiClient:
    if api_client is None:
        return ApiClient.get_default()
    if isinstance(api_client, ApiClient):
        return api_client
    given = type(api_client).__name__
    if given == "ApiClient":  # the other twin's
        given = (
            f"{type(api_client).__module__}.ApiClient (give it to "
            f"numind.openapi_client_async.AuthenticationApi instead)"
        )
    raise ApiTypeError(
        f"AuthenticationApi() takes an ApiClient, not a {given}: pass "
        "ApiClient(configuration), e.g. "
        "`with ApiClient(configuration) as api_client: api = AuthenticationApi(api_client)`"
    )
