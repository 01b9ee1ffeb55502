"""Every Python example in the README and the docs runs (each page top to bottom as one script)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
CODE_BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page, tmp_path, monkeypatch):
    blocks = CODE_BLOCK.findall(page.read_text())
    if not blocks:
        pytest.skip("no Python examples on this page")
    monkeypatch.chdir(tmp_path)  # examples write files relative to the working folder
    exec(compile("\n".join(blocks), str(page), "exec"), {"__name__": "__docs__"})
    if page.name == "README.md":
        assert {p.name for p in tmp_path.iterdir()} == {"session_ndx-microscopy.nwb", "session_legacy.nwb"}


def test_docs_site_builds_with_warnings_as_errors(tmp_path):
    """The MkDocs site (pages, how-tos, API reference from the docstrings) builds with --strict."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("RigBuilder", "Session", "write_sessions", "ValidationReport"):
        assert name in api
