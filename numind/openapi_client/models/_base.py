"""The shared base of every model: the generated-style helpers, written once."""

from __future__ import annotations

import pprint
from typing import (
    Any,
    ClassVar,
    Dict,
    FrozenSet,
    Iterator,
    Mapping,
    Optional,
    Tuple,
    Union,
    overload,
)

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from typing_extensions import Self


def wire(python_name: str, wire_name: str) -> Any:
    """The field settings of a field whose name on the wire differs from its Python name.

    Used as ``user_id: Annotated[StrictStr, wire("user_id", "userId")]``. The constructor
    takes the Python name, and type checkers see that name with no plugin (pydantic's
    ``alias=`` would make the wire name the parameter). Validation (``from_dict``,
    ``from_json``, ``model_validate``, dict arguments) takes either name, and its errors
    name the Python one for a missing field; ``to_dict``/``to_json`` write the wire name.
    """
    return Field(
        validation_alias=AliasChoices(python_name, wire_name),
        serialization_alias=wire_name,
    )


class _Redacted:
    """Stands for a secret in a representation."""

    def __repr__(self) -> str:
        return "<redacted>"


REDACTED = _Redacted()


class ApiModel(BaseModel):
    """A model of the API. Fields use Python names; ``to_dict``/``to_json`` use wire names.

    Secret fields (``secret_fields``: tokens) read as the real value, are sent and
    serialized by ``to_dict``/``to_json``, but ``repr()``, ``str()``, ``pprint`` and
    ``to_str()`` show ``<redacted>`` instead, and validation errors never show any input
    value, so that printing or logging a model or its errors does not leak them.
    """

    #: Python names of the fields that hold secrets.
    secret_fields: ClassVar[FrozenSet[str]] = frozenset()

    model_config = ConfigDict(
        validate_assignment=True,
        protected_namespaces=(),
        # A ValidationError names the field and what is wrong, never the value: it may be
        # a token.
        hide_input_in_errors=True,
    )

    def __repr_args__(self) -> Iterator[Tuple[Optional[str], Any]]:
        for name, value in super().__repr_args__():
            yield name, REDACTED if name in self.secret_fields and value is not None else value

    def to_str(self) -> str:
        """The string representation of the model, with wire names and secrets redacted."""
        data = self.to_dict()
        fields = type(self).model_fields
        for name in self.secret_fields:
            wire_name = fields[name].serialization_alias or name
            if data.get(wire_name) is not None:
                data[wire_name] = "<redacted>"
        return pprint.pformat(data)

    def to_json(self) -> str:
        """The JSON representation of the model, with wire names."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

    @classmethod
    def from_json(cls, json_str: Union[str, bytes]) -> Self:
        """Create an instance from a JSON document (wire names)."""
        return cls.model_validate_json(json_str)

    def to_dict(self) -> Dict[str, Any]:
        """The dictionary representation of the model, with wire names."""
        return self.model_dump(by_alias=True, exclude_none=True)

    @overload
    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> Self: ...
    @overload
    @classmethod
    def from_dict(cls, obj: None) -> None: ...
    @classmethod
    def from_dict(cls, obj: Optional[Mapping[str, Any]]) -> Optional[Self]:
        """Create an instance from a dict (wire names or Python names); None gives None."""
        if obj is None:
            return None
        return cls._from_mapping(obj)

    @classmethod
    def _from_mapping(cls, obj: Mapping[str, Any]) -> Self:
        return cls.model_validate(obj)


class RequestModel(ApiModel):
    """A model that is only sent: an unknown key is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
