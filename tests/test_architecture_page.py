"""docs/architecture.md stays a map a newcomer can trust: every source module is on it, and every module it
names exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "architecture.md"
SOURCES = [path for folder in ("core", "plugins", "cli") for path in (REPO / folder).rglob("*.py")
           if "templates" not in path.relative_to(REPO).parts]


def named_modules() -> set[str]:
    return set(re.findall(r"\b([A-Za-z_]\w*\.py)\b", PAGE.read_text()))


def test_every_source_module_is_on_the_page():
    named = named_modules()
    missing = [str(path.relative_to(REPO)) for path in SOURCES if path.name not in named | {"__init__.py"}]
    assert missing == [], f"name these in docs/architecture.md: {missing}"


def test_every_module_the_page_names_exists():
    assert sorted(named_modules() - {path.name for path in SOURCES}) == []
