"""Rooms a person can read (issue 20 §6): no app module over 400 lines, no function over 60, read from the source."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Not app code: tests and benchmarks, generated migrations, helper scripts, the virtualenv, runtime data.
SKIPPED = {"tests", "bench", "scripts", "migrations", "node_modules", ".venv", ".git", "var"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60

MODULES = sorted(path for path in ROOT.rglob("*.py")
                 if not SKIPPED & set(path.relative_to(ROOT).parts))


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_scan_sees_the_apps():
    names = {_name(path) for path in MODULES}
    assert {"reviews/services/desk.py", "signing/selectors/verification.py", "calls/selectors/rooms.py"} <= names
    assert not any(name.startswith(("tests/", "bench/")) or "/migrations/" in name for name in names)


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_at_most_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it by sub-domain"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_at_most_60_lines(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [f"{node.name} (line {node.lineno}, {node.end_lineno - node.lineno} lines)" for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.end_lineno - node.lineno > MAX_FUNCTION_LINES]
    assert not long, f"{_name(path)}: split into well-named helpers: {', '.join(long)}"
