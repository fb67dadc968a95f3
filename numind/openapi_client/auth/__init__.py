"""Sign in once and stay signed in: login, logout, and the stored credentials.

::

    from numind.openapi_client import auth

    configuration = auth.login()      # opens the browser; auth.login(paste=True) elsewhere
    ...
    auth.access_token()               # the token calls send now (refreshed when needed)
    auth.logout()

After a login, ``Configuration()`` for the same host uses the stored tokens and refreshes
them shortly (``REFRESH_MARGIN`` seconds) before they expire, and once after a 401.
The command line does the same: ``numind auth login``, ``numind auth status`` (which
credential is used, and where it comes from), ``numind auth token``, ``numind auth logout``.

What sign-in and the credential store protect against (other users of the machine, the
network, a hostile server answer), and what they cannot: docs/SECURITY.md.

The text that the command line prints (an error in one line, server text escaped) comes
from :mod:`numind.openapi_client.auth.messages`.

Inside: ``_flows`` (login, logout, access_token) uses ``_listener`` (the loopback
listener), ``_prompt`` (the link shown, paste mode's prompt), ``_redirect`` (the sign-in
URL and the redirect back), ``_errors`` and ``messages``; none of these imports the flows.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._credential_store import (
        DEFAULT_LOCK_TIMEOUT,
        CredentialStore,
        CredentialStoreError,
        InvalidCredentialFileError,
        StoredCredentials,
        config_dir,
        credentials_path,
    )
    from .._stored_login import REFRESH_MARGIN, LoginRequiredError, StoredLogin
    from ._errors import LoginError, LogoutError, SessionNotRevokedWarning
    from ._flows import DEFAULT_TIMEOUT, access_token, login, logout

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_TIMEOUT",
    "REFRESH_MARGIN",
    "CredentialStore",
    "CredentialStoreError",
    "InvalidCredentialFileError",
    "LoginError",
    "LoginRequiredError",
    "LogoutError",
    "SessionNotRevokedWarning",
    "StoredCredentials",
    "StoredLogin",
    "access_token",
    "config_dir",
    "credentials_path",
    "login",
    "logout",
]

# Loaded on first use, so that reading the store does not pay for the login code. The
# stored login and the store live below auth/, beside the core that reads them.
_MODULES = {
    "DEFAULT_TIMEOUT": "._flows",
    "LoginError": "._errors",
    "LogoutError": "._errors",
    "SessionNotRevokedWarning": "._errors",
    "access_token": "._flows",
    "login": "._flows",
    "logout": "._flows",
    "REFRESH_MARGIN": ".._stored_login",
    "LoginRequiredError": ".._stored_login",
    "StoredLogin": ".._stored_login",
}
_STORE = ".._credential_store"


# Hidden from type checkers, which would otherwise take any name for one that exists.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        if name not in __all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(_MODULES.get(name, _STORE), __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
