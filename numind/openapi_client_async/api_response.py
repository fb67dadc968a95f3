"""``ApiResponse``: the sync package's own, shared by both clients."""

from numind.openapi_client.api_response import ApiResponse

__all__ = ["ApiResponse"]
