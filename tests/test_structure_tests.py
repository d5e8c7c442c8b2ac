"""The test suite's own structure: helpers live in plain modules (tests/support/, tests/factories.py), never in a
conftest.py or a test module, so no module imports from either. pytest imports each conftest.py itself, as a
plugin, and a second import by name can give a second copy of its module state (a counter, a list of open
sockets); a helper imported from a test module ties the two test files together."""
import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _is_conftest_or_test(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def conftest_imports(source: str) -> list[str]:
    """Each import of a conftest or test module in `source`, as `line: statement`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" if module else alias.name for alias in node.names]
        else:
            continue
        if any(_is_conftest_or_test(name) for name in names):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("source", [
    "from tests.bookings.conftest import book",
    "from .conftest import book",
    "from . import conftest",
    "from tests.calls import conftest as calls_conftest",
    "import conftest",
    "import tests.reviews.conftest",
    "def helper():\n    from tests.security.conftest import PNG\n",
    "from tests.frontend.test_browser import login",
    "from .test_ledger import tampering",
    "from tests.signing import test_ledger",
])
def test_the_check_finds_every_form_of_importing_a_conftest_or_a_test_module(source):
    assert conftest_imports(source), source


@pytest.mark.parametrize("source", [
    "from tests.support.bookings import book",
    "from tests.factories import client_for",
    "import tests.support.conftest_free",
    "from tests.support import places",
])
def test_the_check_lets_plain_modules_through(source):
    assert conftest_imports(source) == []


def test_no_module_under_tests_imports_from_a_conftest_or_a_test_module():
    offenders = [f"{path.relative_to(TESTS.parent)}:{hit}"
                 for path in sorted(TESTS.rglob("*.py"))
                 for hit in conftest_imports(path.read_text(encoding="utf-8"))]
    assert offenders == [], "move the helper into tests/support/ (or tests/factories.py):\n" + "\n".join(offenders)
