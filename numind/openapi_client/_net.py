"""Which hosts are this machine's own (loopback). Standard library only: the local server
(``testing/``) uses it too, and must not import the client pipeline."""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1`` (also in brackets, or as an
    IPv4-mapped IPv6 address); False for every other name or address, ``0.0.0.0`` included.

    Names other than ``localhost`` are not resolved: what a name resolves to can change
    between this check and the connection.
    """
    host = host.strip("[]").lower()
    if host in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
