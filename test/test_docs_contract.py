"""docs/ follows openapi.yaml: one page per API group and per schema, no other page,
and the method tables (of the API page and of README.md) and the property tables say
what the document says. A table's Description is the operation's ``summary``, as in
OpenAPI Generator's docs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from _contract import load_spec
from _examples import ROOT

#: pages of docs/ that are not generated-style pages of the document (exempt by name)
PROSE_PAGES = {
    "ASYNC.md",
    "CONTRIBUTING.md",
    "EXTENDING.md",
    "PERFORMANCE.md",
    "RELIABILITY.md",
    "SECURITY.md",
    "SIGNING_IN.md",
    "TESTING.md",
    "TYPING.md",
}
METHOD_ROW = re.compile(
    r"^(?:\*\w+\* \| )?\[\*\*(\w+)\*\*\]\((?:docs/)?(\w+)\.md#(\w+)\) \| "
    r"\*\*([A-Z]+)\*\* (\S+) \| (.*)$",
    re.M,
)
PROPERTY_ROW = re.compile(r"^\*\*(\w+)\*\* \| ", re.M)
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(page, operationId, HTTP method, path, summary) of every operation."""
    found = []
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                op = item[method]
                page = f"{op['tags'][0]}Api"
                summary = op.get("summary", "")
                found.append((page, op["operationId"], method.upper(), path, summary))
    return sorted(found)


def expected_pages(spec: dict[str, Any]) -> set[str]:
    """The generated-style pages of docs/: one per API group (tag), one per schema."""
    return {f"{page}.md" for page, *_ in operations(spec)} | {
        f"{name}.md" for name in spec["components"]["schemas"]
    }


def docs_drift(spec: dict[str, Any], pages: dict[str, str]) -> list[str]:
    """Every difference between the document and the docs pages (name -> text)."""
    expected = expected_pages(spec)
    have = set(pages) - PROSE_PAGES - {"README.md"}
    drift = [f"docs/{p}: missing" for p in sorted(expected - have)]
    drift += [f"docs/{p}: a page the document does not describe" for p in sorted(have - expected)]
    want = [(f"{page}.md", *rest) for page, *rest in operations(spec)]
    for table in [*sorted(have & {row[0] for row in want}), "README.md"]:
        rows = sorted(
            (page + ".md", name, method, path, summary.strip())
            for name, page, anchor, method, path, summary in METHOD_ROW.findall(pages[table])
            if anchor == name
        )
        drift += [f"{table} table: {row} is not in the document" for row in rows if row not in want]
        drift += [f"{table} table: no row {row}" for row in want if row not in rows]
    schemas = spec["components"]["schemas"]
    for name in sorted(set(schemas) & {p[:-3] for p in have}):
        variants = [schemas[v["$ref"].rsplit("/", 1)[1]] for v in schemas[name].get("oneOf", [])]
        wire = {w for s in [schemas[name], *variants] for w in s.get("properties", {})}
        section = pages[f"{name}.md"].partition("## Properties")[2].partition("\n## ")[0]
        listed = set(PROPERTY_ROW.findall(section))
        for python_name in sorted({_snake_case(w) for w in wire} ^ listed):
            drift.append(f"docs/{name}.md: property {python_name} differs from the document")
    return drift


def docs_pages() -> dict[str, str]:
    """docs/*.md and README.md, by name."""
    pages = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs").glob("*.md")}
    return {**pages, "README.md": (ROOT / "README.md").read_text(encoding="utf-8")}


def test_the_docs_follow_the_document() -> None:
    assert docs_drift(load_spec(), docs_pages()) == []
    assert len(METHOD_ROW.findall(docs_pages()["AuthenticationApi.md"])) == 8
    assert len(METHOD_ROW.findall(docs_pages()["README.md"])) == 8


def _edit(page: str, old: str, new: str) -> Any:
    def edit(pages: dict[str, str]) -> None:
        assert old in pages[page]
        pages[page] = pages[page].replace(old, new, 1)

    return edit


DRIFTS = {
    "a page is missing": (lambda p: p.pop("User.md"), "docs/User.md: missing"),
    "an extra page": (
        lambda p: p.update({"Team.md": "# Team"}),
        "docs/Team.md: a page the document does not describe",
    ),
    "a table row is missing": (
        _edit("AuthenticationApi.md", "[**get_api_auth_me**]", "[**get_api_auth_me_**]"),
        "AuthenticationApi.md table: no row ('AuthenticationApi.md', 'get_api_auth_me'",
    ),
    "a row has another path": (
        _edit("AuthenticationApi.md", "**GET** /api/auth/me", "**GET** /api/auth/whoami"),
        "AuthenticationApi.md table: ('AuthenticationApi.md', 'get_api_auth_me', 'GET', "
        "'/api/auth/whoami'",
    ),
    "a row has another HTTP method": (
        _edit(
            "AuthenticationApi.md",
            "**PUT** /api/auth/user-tokens/",
            "**PATCH** /api/auth/user-tokens/",
        ),
        "AuthenticationApi.md table: ('AuthenticationApi.md', "
        "'put_api_auth_user_tokens_usertokenid', 'PATCH'",
    ),
    "a row has another description": (
        _edit(
            "AuthenticationApi.md",
            "/api/auth/me | Get the signed-in user",
            "/api/auth/me | Who am I",
        ),
        "AuthenticationApi.md table: ('AuthenticationApi.md', 'get_api_auth_me', 'GET', "
        "'/api/auth/me', 'Who am I')",
    ),
    "a README row has another path": (
        _edit("README.md", "**GET** /api/auth/me", "**GET** /api/auth/whoami"),
        "README.md table: ('AuthenticationApi.md', 'get_api_auth_me', 'GET', '/api/auth/whoami'",
    ),
    "a property is missing": (
        _edit("UserTokenResponse.md", "**user_id** |", "**owner** |"),
        "docs/UserTokenResponse.md: property owner",
    ),
}


@pytest.mark.parametrize("drift", DRIFTS)
def test_a_drift_of_the_docs_is_reported(drift: str) -> None:
    change, expected = DRIFTS[drift]
    pages = docs_pages()
    change(pages)
    reported = docs_drift(load_spec(), pages)
    assert any(line.startswith(expected) for line in reported), reported


def test_a_change_of_the_document_is_reported_against_the_docs() -> None:
    spec = load_spec()
    spec["components"]["schemas"]["User"]["properties"]["name"] = {"type": "string"}
    spec["paths"]["/api/auth/me"]["get"]["summary"] = "Who am I"
    row = "('AuthenticationApi.md', 'get_api_auth_me', 'GET', '/api/auth/me', "
    old, new = row + "'Get the signed-in user')", row + "'Who am I')"
    assert docs_drift(spec, docs_pages()) == [
        f"AuthenticationApi.md table: {old} is not in the document",
        f"AuthenticationApi.md table: no row {new}",
        f"README.md table: {old} is not in the document",
        f"README.md table: no row {new}",
        "docs/User.md: property name differs from the document",
    ]
