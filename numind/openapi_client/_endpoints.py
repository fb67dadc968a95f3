"""The operations of ``AuthenticationApi``, each described once, as data, for both clients.

``numind.openapi_client.AuthenticationApi`` and its async twin hand these to their
``ApiClient``: method, path, parameters, media types, response type per status, auth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List

from ._endpoint import Endpoint, Param

if TYPE_CHECKING:
    from .models.token_response import TokenResponse
    from .models.user import User
    from .models.user_token_response import UserTokenResponse


_BEARER = ("oauth2Auth",)
_JSON = ("application/json",)
_USER_TOKEN_ID = Param("user_token_id", "userTokenId", "path", "str")
_USER_TOKEN_BODY = Param("create_or_update_user_token", "body", "body", "CreateOrUpdateUserToken")

DELETE_USER_TOKEN: Endpoint[None] = Endpoint(
    operation_id="delete_api_auth_user_tokens_usertokenid",
    method="DELETE",
    path="/api/auth/user-tokens/{userTokenId}",
    params=(_USER_TOKEN_ID,),
    response_types={"200": None, "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
GET_AUTH: Endpoint[str] = Endpoint(
    operation_id="get_api_auth",
    method="GET",
    path="/api/auth",
    params=(Param("redirect_uri", "redirectUri", "query", "str"),),
    response_types={"200": "str", "400": "str", "0": "Error"},
    accept="text/plain, application/json",
)
GET_ME: Endpoint[User] = Endpoint(
    operation_id="get_api_auth_me",
    method="GET",
    path="/api/auth/me",
    params=(),
    response_types={"200": "User", "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
LIST_USER_TOKENS: Endpoint[List[UserTokenResponse]] = Endpoint(
    operation_id="get_api_auth_user_tokens",
    method="GET",
    path="/api/auth/user-tokens",
    params=(),
    response_types={"200": "List[UserTokenResponse]", "0": "Error"},
    accept="application/json",
    auth=_BEARER,
)
LOGOUT: Endpoint[Dict[str, Any]] = Endpoint(
    operation_id="post_api_auth_logout",
    method="POST",
    path="/api/auth/logout",
    params=(Param("body", "body", "body", "str"),),
    response_types={"200": "object", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)
POST_TOKEN: Endpoint[TokenResponse] = Endpoint(
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
CREATE_USER_TOKEN: Endpoint[UserTokenResponse] = Endpoint(
    operation_id="post_api_auth_user_tokens",
    method="POST",
    path="/api/auth/user-tokens",
    params=(_USER_TOKEN_BODY,),
    response_types={"200": "UserTokenResponse", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)
UPDATE_USER_TOKEN: Endpoint[UserTokenResponse] = Endpoint(
    operation_id="put_api_auth_user_tokens_usertokenid",
    method="PUT",
    path="/api/auth/user-tokens/{userTokenId}",
    params=(_USER_TOKEN_ID, _USER_TOKEN_BODY),
    response_types={"200": "UserTokenResponse", "400": "str", "0": "Error"},
    accept="application/json, text/plain",
    content_types=_JSON,
    auth=_BEARER,
)
