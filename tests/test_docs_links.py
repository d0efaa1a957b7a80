"""Nothing in the documentation points to a file (or a heading) that is not there.

A reader follows README.md into docs/; a link to a missing page, or a path in backticks
that names a file the repository lacks (a design note kept elsewhere was one), is a dead
end. The same
goes for `.md` files named in the code's docstrings and comments.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "example_project" / "README.md",
               *(ROOT / "docs").glob("*.md")])
# Folders of the repository a path in backticks may start with: other paths in the docs
# are the user's own (`migrations/`, `app/models.py`) and are not checked.
TOP = ("pytest_dualwrite/", "tests/", "docs/", "example_project/", "benchmarks/", ".ci/")
CODE_DIRS = ("pytest_dualwrite", "tests", "benchmarks", "example_project")
SKIP_DIRS = {".venv", ".git", "__pycache__", "examples", ".ci-venv", "build", "dist"}

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([^`\s]+)`")
MD_NAME = re.compile(r"[\w./-]*\b[\w-]+\.md\b")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def _exists(name: str, near: Path) -> bool:
    return (near / name).exists() or (ROOT / name).exists()


def test_the_pages_exist() -> None:
    assert (ROOT / "docs" / "index.md").exists()
    assert "docs/index.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_path_in_the_docs_exists(page: Path) -> None:
    text = page.read_text()
    dead: list[str] = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        where = (page.parent / path).resolve() if path else page
        if not where.exists():
            dead.append(f"link {target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in _anchors(where):
            dead.append(f"link {target}: no heading #{anchor} in {where.relative_to(ROOT)}")
    for token in TICKED.findall(FENCE.sub("", text)):
        path = token.split("::")[0].rstrip(".,:;")
        if not path.startswith(TOP) or re.search(r"[<>*{}\[\]|]|NNN|_x\.", token):
            continue
        if not _exists(path, page.parent):
            dead.append(f"path `{token}`: no such file")
    assert not dead, f"{page.relative_to(ROOT)}:\n" + "\n".join(dead)


def test_md_files_named_in_the_code_exist() -> None:
    dead: list[str] = []
    for top in CODE_DIRS:
        for source in sorted((ROOT / top).rglob("*.py")):
            if SKIP_DIRS & set(source.relative_to(ROOT).parts):
                continue
            for number, line in enumerate(source.read_text().splitlines(), 1):
                for name in MD_NAME.findall(line):
                    # A file a test writes itself is quoted ("README.md": ...), not named.
                    if f'"{name}"' in line or f"'{name}'" in line:
                        continue
                    if not _exists(name, source.parent):
                        dead.append(f"{source.relative_to(ROOT)}:{number}: {name}")
    assert not dead, "files named that do not exist:\n" + "\n".join(dead)
