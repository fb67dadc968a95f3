"""Code <-> openapi.yaml: operations, method signatures, models, media types.

``contract_drift`` compares the document with the package and lists every difference;
the tests below show that it is empty, and that a change on either side shows up in it.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib
import inspect
import re
import typing
from typing import Any, Dict, List, Literal, Optional, Union

import pytest
from _contract import load_spec
from openapi_spec_validator import validate
from pydantic import AliasChoices, BaseModel, Field
from typing_extensions import Annotated, TypedDict, Unpack

from numind.openapi_client import ApiResponse, AuthenticationApi, RequestOptions
from numind.openapi_client import _endpoints as endpoint_descriptions
from numind.openapi_client._endpoint import Endpoint, Param
from numind.openapi_client.models import DICT_MODULES, MODEL_MODULES, UserTokenResponse
from numind.openapi_client.models._base import wire

_MODELS = "#/components/schemas/"
_VARIANTS = ("", "_with_http_info", "_without_preload_content")
_PRIMITIVES: dict[str, Any] = {"string": str, "integer": int, "boolean": bool, "number": float}


def package_endpoints() -> list[Endpoint[Any]]:
    """Every ``Endpoint`` the api module defines."""
    return [v for v in vars(endpoint_descriptions).values() if isinstance(v, Endpoint)]


def package_models() -> dict[str, type[BaseModel]]:
    models = importlib.import_module("numind.openapi_client.models")
    return {name: getattr(models, name) for name in MODEL_MODULES}


def package_dicts() -> dict[str, Any]:
    """The dict form (a ``TypedDict``, or a union of them) of each request model, by name."""
    models = importlib.import_module("numind.openapi_client.models")
    return {name: getattr(models, name) for name in DICT_MODULES}


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# --------------------------------------------------------------------------- what the spec says


def _ref_name(schema: dict[str, Any]) -> Optional[str]:
    ref = schema.get("$ref")
    return ref[len(_MODELS) :] if isinstance(ref, str) and ref.startswith(_MODELS) else None


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _type_name(schema: Optional[dict[str, Any]]) -> Optional[str]:
    """The name the SDK uses for a schema ("str", "User", "List[User]", "object")."""
    if schema is None:
        return None
    name = _ref_name(schema)
    if name is not None:
        return name
    if schema.get("type") == "array":
        return f"List[{_type_name(schema['items'])}]"
    return {"string": "str", "integer": "int", "object": "object"}.get(schema.get("type", ""), "?")


def _python_type(spec: dict[str, Any], type_name: Optional[str], argument: bool) -> Any:
    """The annotation a method uses for ``type_name`` (a model argument also takes its dict
    form, ``<Model>Dict``)."""
    if type_name is None:
        return type(None)
    if type_name == "object":
        return Dict[str, Any]
    if type_name.startswith("List["):
        return List[_python_type(spec, type_name[5:-1], argument)]  # type: ignore[misc]
    if type_name in ("str", "int"):
        return {"str": str, "int": int}[type_name]
    models = package_models()
    if type_name not in models:
        return f"<no model {type_name}>"
    if not argument:
        return models[type_name]
    variants = [models[type_name]] + [
        models.get(_ref_name(v) or "", f"<no model {v}>")
        for v in spec["components"]["schemas"].get(type_name, {}).get("oneOf", [])
    ]
    return Union[(*variants, package_dicts().get(type_name + "Dict", f"<no {type_name}Dict>"))]


class _Operation:
    """One operation of the document, in the terms of an ``Endpoint``."""

    def __init__(self, spec: dict[str, Any], path: str, method: str, shared: list[Any]) -> None:
        operation = spec["paths"][path][method]
        self.operation_id: str = operation["operationId"]
        self.method = method.upper()
        self.path = path
        self.params: list[tuple[str, str, str, str, tuple[str, ...]]] = []
        self.required: dict[str, bool] = {}
        parameters = [_resolve(spec, p) for p in [*shared, *operation.get("parameters", [])]]
        for location in ("path", "query"):
            for p in (p for p in parameters if p["in"] == location):
                name = snake_case(p["name"])
                self.params.append((name, p["name"], location, _type_name(p["schema"]) or "", ()))
                self.required[name] = bool(p.get("required"))
        self.content_types: tuple[str, ...] = ()
        body = operation.get("requestBody")
        if body is not None:
            self.content_types = tuple(body["content"])
            schema = next(iter(body["content"].values()))["schema"]
            type_name = _type_name(schema) or ""
            model = spec["components"]["schemas"].get(type_name, {})
            variants = tuple(_ref_name(v) or "?" for v in model.get("oneOf", []))
            name = snake_case(type_name) if _ref_name(schema) else "body"
            self.params.append((name, "body", "body", type_name, variants))
            self.required[name] = bool(body.get("required"))
        self.response_types: dict[str, Optional[str]] = {}
        media: list[str] = []
        for status, response in operation["responses"].items():
            response = _resolve(spec, response)
            content = response.get("content", {})
            schema = next(iter(content.values()))["schema"] if content else None
            self.response_types["0" if status == "default" else status] = _type_name(schema)
            media += [m for m in content if m not in media]
        self.accept = ", ".join(media)
        self.auth = tuple(name for s in operation.get("security", []) for name in s)


def spec_operations(spec: dict[str, Any]) -> dict[str, _Operation]:
    operations = {}
    for path, item in spec["paths"].items():
        for method in ("get", "put", "post", "delete", "patch", "head", "options"):
            if method in item:
                operation = _Operation(spec, path, method, item.get("parameters", []))
                operations[operation.operation_id] = operation
    return operations


# --------------------------------------------------------------------------- the comparison


@functools.cache
def _namespace(module_name: str) -> dict[str, Any]:
    """A module's globals plus its ``if TYPE_CHECKING:`` imports, to resolve hints."""
    module = importlib.import_module(module_name)
    namespace = dict(vars(module))
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            exec(compile(ast.Module(node.body, []), module.__file__ or "", "exec"), namespace)
    return namespace


