"""User code with one mistake a line: ``mypy --strict`` and pyright strict (no plugin) must
report each one, exactly as the ``# expect:`` comment above it says.

``test_typecheck.py`` checks this file together with every example, so the checks are seen
to fail as well as to pass. It is never run.
"""

from __future__ import annotations

import numind.openapi_client as sdk

# a misspelt import (an ``as`` of its own name re-exports it: not "unused")
# expect: mypy[attr-defined] pyright[reportAttributeAccessIssue, reportUnknownVariableType]
from numind.openapi_client import Confguration as Confguration

REDIRECT_URI = "http://localhost:5173"
CODE_REQUEST = "ai.numind.extract.shared.TokenCodeRequest"


def mistakes(api: sdk.AuthenticationApi, tokens: sdk.TokenResponse, code: str) -> None:
    # a misspelt key of a dict argument
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_user_tokens({"nmae": "ci"})
    # a value of the wrong type
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_user_tokens({"name": 5})
    # another model than the method takes
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_user_tokens(sdk.User(email="ada@example.com"))
    # a token request without its "type"
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_token({"code": code, "redirectUri": REDIRECT_URI})
    # a misspelt wire name
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_token({"type": CODE_REQUEST, "code": code, "redirectUrl": REDIRECT_URI})
    # a "type" that is neither variant
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_token({"type": "password", "token": "t"})
    # an option of the wrong type
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.get_api_auth_me(_request_timeout="5")
    # an option passed by position (mypy before 2.0 files it under "misc")
    # expect: mypy[call-arg|misc] pyright[reportCallIssue]
    api.get_api_auth_me(5)
    # a misspelt option
    # expect: mypy[call-arg] pyright[reportCallIssue]
    api.get_api_auth_me(_request_timeot=5)
    # a wire name in a constructor, which takes the Python names
    # expect: mypy[call-arg] pyright[reportCallIssue, reportCallIssue]
    sdk.TokenCodeRequest(code=code, redirectUri=REDIRECT_URI)
    # a required field left out
    # expect: mypy[call-arg] pyright[reportCallIssue]
    sdk.TokenResponse(token="t")
    # the refresh token is optional: it may be None
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api.post_api_auth_logout(tokens.refresh_token)
    # a Configuration where an ApiClient belongs
    # expect: mypy[arg-type] pyright[reportArgumentType]
    sdk.AuthenticationApi(sdk.Configuration())


def copies(api_client: sdk.ApiClient) -> None:
    # a misspelt option of a copy (openai's name; here it is ``retries``)
    # expect: mypy[call-arg] pyright[reportCallIssue]
    api_client.with_options(max_retries=2)
    # a timeout of the wrong type
    # expect: mypy[arg-type] pyright[reportArgumentType]
    api_client.with_options(timeout="5")
    # a copy is a client, not an API class
    # expect: mypy[attr-defined] pyright[reportAttributeAccessIssue, reportUnknownMemberType]
    api_client.with_options(timeout=2).get_api_auth_me()


class TenantClient(sdk.ApiClient):
    tenant = "t1"


def copies_of_a_subclass(api_client: TenantClient) -> None:
    # a subclass's copy is of the subclass: its attributes keep their types
    # expect: mypy[assignment] pyright[reportAssignmentType]
    tenant: int = api_client.with_options(timeout=2).tenant
    print(tenant)
