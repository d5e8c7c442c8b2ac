"""signing keeps to its floor and leaves libraries whole: read from the source, so a regression fails here."""
import ast
from pathlib import Path

import pytest

SIGNING = Path(__file__).resolve().parents[2] / "signing"
MODULES = sorted(path for path in SIGNING.rglob("*.py") if "migrations" not in path.parts)
HIGHER_APPS = {"bookings", "calls", "reviews", "frontend"}  # signing stands on stations and accounts only


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _imported(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(SIGNING)))
def test_signing_imports_no_higher_app(path):
    assert not {name for name in _imported(_tree(path)) if name.split(".")[0] in HIGHER_APPS}


def test_selectors_do_not_import_services():
    for path in sorted((SIGNING / "selectors").glob("*.py")):
        assert not {name for name in _imported(_tree(path)) if name.startswith("signing.services")}, path.name


def test_the_pdf_verifier_runs_without_django():
    """verify_offline.py imports signing.pades, on a machine with no Django settings: pades and the signing modules
    it imports (signing.timestamps) import no Django and nothing else of signing."""
    imported = _imported(_tree(SIGNING / "pades.py"))
    ours = {name for name in imported if name.split(".")[0] == "signing"}
    assert ours <= {"signing", "signing.timestamps"}
    for tree in (_tree(SIGNING / "pades.py"), _tree(SIGNING / "timestamps.py")):
        assert not {name for name in _imported(tree) if name.split(".")[0] == "django"}
    assert not {name for name in _imported(_tree(SIGNING / "timestamps.py")) if name.split(".")[0] == "signing"}


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(SIGNING)))
def test_no_private_name_of_a_library_is_used_or_replaced(path):
    tree = _tree(path)
    modules = {alias.asname or alias.name.split(".")[0] for node in ast.walk(tree)
               if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            # Django's model _meta is documented public API (the Model _meta API).
            assert owner in ("self", "cls") or node.attr == "_meta", f"line {node.lineno}: .{node.attr}"
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    assert target.value.id not in modules, f"line {node.lineno}: assigns into {target.value.id}"
