"""The shared base of every model: the generated-style helpers, written once."""

from __future__ import annotations

import pprint
from typing import Any, ClassVar, Dict, FrozenSet, Iterator, Optional, Tuple, Union

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self


class _Redacted:
    """Stands for a secret in a representation."""

    def __repr__(self) -> str:
        return "<redacted>"


REDACTED = _Redacted()


class ApiModel(BaseModel):
    """A model of the API. Fields use Python names; ``to_dict``/``to_json`` use wire names.

    Secret fields (``secret_fields``: tokens) read as the real value, are sent and
    serialized by ``to_dict``/``to_json``, but ``repr()``, ``str()``, ``pprint`` and
    ``to_str()`` show ``<redacted>`` instead, so that printing or logging a model does not
    leak them.
    """

    #: Python names of the fields that hold secrets.
    secret_fields: ClassVar[FrozenSet[str]] = frozenset()

    model_config = ConfigDict(
        populate_by_name=True,
        validate_assignment=True,
        protected_namespaces=(),
    )

    def __repr_args__(self) -> Iterator[Tuple[Optional[str], Any]]:
        for name, value in super().__repr_args__():
            yield name, REDACTED if name in self.secret_fields and value is not None else value

    def to_str(self) -> str:
        """The string representation of the model, with wire names and secrets redacted."""
        data = self.to_dict()
        for name in self.secret_fields:
            wire = type(self).model_fields[name].alias or name
            if data.get(wire) is not None:
                data[wire] = "<redacted>"
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

    @classmethod
    def from_dict(cls, obj: Optional[Dict[str, Any]]) -> Optional[Self]:
        """Create an instance from a dict (wire names or Python names); None gives None."""
        if obj is None:
            return None
        return cls.model_validate(obj)


class RequestModel(ApiModel):
    """A model that is only sent: an unknown key is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")
