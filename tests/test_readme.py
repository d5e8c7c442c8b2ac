"""The README stays a newcomer's five-minute page (at most 12 KB), and no relative link in it or in docs/ is
broken: the long material lives in docs/ and must stay reachable."""
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README_LIMIT = 12 * 1024
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(markdown: str) -> list[str]:
    targets = []
    for target in LINK.findall(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("#"):
            continue  # http:, mailto: … and anchors within the page
        targets.append(unquote(target.split("#", 1)[0]))
    return targets


def test_readme_is_at_most_12_kb():
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_LIMIT, f"README.md is {size} bytes; move detail to docs/"


@pytest.mark.parametrize("page", [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_to_an_existing_file(page):
    missing = [t for t in relative_links(page.read_text(encoding="utf-8")) if not (page.parent / t).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing files: {missing}"


def test_the_readme_links_the_moved_documents():
    links = set(relative_links((ROOT / "README.md").read_text(encoding="utf-8")))
    for document in ("docs/operations.md", "docs/architecture.md", "docs/signing.md", "docs/signaling.md"):
        assert document in links


def test_the_link_reader_finds_links_and_skips_outside_ones():
    text = '[a](docs/x.md#part) ![b](img/y.png "title") [c](https://example.org) [d](#here) [e](mailto:a@b.cn)'
    assert relative_links(text) == ["docs/x.md", "img/y.png"]
