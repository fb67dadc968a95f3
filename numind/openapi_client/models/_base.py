"""The shared base of every model: the generated-style helpers, written once."""

from __future__ import annotations

import pprint
from typing import Any, Dict, Optional, Union

from pydantic import BaseModel, ConfigDict
from typing_extensions import Self


class ApiModel(BaseModel):
    """A model of the API. Fields use Python names; ``to_dict``/``to_json`` use wire names."""

    model_config = ConfigDict(
        populate_by_name=True,
        validate_assignment=True,
        protected_namespaces=(),
    )

    def to_str(self) -> str:
        """The string representation of the model, with wire names."""
        return pprint.pformat(self.to_dict())

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
