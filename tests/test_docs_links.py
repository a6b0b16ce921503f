"""The README and docs/*.md point only at things a user of this repository has.

Every relative Markdown link (and its #anchor, for Markdown targets) and every repository path
written as inline code must exist; the README's two commands must be the ones CI runs and the
ones docs/performance.md times; no text may point outside the repository.
"""
from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE = re.compile(r"`([^`\n]+)`")
# Inline code that names a file of the repository (not an output of a run: reports/, runs/, ...).
REPO_PATH = re.compile(r"^(?:arc|docs|configs|workflow|tests|profiles|tools|\.ci)/[\w./*{},-]*$"
                       r"|^(?:params\.yaml|Snakefile|dvc\.yaml|pyproject\.toml|LICENSE|CITATION\.cff)$")
FORBIDDEN = ("../shared", "shared/notes", "shared/tools", "shared/paper", "/work/", "the issue")


def _prose(path: Path) -> str:
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _slug(heading: str) -> str:
    # GitHub's anchor for a heading: lower case, punctuation (backticks too) dropped, spaces to hyphens.
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", _prose(path), re.M)}


def _expand_braces(pattern: str) -> list[str]:
    parts = re.split(r"\{([^{}]*)\}", pattern)
    fixed, choices = parts[0::2], [p.split(",") for p in parts[1::2]]
    out = []
    for combo in itertools.product(*choices):
        out.append("".join(f + c for f, c in zip(fixed, combo)) + fixed[-1])
    return out


def _exists(doc: Path, target: str, root: Path) -> bool:
    for base in (doc.parent, root):
        for candidate in _expand_braces(target):
            if any(ch in candidate for ch in "*?"):
                if any(base.glob(candidate)):
                    return True
            elif (base / candidate).exists():
                return True
    return False


def _broken(doc: Path, root: Path = ROOT) -> list[str]:
    text = _prose(doc)
    name = doc.relative_to(root)
    problems = []
    for m in LINK.finditer(text):
        target = m.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = doc if not file_part else (doc.parent / file_part)
        if file_part and not dest.exists():
            problems.append(f"{name}: link to missing {target}")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            problems.append(f"{name}: link to missing heading {target}")
    for m in CODE.finditer(text):
        code = m.group(1).strip()
        if REPO_PATH.match(code) and "..." not in code and not _exists(doc, code, root):
            problems.append(f"{name}: `{code}` names no file of the repository")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_and_paths_exist(doc):
    assert _broken(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_reference_outside_the_repository(doc):
    text = doc.read_text(encoding="utf-8").lower()
    assert [s for s in FORBIDDEN if s in text] == []


def test_checker_reports_a_broken_link(tmp_path):
    doc = tmp_path / "x.md"
    doc.write_text("[gone](no-such-file.md) `docs/no-such-file.md` [ok](x.md) "
                   "[bad anchor](x.md#nowhere) [good anchor](#a-heading-with-code)\n"
                   "```\n[in a fence](ignored.md)\n```\n# A heading `with` code\n")
    problems = _broken(doc, root=tmp_path)
    assert len(problems) == 3, problems


def _commands(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip().startswith("python3 -m venv")]


def test_readme_commands_are_what_ci_runs_and_what_the_docs_time():
    readme = _commands(ROOT / "README.md")
    tests = [c for c in readme if c.endswith("&& pytest")]
    demo = [c for c in readme if " && snakemake " in c]
    assert len(tests) == 1 and len(demo) == 1, readme
    ci = _commands(ROOT / ".ci" / "run")
    assert ci == tests, "README's test command differs from the one .ci/run runs"
    # The demo installs the project the same way as the tests, then runs one Snakemake target.
    setup = lambda cmd: cmd.split(" && ")[:-1]
    assert [s.replace(" -q", "") for s in setup(demo[0])] == [s.replace(" -q", "") for s in setup(tests[0])]
    performance = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert demo[0] in performance, "docs/performance.md times another demo command than the README's"
