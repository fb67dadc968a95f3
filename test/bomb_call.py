"""One call to a server that answers with a compression bomb, in a process of its own, for
``test_transport``'s bomb tests: ``python bomb_call.py sync|async ENCODING``.

The server (in this process) answers a first call normally and the second one with a small
body that decodes to 64 MiB of zeros, under ``Content-Encoding: ENCODING``; the client has a
``max_response_size`` of 1 MiB and a call timeout of 10 s. Prints, as JSON, the error of the
second call, how long it took, and how much the process's peak RSS grew during it.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import resource
import sys
import time
import zlib
from typing import Any, Callable

from faulty_server import Fault, FaultyServer

import numind.openapi_client as sdk
import numind.openapi_client_async as async_sdk

DECODED_SIZE = 128 * 1024 * 1024
LIMIT = 8 * 1024 * 1024
TIMEOUT = 10.0


def bomb(encoding: str) -> bytes:
    """A body that decodes to ``DECODED_SIZE`` zeros, made a MiB at a time: the process's
    peak RSS is not raised by the bomb itself before the call is measured."""
    if encoding == "gzip, gzip":
        return gzip.compress(bomb("gzip"), 9)
    if encoding in ("gzip", "deflate"):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31 if encoding == "gzip" else 15)
    elif encoding == "br":
        import brotli  # type: ignore[import-not-found]

        compressor = brotli.Compressor()
    elif encoding == "zstd":
        import zstandard  # type: ignore[import-not-found]

        compressor = zstandard.ZstdCompressor().compressobj()
    else:
        raise ValueError(encoding)
    mib = bytes(1024 * 1024)
    pieces = [compressor.compress(mib) for _ in range(DECODED_SIZE // len(mib))]
    end = compressor.flush() if hasattr(compressor, "flush") else compressor.finish()
    return b"".join([*pieces, end])


def peak_kib() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage // 1024 if sys.platform == "darwin" else usage  # bytes on macOS


def measured(call: Callable[[], Any]) -> dict[str, Any]:
    call()  # a usual call first: what any call allocates is not counted
    before = peak_kib()
    started = time.monotonic()
    error = ""
    try:
        call()
    except sdk.ApiException as exc:
        error = str(exc)
    except (async_sdk.ApiException, async_sdk.ApiConnectionError) as exc:
        error = str(exc)
    return {
        "error": error,
        "seconds": time.monotonic() - started,
        "rss_growth_kib": peak_kib() - before,
    }


def main(kind: str, encoding: str) -> None:
    try:
        body = bomb(encoding)
    except ImportError:  # no encoder here: any bytes, as the answer is refused unread
        body = os.urandom(64 * 1024)
    headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
    script = [Fault.ok(b'{"email": "a@x.io"}'), Fault.ok(body, headers)]
    with FaultyServer(script) as srv:
        configuration = sdk.Configuration(
            host=srv.url, access_token="t", max_response_size=LIMIT, timeout=TIMEOUT
        )
        if kind == "sync":
            with sdk.ApiClient(configuration) as client:
                result = measured(sdk.AuthenticationApi(client).get_api_auth_me)
        else:

            async def run() -> dict[str, Any]:
                async with async_sdk.ApiClient(configuration) as client:  # type: ignore[arg-type]
                    api = async_sdk.AuthenticationApi(client)
                    loop = asyncio.get_running_loop()
                    return await loop.run_in_executor(None, lambda: None) or await _measured(api)

            result = asyncio.run(run())
    result["compressed"] = len(body)
    print(json.dumps(result))


async def _measured(api: Any) -> dict[str, Any]:
    await api.get_api_auth_me()
    before = peak_kib()
    started = time.monotonic()
    error = ""
    try:
        await api.get_api_auth_me()
    except (async_sdk.ApiException, async_sdk.ApiConnectionError) as exc:
        error = str(exc)
    return {
        "error": error,
        "seconds": time.monotonic() - started,
        "rss_growth_kib": peak_kib() - before,
    }


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
