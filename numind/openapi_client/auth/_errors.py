"""The errors and the warning of sign-in and sign-out (public as ``auth.LoginError`` ...)."""

from __future__ import annotations

from ..exceptions import OpenApiException


class LoginError(OpenApiException):
    """The sign-in did not complete (timed out, was refused, or the redirect was invalid)."""


class LogoutError(OpenApiException):
    """``logout`` could not sign you out: a login is still stored (the message says why)."""


class SessionNotRevokedWarning(UserWarning):
    """``logout`` deleted the stored login but could not end the session on the server."""
