"""examples/notebook.ipynb runs in a real Jupyter kernel (nbclient + ipykernel)."""

from __future__ import annotations

import pathlib
import platform

import pytest
from _examples import ROOT

NOTEBOOK = ROOT / "examples" / "notebook.ipynb"


def test_the_notebook_signs_in_and_manages_a_key(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jupyter warns (on import) about its old config paths unless told to use the new ones.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)

    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()

    kernel_python = notebook.metadata.language_info.version
    assert kernel_python == platform.python_version()  # this Python's kernel, not another
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    text = "".join(output.get("text", "") for output in outputs)
    html = "".join(output.get("data", {}).get("text/html", "") for output in outputs)
    assert "Signed in as user@example.com" in text
    assert "Created notebook" in text and "****" in text
    assert "Deleted: True" in text
    assert "Async, 3 calls at once: ['user@example.com']" in text
    assert "Signed out: True" in text
    # in Jupyter the sign-in link is a clickable link, not printed text: the listener's
    # one-time link, which holds no state
    assert "<a href='http://127.0.0.1:" in html and "state=" not in html
    assert "nm_" not in text  # the key's secret is not shown
