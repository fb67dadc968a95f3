"""``numind auth login`` with a real browser: headless Chromium is the ``BROWSER``.

Chromium loads the one-time link of the CLI's listener, follows its 302 to the local
server's sign-in page, and that page's 302 back to the listener, which answers "you can
close this tab". What Chromium rendered is read from its DOM dump. CI installs Chromium
(Debian's ``chromium``, see ``.ci/run``); elsewhere the test needs it on PATH.
"""

from __future__ import annotations

import os
import pathlib
import shlex
import subprocess
import sys
import time
from typing import Callable, Optional

import pytest
from chromium_browser import chromium

from numind.openapi_client.testing import Exchange, LocalServer

NUMIND = pathlib.Path(sys.executable).with_name("numind")
WRAPPER = pathlib.Path(__file__).with_name("chromium_browser.py")

pytestmark = pytest.mark.skipif(
    chromium() is None and not os.environ.get("CI"),
    reason="needs Chromium (`apt-get install chromium`); CI installs it, and never skips",
)


def browser_env(server: LocalServer, dom: pathlib.Path) -> dict[str, str]:
    return {
        **os.environ,
        "NUMIND_BASE_URL": server.url,
        "BROWSER": f"{shlex.quote(sys.executable)} {shlex.quote(str(WRAPPER))} %s",
        "NUMIND_TEST_DOM": str(dom),
    }


def rendered(dom: pathlib.Path, within: float = 60) -> str:
    """The DOM that Chromium dumped, once it has (it may finish after the CLI)."""
    end = time.monotonic() + within
    while not dom.exists():
        assert time.monotonic() < end, "Chromium dumped no page"
        time.sleep(0.1)
    return dom.read_text(encoding="utf-8")


def watch(server: LocalServer) -> list[Exchange]:
    """Every exchange of ``server`` from now on (its traffic is still validated)."""
    seen: list[Exchange] = []
    validate: Optional[Callable[[Exchange], None]] = server.on_exchange
    assert validate is not None

    def record(exchange: Exchange) -> None:
        seen.append(exchange)
        validate(exchange)

    server.on_exchange = record
    return seen


def user_agent(exchange: Exchange) -> str:
    return {k.lower(): v for k, v in exchange.request_headers}.get("user-agent", "")


def test_chromium_signs_in_through_the_sign_in_page_and_the_listener(
    own_server: LocalServer, tmp_path: pathlib.Path
) -> None:
    assert chromium() is not None, "Chromium is missing: .ci/run installs it"
    env = browser_env(own_server, tmp_path / "dom.html")
    seen = watch(own_server)

    login = subprocess.run(
        [str(NUMIND), "auth", "login", "--timeout", "90"],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )

    page = rendered(tmp_path / "dom.html")
    assert login.returncode == 0, login.stderr + (tmp_path / "dom.html.log").read_text()
    assert login.stderr == ""
    assert f"Signed in as user@example.com on {own_server.url}" in login.stdout
    assert "<h1>Signed in</h1>" in page
    assert "You can close this tab and return to your program." in page
    # Chromium itself loaded the sign-in page (and was redirected from there)
    sign_in = [e for e in seen if e.target.startswith("/realms/")]
    assert [e.status for e in sign_in] == [302]
    assert "Chrome/" in user_agent(sign_in[0])
    whoami = subprocess.run(
        [str(NUMIND), "auth", "whoami"], capture_output=True, text=True, timeout=60, env=env
    )
    assert (whoami.returncode, whoami.stdout) == (0, "user@example.com\n")


# Chromium also asks the error page's origin for /favicon.ico: a 404 outside the API.
@pytest.mark.invalid_traffic
def test_chromium_shows_the_refusal_of_the_sign_in_page_and_the_cli_reports_it(
    traffic_validator: Callable[[Exchange], None], tmp_path: pathlib.Path
) -> None:
    assert chromium() is not None, "Chromium is missing: .ci/run installs it"
    # The login waits out its whole timeout, since the sign-in never comes back. Chromium
    # starts in a second or two, but on a loaded machine it may open the login's link only
    # after a short timeout, and the CLI then says that no browser came (the other message
    # of a timeout): only that run is made again, with a longer timeout.
    for timeout in (5, 30, 90):
        dom = tmp_path / f"dom-{timeout}.html"
        # The sign-in page allows only the web app's redirect URI, not the CLI's listener.
        with LocalServer(redirect_uris=["https://app.example.com/*"]) as server:
            server.on_exchange = traffic_validator
            env = browser_env(server, dom)
            seen = watch(server)
            login = subprocess.run(
                [str(NUMIND), "auth", "login", "--timeout", str(timeout)],
                capture_output=True,
                text=True,
                timeout=180,
                env=env,
            )
            page = rendered(dom)
        if f"No sign-in within {timeout} seconds: run the login again" not in login.stderr:
            break

    assert "We are sorry..." in page and "Invalid parameter: redirect_uri" in page
    sign_in = [e for e in seen if e.target.startswith("/realms/")]
    assert [e.status for e in sign_in] == [400] and "Chrome/" in user_agent(sign_in[0])
    assert login.returncode == 1
    assert login.stderr == (
        f"numind: error: No sign-in within {timeout} seconds: the browser opened the sign-in page "
        'but was never sent back here. If the page shows an error (such as "Invalid '
        'parameter: redirect_uri"), the server refused this sign-in; otherwise run the '
        "login again (a longer timeout gives more time)\n"
    )
    assert not (pathlib.Path(env["NUMIND_CONFIG_DIR"]) / "credentials.json").exists()
