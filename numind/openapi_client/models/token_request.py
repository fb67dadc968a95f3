"""TokenRequest: a ``TokenCodeRequest`` or a ``TokenRefreshRequest``, chosen by ``type``."""

from __future__ import annotations

from typing import Any, ClassVar, Dict, Mapping, Set, Union

from pydantic import ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError, ValidationError
from typing_extensions import Annotated, Self

from ._base import ApiModel
from .token_code_request import TokenCodeRequest, TokenCodeRequestDict
from .token_refresh_request import TokenRefreshRequest, TokenRefreshRequestDict

__all__ = ["TokenRequest", "TokenRequestDict"]

#: ``TokenRequest`` as a dict (wire names): one of the variants' dicts, told apart by ``type``.
TokenRequestDict = Union[TokenCodeRequestDict, TokenRefreshRequestDict]

TokenRequestVariant = Annotated[
    Union[TokenCodeRequest, TokenRefreshRequest], Field(discriminator="type")
]
# The variants hide input values in their errors; the adapter around them must too (a
# discriminator error would show the whole dict, refresh token included).
_VARIANT: TypeAdapter[Union[TokenCodeRequest, TokenRefreshRequest]] = TypeAdapter(
    TokenRequestVariant, config=ConfigDict(hide_input_in_errors=True)
)


def _missing_type(obj: Mapping[str, Any]) -> str:
    """What to say of a token request dict whose ``type`` is missing or not one of the two."""
    given = obj.get("type")
    if given is None:
        what = "has no 'type'"
    else:
        shown = (
            repr(given)
            if isinstance(given, str) and len(given) <= 60
            else f"of type {type(given).__name__}"
        )
        what = f"has 'type' {shown}, which is not one of the two"
    return (
        f'the token request {what}: give "type": '
        '"ai.numind.extract.shared.TokenCodeRequest" (with "code" and "redirectUri") or '
        '"ai.numind.extract.shared.TokenRefreshRequest" (with "token", a refresh token), '
        "or pass TokenCodeRequest(...) or TokenRefreshRequest(...), which set it"
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

    def __init__(self, actual_instance: Union[TokenCodeRequest, TokenRefreshRequest]) -> None:
        # by keyword for pydantic; type checkers see no field on the base class to name
        super().__init__(**{"actual_instance": actual_instance})

    @classmethod
    def _from_mapping(cls, obj: Mapping[str, Any]) -> Self:
        # from_dict: the dict is the variant's, and its ``type`` picks the variant
        if obj.get("type") not in cls.discriminator_value_class_map:
            # pydantic's own error would be "Unable to extract tag using discriminator".
            error = PydanticCustomError(
                "token_request_type", "{text}", {"text": _missing_type(obj)}
            )
            raise ValidationError.from_exception_data(
                cls.__name__, [{"type": error, "loc": (), "input": obj}], hide_input=True
            )
        return cls(_VARIANT.validate_python(obj))

    @classmethod
    def from_json(cls, json_str: Union[str, bytes]) -> Self:
        """Create an instance from a JSON document; its ``type`` picks the variant."""
        return cls(_VARIANT.validate_json(json_str))

    def to_dict(self) -> Dict[str, Any]:
        """The wire dict of the wrapped variant."""
        return self.actual_instance.to_dict()

    def to_json(self) -> str:
        """The JSON of the wrapped variant."""
        return self.actual_instance.to_json()

    def to_str(self) -> str:
        """The wrapped variant as text, with its secrets redacted."""
        return self.actual_instance.to_str()
