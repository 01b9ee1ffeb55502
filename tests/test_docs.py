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


def test_the_readme_starts_with_the_two_commands_and_lists_every_how_to():
    readme = (ROOT / "README.md").read_text()
    assert readme.startswith("# microscopy-builder\n\n```sh\n")
    first_block = re.search(r"^```sh\n(.*?)^```", readme, re.DOTALL | re.MULTILINE)
    assert [line.split("#")[0].strip() for line in first_block.group(1).splitlines()] == ["make demo", "make test"]
    for page in sorted((ROOT / "docs" / "how-to").glob("*.md")):
        assert f"(docs/how-to/{page.name})" in readme, f"the README does not list {page.name}"


def test_the_readme_names_every_runtime_dependency():
    import tomllib

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    line = " ".join(re.search(r"Runtime dependencies.*?\.\n", (ROOT / "README.md").read_text(), re.DOTALL).group(0).split())
    for requirement in dependencies:
        name, version = re.match(r"([A-Za-z0-9-]+)>=([0-9.]+)", requirement).groups()
        shown = version if version.count(".") < 2 or not version.endswith(".0") else version.rsplit(".", 1)[0]
        assert f"{name} {shown}" in line, f"{requirement} is not in the README's dependency line"
