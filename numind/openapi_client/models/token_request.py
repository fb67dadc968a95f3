"""TokenRequest: a ``TokenCodeRequest`` or a ``TokenRefreshRequest``, chosen by ``type``."""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Optional, Set, Union

from pydantic import Field, TypeAdapter
from typing_extensions import Annotated, Self

from ._base import ApiModel
from .token_code_request import TokenCodeRequest
from .token_refresh_request import TokenRefreshRequest

__all__ = ["TokenRequest"]

TokenRequestVariant = Annotated[
    Union[TokenCodeRequest, TokenRefreshRequest], Field(discriminator="type")
]
_VARIANT: TypeAdapter[Union[TokenCodeRequest, TokenRefreshRequest]] = TypeAdapter(
    TokenRequestVariant
)


class TokenRequest(ApiModel):
    """A token request: wraps a ``TokenCodeRequest`` or a ``TokenRefreshRequest``.

    The variant is picked by the ``type`` field (the discriminator), never by trial::

        TokenRequest(TokenCodeRequest(code=code, redirect_uri=uri))
        TokenRequest.from_dict({"type": "ai.numind.extract.shared.TokenRefreshRequest",
                                "token": refresh_token})
    """

    actual_instance: TokenRequestVariant
    one_of_schemas: ClassVar[Set[str]] = {"TokenCodeRequest", "TokenRefreshRequest"}
    discriminator_value_class_map: ClassVar[Dict[str, str]] = {
        "ai.numind.extract.shared.TokenCodeRequest": "TokenCodeRequest",
        "ai.numind.extract.shared.TokenRefreshRequest": "TokenRefreshRequest",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args:
            if len(args) > 1 or kwargs:
                raise ValueError("TokenRequest takes one positional argument: the variant")
            kwargs = {"actual_instance": args[0]}
        super().__init__(**kwargs)

    @classmethod
    def from_dict(cls, obj: Optional[Dict[str, Any]]) -> Optional[Self]:
        """Create an instance from a wire dict; its ``type`` picks the variant."""
        if obj is None:
            return None
        return cls(actual_instance=_VARIANT.validate_python(obj))

    @classmethod
    def from_json(cls, json_str: Union[str, bytes]) -> Self:
        """Create an instance from a JSON document; its ``type`` picks the variant."""
        return cls(actual_instance=_VARIANT.validate_json(json_str))

    def to_dict(self) -> Dict[str, Any]:
        """The wire dict of the wrapped variant."""
        return self.actual_instance.to_dict()

    def to_json(self) -> str:
        """The JSON of the wrapped variant."""
        return self.actual_instance.to_json()

    def to_str(self) -> str:
        """The wrapped variant as text, with its secrets redacted."""
        return self.actual_instance.to_str()
