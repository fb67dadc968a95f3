"""``Configuration``: the sync package's own, shared by both clients."""

from numind.openapi_client.configuration import Configuration

__all__ = ["Configuration"]