def _operation_drift(
    spec: dict[str, Any], op: _Operation, endpoint: Endpoint[Any], api_class: type
) -> list[str]:
    drift = []
    where = op.operation_id
    expected_endpoint = (op.method, op.path, op.params, op.response_types, op.accept, op.auth)
    actual_params = [
        (p.name, p.wire_name, p.location, p.type_name, p.also_accepts) for p in endpoint.params
    ]
    actual_endpoint = (
        endpoint.method,
        endpoint.path,
        actual_params,
        dict(endpoint.response_types),
        endpoint.accept,
        endpoint.auth,
    )
    for field, want, have in zip(
        ("method", "path", "params", "response_types", "Accept", "security"),
        expected_endpoint,
        actual_endpoint,
        strict=True,
    ):
        if want != have:
            drift.append(f"{where}: {field} is {have!r} in the code, {want!r} in the spec")
    if endpoint.content_types != op.content_types:
        drift.append(
            f"{where}: Content-Type is {endpoint.content_types!r} in the code, "
            f"{op.content_types!r} in the spec"
        )
    returns = _python_type(spec, op.response_types.get("200"), argument=False)
    # *_without_preload_content: what the transport of this client holds, unread
    rest = importlib.import_module(_client_package(api_class) + ".rest")
    transport = typing.get_type_hints(rest.RESTResponse.__init__)["resp"]
    expected_returns = [returns, ApiResponse[returns], transport]
    for suffix, expected_return in zip(_VARIANTS, expected_returns, strict=True):
        method = getattr(api_class, op.operation_id + suffix, None)
        if method is None:
            drift.append(f"{where}{suffix}: no such method")
            continue
        if inspect.iscoroutinefunction(method) != _is_async(api_class):
            drift.append(f"{where}{suffix}: not {'async' if _is_async(api_class) else 'sync'}")
        hints = typing.get_type_hints(method, globalns=_namespace(method.__module__))
        positional = [
            p
            for p in inspect.signature(method).parameters.values()
            if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD and p.name != "self"
        ]
        got = [
            (p.name, hints.get(p.name), p.default is inspect.Parameter.empty) for p in positional
        ]
        want = [
            (name, _python_type(spec, type_name, argument=True), op.required[name])
            for name, _, _, type_name, _ in op.params
        ]
        if got != want:
            drift.append(f"{where}{suffix}: parameters are {got} in the code, {want} in the spec")
        if hints.get("options") != Unpack[RequestOptions]:
            drift.append(
                f"{where}{suffix}: takes {hints.get('options')} as its **options, "
                "not Unpack[RequestOptions]"
            )
        if hints.get("return") != expected_return:
            drift.append(
                f"{where}{suffix}: returns {hints.get('return')} in the code, "
                f"{expected_return} in the spec"
            )
    return drift


