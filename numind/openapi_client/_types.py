"""Type aliases shared by the public signatures (written once, used everywhere)."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, Union

import urllib3

#: ``_request_timeout``: total seconds, ``(connect, read)`` seconds, or a urllib3 ``Timeout``.
RequestTimeout = Union[None, float, Tuple[float, float], urllib3.Timeout]
#: ``_request_auth``: one auth setting, as returned by ``Configuration.auth_settings()``.
RequestAuth = Optional[Dict[str, Any]]
#: ``_headers``: extra request headers; they win over the client's default headers.
RequestHeaders = Optional[Mapping[str, str]]
