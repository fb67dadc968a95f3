"""Every ```python block of README.md and docs/ runs as written against a local server."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest
from _examples import ROOT
from signing_in import authorization_code, new_email, sign_in

import numind.openapi_client as sdk
from numind.openapi_client.testing import LocalServer

DOC_REDIRECT_URI = "http://localhost:5173"
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _blocks() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for number, match in enumerate(BLOCK.finditer(text), start=1):
            line = text.count("\n", 0, match.start()) + 1
            found.append((f"{page.name}:{line}#{number}", match.group(1)))
    return found


BLOCKS = _blocks()


def test_the_docs_have_examples_for_every_page() -> None:
    pages_with_blocks = {name.split(":")[0] for name, _ in BLOCKS}
    assert pages_with_blocks == {page.name for page in PAGES}


def example_env(
    server: LocalServer,
    session: sdk.TokenResponse,
    api_key: str,
    code_for_docs: str,
    cwd: pathlib.Path,
) -> dict[str, str]:
    """The environment that an example runs in: the server's URL and the user's tokens,
    API key and authorization code, and a credential directory of its own; no other
    ``NUMIND_`` variable."""
    assert session.refresh_token is not None
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMIND_")}
    return {
        **clean,
        "NUMIND_BASE_URL": server.url,
        "NUMIND_API_KEY": api_key,
        "ACCESS_TOKEN": session.token,
        "NUMIND_REFRESH_TOKEN": session.refresh_token,
        "NUMIND_AUTH_CODE": code_for_docs,
        "NUMIND_CONFIG_DIR": str(cwd / "numind-config"),
    }


def run_block(server: LocalServer, code: str, cwd: pathlib.Path) -> str:
    """Run ``code`` in a fresh interpreter with the credentials of a fresh user of the
    session's local server in the environment; fail on an error or a caught exception."""
    email = new_email()
    session = sign_in(server, email)
    configuration = sdk.Configuration(host=server.url, access_token=session.token)
    with sdk.ApiClient(configuration) as client:
        api = sdk.AuthenticationApi(client)
        key = api.post_api_auth_user_tokens({"name": "docs"})
        code_for_docs = authorization_code(api, email, DOC_REDIRECT_URI)
    env = example_env(server, session, key.token, code_for_docs, cwd)
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(cwd),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Exception when calling" not in output, output
    return output


@pytest.mark.parametrize(("where", "code"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_python_block_runs(
    server: LocalServer, where: str, code: str, tmp_path: pathlib.Path
) -> None:
    run_block(server, code, tmp_path)