def _field_type(annotation: Any) -> Any:
    """``Optional[Annotated[str, Strict()]]`` -> ``str``; a Literal stays a Literal."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is Union and type(None) in args and len(args) == 2:
            annotation = next(a for a in args if a is not type(None))
        elif origin is typing.Annotated:
            annotation = args[0]
        else:
            return annotation


def _schema_type(schema: dict[str, Any]) -> Any:
    if "enum" in schema and len(schema["enum"]) == 1:
        return Literal[schema["enum"][0]]
    return _PRIMITIVES.get(schema.get("type", ""), f"<{schema}>")


def _model_drift(name: str, schema: dict[str, Any], model: type[BaseModel]) -> list[str]:
    if "oneOf" in schema:
        variants = {_ref_name(v) for v in schema["oneOf"]}
        mapping = {
            value: _ref_name({"$ref": ref})
            for value, ref in schema.get("discriminator", {}).get("mapping", {}).items()
        }
        drift = []
        if getattr(model, "one_of_schemas", None) != variants:
            drift.append(f"{name}: oneOf {variants} in the spec, not in the model")
        if getattr(model, "discriminator_value_class_map", None) != mapping:
            drift.append(f"{name}: discriminator mapping {mapping} in the spec, not in the model")
        return drift
    required = set(schema.get("required", []))
    want = {
        wire: (wire in required, _schema_type(prop))
        for wire, prop in schema.get("properties", {}).items()
    }
    have = {
        # A field "required" on the wire is one the model always sends or always expects.
        wire_name(python_name, field): (
            field.is_required() or field.default is not None,
            _field_type(field.annotation),
        )
        for python_name, field in model.model_fields.items()
    }
    drift = [
        f"{name}.{wire}: (required, type) is {have.get(wire, 'missing')} in the model, "
        f"{want.get(wire, 'missing')} in the spec"
        for wire in sorted(set(want) | set(have))
        if want.get(wire) != have.get(wire)
    ]
    for python_name, field in model.model_fields.items():
        wire = wire_name(python_name, field)
        # the constructor's parameter is the Python name (an ``alias`` would make it the
        # wire name, for type checkers); validation takes both names
        takes = (field.alias, field.validation_alias)
        expected = (None, None if wire == python_name else AliasChoices(python_name, wire))
        if takes != expected:
            drift.append(
                f"{name}.{python_name}: (alias, validation_alias) is {takes}, not {expected}: "
                f'declare it as Annotated[..., wire("{python_name}", "{wire}")]'
            )
    return drift


def wire_name(python_name: str, field: Any) -> str:
    """The name of a model field on the wire: what ``to_dict()`` writes."""
    return field.serialization_alias or python_name


def _dict_drift(spec: dict[str, Any], name: str, dicts: dict[str, Any]) -> list[str]:
    """How the dict form of model ``name`` differs from its schema (wire names, required
    keys, value types); a ``oneOf`` is the union of its variants' dict forms."""
    schema = spec["components"]["schemas"][name]
    typed_dict = dicts[f"{name}Dict"]
    if "oneOf" in schema:
        variants = [dicts.get(f"{_ref_name(v)}Dict") for v in schema["oneOf"]]
        want_union = Union[tuple(variants)]
        if typed_dict != want_union:
            return [f"{name}Dict: is {typed_dict}, not the union of {variants}"]
        return []
    properties = schema.get("properties", {})
    want = {wire: _schema_type(prop) for wire, prop in properties.items()}
    have = typing.get_type_hints(typed_dict)
    drift = [
        f"{name}Dict.{key}: {have.get(key, 'missing')} in the dict, "
        f"{want.get(key, 'missing')} in the spec"
        for key in sorted(set(want) | set(have))
        if want.get(key) != have.get(key)
    ]
    required = set(schema.get("required", []))
    if set(typed_dict.__required_keys__) != required:
        drift.append(
            f"{name}Dict: required keys {sorted(typed_dict.__required_keys__)}, "
            f"{sorted(required)} in the spec"
        )
    return drift


