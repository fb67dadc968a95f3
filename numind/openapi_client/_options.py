"""Copies of a client with other options: ``ApiClient.with_options(timeout=2)``.

A copy differs from its client only in what a call reads from it: the timeout, the call
timeout, the retries and the default headers. Everything that holds connections or state
is the client's own and is shared, not copied: the connection pool (the aiohttp session),
the stored login with its refresh lock, and the cool-downs that 429 answers asked for. So
a copy costs a few small objects, and opens no connection of its own.

The settings that make the pool (TLS, proxy, pool size, socket options, the response size
limit) are not options here: a copy has the pool of its client. A client with other ones
is a new ``ApiClient``.
"""

from __future__ import annotations

import copy as _copy
from typing import TYPE_CHECKING, Mapping, Optional, TypeVar, Union

from ._headers import set_header
from ._request import ClientHeaders
from ._retry import to_retry
from ._types import NOT_GIVEN, NotGiven
from .configuration import _Unread  # pyright: ignore[reportPrivateUsage]
from .exceptions import ApiTypeError

if TYPE_CHECKING:
    import urllib3

    from ._request import Serialize
    from ._types import RequestTimeout
    from .configuration import Configuration

__all__ = ["ClientCopies", "configured", "merged_headers"]

C = TypeVar("C", bound="ClientCopies")


def configured(
    configuration: Configuration,
    timeout: Union[RequestTimeout, NotGiven] = NOT_GIVEN,
    call_timeout: Union[float, NotGiven, None] = NOT_GIVEN,
    retries: Union[int, urllib3.Retry, NotGiven, None] = NOT_GIVEN,
) -> Configuration:
    """A copy of ``configuration`` with the options given; ``configuration`` is left as it
    is. The copy holds its stored login, read or not yet (one login, refreshed once for
    both). A bad value raises ``ApiValueError`` naming the option, as ``Configuration``'s
    own setters do."""
    copy = _copy.copy(configuration)
    if isinstance(configuration._stored_login, _Unread):  # pyright: ignore[reportPrivateUsage]
        # Not read yet: the copy reads it through ``configuration``, so that both hold
        # one login (a shallow copy shares one that was read).
        copy._stored_login = _Unread(configuration)  # pyright: ignore[reportPrivateUsage]
    if not isinstance(timeout, NotGiven):
        copy.timeout = timeout
    if not isinstance(call_timeout, NotGiven):
        copy.call_timeout = call_timeout
    if not isinstance(retries, NotGiven):
        copy.retries = retries
    return copy


def merged_headers(
    headers: ClientHeaders, default_headers: Optional[Mapping[str, str]]
) -> ClientHeaders:
    """A copy of ``headers`` (default headers and cookie) with ``default_headers`` merged
    in: a name given replaces the same header in any spelling; the others are kept.

    Checked now, so that a value HTTP cannot carry raises ``ApiValueError`` here rather
    than at the first call.
    """
    if default_headers is not None and not isinstance(default_headers, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise ApiTypeError(
            f"default_headers is a {type(default_headers).__name__}: give a dict of header "
            'names to values, such as {"X-Job": "nightly"}'
        )
    merged = ClientHeaders()
    defaults = merged.defaults
    defaults.update(headers.defaults)
    for name, value in (default_headers or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise ApiTypeError(
                f"default_headers maps header names to str values; {name!r} is given a "
                f"{type(value).__name__} (the value is not shown): give it as a str"
            )
        set_header(defaults, name, value)
    merged.cookie = headers.cookie
    merged.base()
    return merged


class ClientCopies:
    """``with_options``, for the sync and the async ``ApiClient`` (their base class's
    base): a copy that shares the pool, the login and the cool-downs."""

    configuration: Configuration
    _headers: ClientHeaders
    _serialize: Optional[Serialize]

    def with_options(
        self: C,
        *,
        timeout: Union[RequestTimeout, NotGiven] = NOT_GIVEN,
        call_timeout: Union[float, NotGiven, None] = NOT_GIVEN,
        retries: Union[int, urllib3.Retry, NotGiven, None] = NOT_GIVEN,
        default_headers: Optional[Mapping[str, str]] = None,
    ) -> C:
        """A client like this one with other options, over the same connection pool.

        It shares this client's connections (the async client's aiohttp session), its
        stored login (a token that either refreshes is refreshed for both) and the
        cool-downs of 429 answers (a rate limit answers the account, not one client
        object); the options given are its own. This client and its ``configuration`` are
        left as they are. Make copies once (at start-up) and keep them; each is cheap.

        :param timeout: as ``Configuration.timeout``: seconds for the whole call, or a
            ``(connect, read)`` pair / ``urllib3.Timeout`` for each attempt; None for the
            default.
        :param call_timeout: as ``Configuration.call_timeout``: the most seconds a whole
            call takes when ``timeout`` is not a number (None: 60).
        :param retries: as ``Configuration.retries``: an int (0: no retry), a
            ``urllib3.Retry`` such as ``RetryPolicy(5)``, or None for the default.
        :param default_headers: headers merged into this client's default headers (a name
            given replaces the same header in any spelling). To replace them all, assign
            ``copy.default_headers = {...}`` on the copy: that leaves this client's alone.
        :raises ApiValueError: a value that the option does not take, named.
        :raises ApiTypeError: ``default_headers`` is not a dict of str to str.

        Closing either one (``close()``, or the end of its ``with`` block) closes the
        shared connections; both can still be used, and the next call reconnects. Close
        the client you created, once: a copy needs no close of its own.
        """
        import inspect
        import types

        configuration = configured(self.configuration, timeout, call_timeout, retries)
        headers = merged_headers(self._headers, default_headers)
        # Every attribute of the client (a subclass's too) is the copy's, as it is: the
        # transport (``rest_client``), the cool-downs, the retry policy (immutable).
        copy = object.__new__(type(self))
        state = copy.__dict__
        state.update(self.__dict__)
        state.update(configuration=configuration, _headers=headers)
        if not isinstance(retries, NotGiven):
            state["_retry_policy"] = to_retry(configuration.retries)
        serialize = self._serialize
        if inspect.ismethod(serialize) and serialize.__self__ is self:
            # The client's own signing steps, run by the copy with its settings.
            state["_serialize"] = types.MethodType(serialize.__func__, copy)
        return copy
