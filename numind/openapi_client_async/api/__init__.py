"""The async API classes."""

from .authentication_api import AuthenticationApi

__all__ = ["AuthenticationApi"]
