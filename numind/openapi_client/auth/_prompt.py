"""What the user sees and types during a sign-in: the sign-in link (a line, or a link in
Jupyter), the browser opened for it, and paste mode's prompt for the redirected URL."""

from __future__ import annotations

import html
import importlib
import logging
import select
import sys
import threading
import webbrowser
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

from .._redact import Secret
from ._errors import LoginError
from ._redirect import code_from_redirect

logger = logging.getLogger("numind.openapi_client")

#: What paste mode's browser shows at the end, said beforehand so that no one is alarmed.
PASTE_NOTE = (
    'After you sign in, the browser shows an error such as "can\'t connect" or '
    '"connection refused" for 127.0.0.1: that is expected (nothing listens there). '
    "Copy the whole address from its address bar."
)


def show(url: str, *, paste: bool) -> None:
    """Show the sign-in URL: a link in IPython/Jupyter, else a line on stdout."""
    then = (
        "then paste here the URL your browser was sent to (or its code)"
        if paste
        else "and sign in; this waits for the browser"
    )
    note = PASTE_NOTE if paste else ""
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and type(shell).__name__ != "TerminalInteractiveShell":
        ipython_display: Any = importlib.import_module("IPython.display")
        escaped = html.escape(url, quote=True)
        ipython_display.display(
            ipython_display.HTML(
                f"<p>Open <a href='{escaped}' target='_blank' rel='noopener'>this sign-in "
                f"link</a> {html.escape(then)}.</p><p><code>{escaped}</code></p>"
                + (f"<p>{html.escape(note)}</p>" if note else "")
            )
        )
        return
    print(f"Open this URL in a browser {then}:\n\n    {url}\n", flush=True)
    if note:
        print(note + "\n", flush=True)


#: The WARNING of a sign-in whose browser could not be opened (``%s``: the URL).
NO_BROWSER = (
    "No browser could be opened: open %s in a browser on this machine, or, for a browser "
    "on another machine, use paste mode: `numind auth login --paste` (in Python, "
    "auth.login(paste=True))"
)


def open_link(url: str, browser: Optional[Callable[[str], Any]]) -> None:
    """Open ``url`` with ``browser`` (default ``webbrowser.open``) in a thread; a failure is
    logged at WARNING, at once, not raised: the URL is shown already."""
    opener = webbrowser.open if browser is None else browser

    def run() -> None:
        try:
            if opener(url) is False:
                # At once: else the sign-in waits for a redirect that cannot come.
                logger.warning(NO_BROWSER, url)
        except Exception:
            logger.warning("Opening the browser failed; open the URL shown above", exc_info=True)

    # In a thread: a browser (or a function standing in for one) may follow the redirect
    # to our listener before returning, and the listener answers only once we wait.
    threading.Thread(target=run, name="numind-login-browser", daemon=True).start()


def code_from_paste(
    read_input: Callable[[str], str], expected_state: Optional[str], timeout: float
) -> str:
    """The code of the redirected URL (or the code alone) that the user pastes, checked
    against ``expected_state``; ``LoginError`` if nothing (or something else) was pasted."""
    try:
        pasted = _read_within(read_input, "Paste the URL (or the code): ", timeout).strip()
    except EOFError:
        raise LoginError(
            "Nothing was pasted (the input ended): run the login again, and paste the URL "
            "your browser was sent to"
        ) from None
    if not pasted:
        raise LoginError("Nothing was pasted: paste the URL your browser was sent to")
    if "?" not in pasted and "=" not in pasted:
        return Secret(pasted)  # the code alone, typed by the user
    query = parse_qs(urlsplit(pasted).query if "?" in pasted else pasted)
    return code_from_redirect(query, expected_state)


def _read_within(read_input: Callable[[str], str], prompt: str, timeout: float) -> str:
    """A line from ``read_input``; from a terminal or a pipe (``input``), within ``timeout``
    seconds, else ``LoginError``. ``EOFError`` at the end of the input."""
    if read_input is not input or not _selectable(sys.stdin):
        return read_input(prompt)  # a function of the caller's, or a notebook's input
    print(prompt, end="", flush=True)
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        print(flush=True)
        raise LoginError(
            f"Nothing was pasted within {timeout:g} seconds: run the login again (a longer "
            "timeout gives more time)"
        )
    line = sys.stdin.readline()
    if not line:
        print(flush=True)  # end the prompt's line, as input() does on Ctrl-D
        raise EOFError
    return line


def _selectable(stream: Any) -> bool:
    if sys.platform == "win32":  # select() takes only sockets there
        return False
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    return True
