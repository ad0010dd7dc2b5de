"""The README and docs/ stay what a newcomer needs: a short README that opens with the two set-up commands
CI runs, links and anchors that resolve, pages that speak of the project, and a BibTeX list that holds every
paper the configs cite."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT

README = ROOT / "README.md"
PAGES = [README, ROOT / "experiments" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
MAX_README_LINES = 250
# Words about how the work was organised, not about the project
PROCESS_WORDS = re.compile(
    r"\bissue [0-9]+|\bthe issue's\b|\bsessions?\b|\bafter the merges?\b|\bhelper (branch|session)", re.IGNORECASE
)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def code_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", markdown, flags=re.MULTILINE | re.DOTALL)


def test_the_readme_is_short_and_opens_with_the_two_set_up_commands_ci_runs():
    text = README.read_text()
    assert len(text.splitlines()) <= MAX_README_LINES
    train, test = (block.strip() for block in code_blocks(text)[:2])
    setup = "python3 -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt"
    assert train == f"{setup} && python -m colorgan.train"
    assert test == f"{setup} && python -m pytest"
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == test  # CI runs the README's test command as a user types it


def test_the_pages_speak_of_the_project_not_of_how_it_was_built():
    found = [
        f"{page.relative_to(ROOT)}:{n}: {line.strip()}"
        for page in PAGES
        for n, line in enumerate(page.read_text().splitlines(), 1)
        if PROCESS_WORDS.search(line)
    ]
    assert not found, "\n".join(found)


def anchor(heading: str) -> str:
    """GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {anchor(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)}


def test_every_relative_link_and_anchor_resolves():
    broken = []
    for page in PAGES:
        text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
        for match in LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if re.match(r"[a-z]+://|mailto:", target):
                continue
            path, _, fragment = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)


def bib_entries() -> dict[str, str]:
    text = (ROOT / "docs" / "papers.bib").read_text()
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"^@\w+\{([^,\s]+),", text, flags=re.MULTILINE)]
    bodies = [text[start:end] for (start, _), (end, _) in zip(starts, [*starts[1:], (len(text), "")])]
    keys = [key for _, key in starts]
    assert len(keys) == len(set(keys)), "duplicate BibTeX keys"
    for key, body in zip(keys, bodies):
        entry = body[: body.rindex("}") + 1]
        assert entry.count("{") == entry.count("}"), f"{key}: unbalanced braces"
        assert re.search(r"^\s*title\s*=", entry, re.MULTILINE) and re.search(r"^\s*year\s*=", entry, re.MULTILINE)
    return dict(zip(keys, bodies))


def test_papers_bib_holds_every_arxiv_paper_the_code_and_configs_cite():
    entries = bib_entries()
    bib = "\n".join(entries.values())
    sources = [*(ROOT / "conf").rglob("*.yaml"), *(ROOT / "colorgan").rglob("*.py")]
    cited = {m for p in sources for m in re.findall(r"arXiv:(\d{4}\.\d{4,5})", p.read_text())}
    assert cited, "the configs cite arXiv papers; the pattern must find them"
    missing = sorted(i for i in cited if not re.search(rf"(arXiv:|eprint\s*=\s*\{{){re.escape(i)}\b", bib))
    assert not missing, f"cited in conf/ or colorgan/ but not in docs/papers.bib: {missing}"
