"""The seed's own examples (test/data/seed_AuthenticationApi.md, a copy of the documented
surface we were given) run against the SDK with only the allowed changes: ``import os``,
the host, real ids and values instead of placeholders, a ``name`` for
``CreateOrUpdateUserToken()``. ``get_api_auth`` runs with its placeholder as written
(``redirect_uri = 'redirect_uri_example'``): the API answers any redirect URI."""

from __future__ import annotations

import pathlib
import re

import pytest
from test_docs_examples import BLOCK, run_block

from numind.openapi_client.testing import LocalServer

SEED = pathlib.Path(__file__).parent / "data" / "seed_AuthenticationApi.md"

# (placeholder in the seed, what a user writes instead)
CHANGES = [
    ("import numind.openapi_client\n", "import os\nimport numind.openapi_client\n"),
    ('host = "https://api.nuextract.ai/v1"', 'host = os.environ["NUMIND_BASE_URL"]'),
    ("'user_token_id_example'", "api_instance.get_api_auth_user_tokens()[0].id"),
    ("'body_example'", 'os.environ["NUMIND_REFRESH_TOKEN"]'),
    ("CreateOrUpdateUserToken()", 'CreateOrUpdateUserToken(name="seed example")'),
]
SEED_CODE = re.compile(r'"code":"[A-Za-z0-9._-]+"')


def _seed_blocks() -> list[tuple[str, str]]:
    text = SEED.read_text(encoding="utf-8")
    blocks = []
    for match in BLOCK.finditer(text):
        code = match.group(1)
        operation = re.search(r"api_instance\.(\w+)\(", code)
        assert operation is not None
        for placeholder, value in CHANGES:
            code = code.replace(placeholder, value)
        code = SEED_CODE.sub('"code":os.environ["NUMIND_AUTH_CODE"]', code)
        blocks.append((operation.group(1), code))
    return blocks


SEED_BLOCKS = _seed_blocks()


def test_the_seed_documents_all_eight_operations() -> None:
    assert len({name for name, _ in SEED_BLOCKS}) == 8


@pytest.mark.parametrize(("operation", "code"), SEED_BLOCKS, ids=[n for n, _ in SEED_BLOCKS])
def test_seed_example_runs(
    server: LocalServer, operation: str, code: str, tmp_path: pathlib.Path
) -> None:
    output = run_block(server, code, tmp_path)

    assert f"The response of AuthenticationApi->{operation}" in output or operation.startswith(
        "delete_"
    )