def _request_models(spec: dict[str, Any]) -> set[str]:
    """The schemas that a request body uses, and their oneOf variants."""
    names = {
        type_name
        for op in spec_operations(spec).values()
        for _, _, location, type_name, _ in op.params
        if location == "body" and type_name in spec["components"]["schemas"]
    }
    for name in list(names):
        names |= {_ref_name(v) or "?" for v in spec["components"]["schemas"][name].get("oneOf", [])}
    return names


def contract_drift(
    spec: dict[str, Any],
    endpoints: Optional[list[Endpoint[Any]]] = None,
    models: Optional[dict[str, type[BaseModel]]] = None,
    api_class: type = AuthenticationApi,
    dicts: Optional[dict[str, Any]] = None,
) -> list[str]:
    """Every difference between the document and the package (empty: they agree)."""
    endpoints = package_endpoints() if endpoints is None else endpoints
    models = package_models() if models is None else models
    operations = spec_operations(spec)
    by_id = {e.operation_id: e for e in endpoints}
    drift = [f"{op}: in the spec, no Endpoint in the code" for op in operations if op not in by_id]
    drift += [
        f"{op}: an Endpoint in the code, not in the spec" for op in by_id if op not in operations
    ]
    for operation_id in sorted(set(operations) & set(by_id)):
        drift += _operation_drift(spec, operations[operation_id], by_id[operation_id], api_class)
    methods = {n for n in vars(api_class) if not n.startswith("_")}
    expected_methods = {op + suffix for op in operations for suffix in _VARIANTS}
    drift += [
        f"{m}: a method of {api_class.__name__}, not in the spec"
        for m in sorted(methods - expected_methods)
    ]
    schemas = spec["components"]["schemas"]
    drift += [f"{s}: a schema of the spec, no model" for s in sorted(set(schemas) - set(models))]
    drift += [f"{m}: a model, not in the spec" for m in sorted(set(models) - set(schemas))]
    for name in sorted(set(schemas) & set(models)):
        drift += _model_drift(name, schemas[name], models[name])
    dicts = package_dicts() if dicts is None else dicts
    wanted = {f"{name}Dict" for name in _request_models(spec)}
    drift += [f"{d}: no dict form of a request model" for d in sorted(wanted - set(dicts))]
    drift += [f"{d}: not the dict form of a request model" for d in sorted(set(dicts) - wanted)]
    for typed_dict in sorted(wanted & set(dicts)):
        drift += _dict_drift(spec, typed_dict[: -len("Dict")], dicts)
    return drift


# --------------------------------------------------------------------------- tests


def test_the_document_is_valid_openapi() -> None:
    spec = load_spec()
    validate(spec)
    assert spec["openapi"].startswith("3.0")
    assert spec["servers"] == [{"url": "https://api.nuextract.ai/v1"}]


def _client_package(api_class: type) -> str:
    """``numind.openapi_client`` or ``numind.openapi_client_async``: whose API class it is."""
    module = next(c.__module__ for c in api_class.__mro__ if c.__module__.startswith("numind."))
    return module.split(".api.")[0]


def _is_async(api_class: type) -> bool:
    return _client_package(api_class) == "numind.openapi_client_async"


def test_the_code_follows_the_document() -> None:
    assert contract_drift(load_spec()) == []
    assert len(spec_operations(load_spec())) == len(package_endpoints()) == 8


def test_the_async_code_follows_the_document() -> None:
    from numind.openapi_client_async import AuthenticationApi as AsyncAuthenticationApi

    assert contract_drift(load_spec(), api_class=AsyncAuthenticationApi) == []


