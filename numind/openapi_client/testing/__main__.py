"""Run the local server: ``python -m numind.openapi_client.testing [--port N]``.

The first line on stdout is the API base URL; SIGINT or SIGTERM stops it.
"""

import argparse
import signal
import ssl
import sys
import time
import warnings
from types import FrameType
from typing import List, Optional, Sequence

from numind.openapi_client.testing._server import (
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    LocalServer,
)


class _Interrupted(Exception):
    """Raised by the signal handler to leave the serving loop."""


def _interrupt(signum: int, frame: Optional[FrameType]) -> None:
    raise _Interrupted(signum)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m numind.openapi_client.testing",
        description="Serve the NuExtract authentication API locally, in memory.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: %(default)s); another address than loopback lets "
        "anyone who can reach it sign in as any user, and is warned about",
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument("--access-token-ttl", type=int, default=300, metavar="S")
    parser.add_argument("--refresh-token-ttl", type=int, default=1800, metavar="S")
    parser.add_argument("--code-ttl", type=int, default=60, metavar="S")
    parser.add_argument("--default-email", default="user@example.com")
    parser.add_argument(
        "--idle-timeout",
        type=float,
        default=DEFAULT_IDLE_TIMEOUT,
        metavar="S",
        help="close a connection idle this long (default: %(default)g)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=DEFAULT_MAX_CONNECTIONS,
        metavar="N",
        help="connections served at once (default: %(default)s)",
    )
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=DEFAULT_REQUEST_TIMEOUT,
        metavar="S",
        help="close a connection whose request has not arrived whole this long after its "
        "first byte (default: %(default)g)",
    )
    parser.add_argument("--certfile", help="serve HTTPS with this PEM certificate chain")
    parser.add_argument("--keyfile", help="private key for --certfile, if not in it")
    parser.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Serve until SIGINT or SIGTERM; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.keyfile and not args.certfile:
        parser.error("--keyfile needs --certfile")
    context: Optional[ssl.SSLContext] = None
    if args.certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.certfile, args.keyfile)
    try:
        server = LocalServer(
            args.host,
            args.port,
            access_token_ttl=args.access_token_ttl,
            refresh_token_ttl=args.refresh_token_ttl,
            code_ttl=args.code_ttl,
            default_email=args.default_email,
            ssl_context=context,
            verbose=args.verbose,
            idle_timeout=args.idle_timeout,
            max_connections=args.max_connections,
            request_timeout=args.request_timeout,
        )
    except ValueError as exc:
        parser.error(str(exc))
    signals: List[signal.Signals] = [signal.SIGINT, signal.SIGTERM]
    for signum in signals:
        signal.signal(signum, _interrupt)
    try:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                server.start()
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
            return 1
        for warning in caught:
            print(f"warning: {warning.message}", file=sys.stderr, flush=True)
        print(server.url, flush=True)
        while True:
            time.sleep(3600)
    except _Interrupted:
        pass
    finally:
        for signum in signals:
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not interrupt stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
