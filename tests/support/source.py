"""The project's own Python source, for the tests that read it (private library names, row locks, sizes)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The tests themselves, the virtualenv, generated migrations, npm packages, runtime data and non-Python folders.
SKIPPED_DIRS = {"tests", ".venv", "migrations", "node_modules", "var", "__pycache__", "static", "templates"}


def source_files(root: Path = ROOT, skipped: set[str] = SKIPPED_DIRS) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if not skipped.intersection(p.relative_to(root).parts[:-1]))