def _rename_wire_field(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["UserTokenResponse"]
    schema["properties"]["user_id"] = schema["properties"].pop("userId")
    schema["required"] = ["user_id" if r == "userId" else r for r in schema["required"]]


def _add_operation(spec: dict[str, Any]) -> None:
    spec["paths"]["/api/auth/me"]["delete"] = {
        "operationId": "delete_api_auth_me",
        "responses": {"default": {"$ref": "#/components/responses/Error"}},
    }


_POST_TOKEN = ("paths", "/api/auth/token", "post")
_ME = ("paths", "/api/auth/me", "get")


def _at(spec: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        spec = spec[key]
    return spec


DRIFTS = {
    "rename a wire field": (_rename_wire_field, "UserTokenResponse.user_id"),
    "drop a required field": (
        lambda s: s["components"]["schemas"]["TokenResponse"]["required"].remove("expiresIn"),
        "TokenResponse.expiresIn",
    ),
    "make an optional field required": (
        lambda s: s["components"]["schemas"]["TokenResponse"]["required"].append("refreshToken"),
        "TokenResponse.refreshToken",
    ),
    "change a field type": (
        lambda s: s["components"]["schemas"]["TokenResponse"]["properties"]["expiresIn"].update(
            type="string"
        ),
        "TokenResponse.expiresIn",
    ),
    "add a field": (
        lambda s: s["components"]["schemas"]["User"]["properties"].update(name={"type": "string"}),
        "User.name",
    ),
    "change a discriminator value": (
        lambda s: s["components"]["schemas"]["TokenRefreshRequest"]["properties"]["type"].update(
            enum=["ai.numind.extract.shared.RefreshRequest"]
        ),
        "TokenRefreshRequest.type",
    ),
    "add a schema": (
        lambda s: s["components"]["schemas"].update(Team={"type": "object"}),
        "Team: a schema of the spec, no model",
    ),
    "add an operation": (_add_operation, "delete_api_auth_me: in the spec, no Endpoint"),
    "change a path": (
        lambda s: s["paths"].update({"/api/auth/whoami": s["paths"].pop("/api/auth/me")}),
        "get_api_auth_me: path",
    ),
    "rename a query parameter": (
        lambda s: s["paths"]["/api/auth"]["get"]["parameters"][0].update(name="redirect_uri"),
        "get_api_auth: params",
    ),
    "make a parameter optional": (
        lambda s: s["paths"]["/api/auth"]["get"]["parameters"][0].update(required=False),
        "get_api_auth: parameters are",
    ),
    "change a request body model": (
        lambda s: _at(s, *_POST_TOKEN)["requestBody"]["content"]["application/json"].update(
            schema={"$ref": "#/components/schemas/TokenRefreshRequest"}
        ),
        "post_api_auth_token: params",
    ),
    "change a response type": (
        lambda s: _at(s, *_ME)["responses"]["200"]["content"]["application/json"].update(
            schema={"$ref": "#/components/schemas/Error"}
        ),
        "get_api_auth_me: response_types",
    ),
    "change a request media type": (
        lambda s: _at(s, *_POST_TOKEN)["requestBody"].update(
            content={
                "application/x-www-form-urlencoded": _at(s, *_POST_TOKEN)["requestBody"]["content"][
                    "application/json"
                ]
            }
        ),
        "post_api_auth_token: Content-Type",
    ),
    "change a response media type": (
        lambda s: _at(s, *_ME)["responses"]["200"].update(
            content={"application/xml": {"schema": {"$ref": "#/components/schemas/User"}}}
        ),
        "get_api_auth_me: Accept",
    ),
    "drop the security of an operation": (
        lambda s: _at(s, *_ME).pop("security"),
        "get_api_auth_me: security",
    ),
    "add a field to a request model": (
        lambda s: s["components"]["schemas"]["CreateOrUpdateUserToken"]["properties"].update(
            description={"type": "string"}
        ),
        "CreateOrUpdateUserTokenDict.description: missing in the dict",
    ),
    "make a request field optional": (
        lambda s: s["components"]["schemas"]["TokenCodeRequest"]["required"].remove("redirectUri"),
        "TokenCodeRequestDict: required keys",
    ),
    "rename a request wire field": (
        lambda s: s["components"]["schemas"]["TokenCodeRequest"]["properties"].update(
            redirectUrl=s["components"]["schemas"]["TokenCodeRequest"]["properties"].pop(
                "redirectUri"
            )
        ),
        "TokenCodeRequestDict.redirectUri: <class 'str'> in the dict, missing in the spec",
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_a_change_of_the_document_is_reported(drift: str) -> None:
    mutate, expected = DRIFTS[drift]
    spec = copy.deepcopy(load_spec())
    mutate(spec)
    reported = contract_drift(spec)
    assert any(line.startswith(expected) for line in reported), reported


def test_an_operation_or_model_the_document_lacks_is_reported() -> None:
    spec = load_spec()
    extra = Endpoint(
        operation_id="get_api_auth_teams",
        method="GET",
        path="/api/auth/teams",
        params=(),
        response_types={"200": "object"},
        accept="application/json",
    )
    assert contract_drift(spec, endpoints=[*package_endpoints(), extra]) == [
        "get_api_auth_teams: an Endpoint in the code, not in the spec"
    ]

    class Team(BaseModel):
        name: str

    assert contract_drift(spec, models={**package_models(), "Team": Team}) == [
        "Team: a model, not in the spec"
    ]


def test_a_change_of_the_code_is_reported() -> None:
    spec = load_spec()

    class Renamed(BaseModel):  # UserTokenResponse with one wire name changed
        id: str
        name: str
        token: str
        user_id: str
        created_at: Annotated[str, wire("created_at", "createdAt")]
        expires_at: Annotated[str, wire("expires_at", "expiresAt")]

    drift = contract_drift(spec, models={**package_models(), "UserTokenResponse": Renamed})
    assert [d.split(":")[0] for d in drift] == [
        "UserTokenResponse.userId",  # missing in the model
        "UserTokenResponse.user_id",  # missing in the spec
    ]

    endpoints = [
        Endpoint(**{**vars(e), "params": (Param("user_token_id", "id", "path", "str"),)})
        if e.operation_id == "delete_api_auth_user_tokens_usertokenid"
        else e
        for e in package_endpoints()
    ]
    assert contract_drift(spec, endpoints=endpoints)[0].startswith(
        "delete_api_auth_user_tokens_usertokenid: params"
    )

    class Aliased(BaseModel):  # pydantic's alias=: the constructor would take "userId"
        id: str
        name: str
        token: str
        user_id: str = Field(alias="userId")
        created_at: Annotated[str, wire("created_at", "createdAt")]
        expires_at: Annotated[str, wire("expires_at", "expiresAt")]

    drift = contract_drift(spec, models={**package_models(), "UserTokenResponse": Aliased})
    assert drift == [
        "UserTokenResponse.user_id: (alias, validation_alias) is ('userId', 'userId'), not "
        "(None, AliasChoices(choices=['user_id', 'userId'])): declare it as "
        'Annotated[..., wire("user_id", "userId")]'
    ]

    class TokenCodeRequestDict(TypedDict):  # a misspelt wire name
        type: Literal["ai.numind.extract.shared.TokenCodeRequest"]
        code: str
        redirectUrl: str

    drift = contract_drift(
        spec, dicts={**package_dicts(), "TokenCodeRequestDict": TokenCodeRequestDict}
    )
    assert [d.split(":")[0] for d in drift] == [
        "TokenCodeRequestDict.redirectUri",  # missing in the dict
        "TokenCodeRequestDict.redirectUrl",  # missing in the spec
        "TokenCodeRequestDict",  # required keys
        "TokenRequestDict",  # no longer the union of the variants' dicts
    ]
    without = {k: v for k, v in package_dicts().items() if k != "CreateOrUpdateUserTokenDict"}
    assert contract_drift(spec, dicts=without) == [
        "CreateOrUpdateUserTokenDict: no dict form of a request model"
    ]

    class Api(AuthenticationApi):
        def get_api_auth_me(self, verbose: bool) -> Any:  # type: ignore[override]
            raise NotImplementedError

        def get_api_auth_user_tokens(  # type: ignore[override]
            self, *, _request_timeout: Optional[float] = None
        ) -> List[UserTokenResponse]:
            raise NotImplementedError

        def get_api_auth_me_as_dict(self) -> Any:
            raise NotImplementedError

    drift = contract_drift(spec, api_class=Api)
    assert any(d.startswith("get_api_auth_me: parameters") for d in drift), drift
    assert (
        "get_api_auth_user_tokens: takes None as its **options, not Unpack[RequestOptions]" in drift
    )
    assert "get_api_auth_me_as_dict: a method of Api, not in the spec" in drift
