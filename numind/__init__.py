"""numind: the Python SDK for the NuExtract API.

The client lives in :mod:`numind.openapi_client`.
"""

__version__ = "0.1.0"
