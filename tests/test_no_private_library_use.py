"""Libraries stay whole: the project's source (tests, migrations and the virtualenv aside) neither assigns
into a third-party module or class nor touches a third-party private (`_`-prefixed) name.

What counts as an offence (each listed as path:line):
- an assignment, `setattr` or `delattr` into a name imported from a third-party package
  (`somelib.func = ...`, `SomeClass.method = ...`, `setattr(somelib, "x", ...)`);
- importing a private name or module of a third-party package (`from lib import _x`, `lib._impl`);
- a `_`-prefixed attribute of a name imported from a third-party package (`somelib._private`);
- in a class built on a third-party class: a `_`-prefixed method or attribute that the library
  itself has (overriding it, or reaching into the library's internals through `self`); a helper of the
  project's own with a `_` name is fine;
- elsewhere, a `_`-prefixed attribute that a third-party library defines and the project does not
  (`instance._state`, `queryset._result_cache`, `booking._prefetched_objects_cache = ...`).
Dunder names (`__name__`) are public. Django documents the model `_meta` API, so `_meta` is allowed.
"""
import ast
import functools
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.source import ROOT, source_files

# Documented as public despite the underscore: Django's "Model _meta API"; namedtuple's documented methods.
DOCUMENTED_PRIVATE = {"_meta", "_asdict", "_replace", "_fields", "_make", "_field_defaults"}
_LIBRARY_PRIVATE = re.compile(r"(?:\.|\bdef\s+|\bclass\s+)(_[A-Za-z0-9]\w*)")


def first_party_roots(root: Path = ROOT) -> set[str]:
    names = {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}
    return names | {p.stem for p in root.glob("*.py")}


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) \
        and name not in DOCUMENTED_PRIVATE


@functools.cache
def library_private_names(top: str) -> frozenset[str]:
    """Every `_`-prefixed attribute, function or class name that the installed package `top` spells out."""
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return frozenset()
    if spec is None:
        return frozenset()
    locations = list(spec.submodule_search_locations or []) or ([spec.origin] if spec.origin else [])
    names: set[str] = set()
    for location in locations:
        path = Path(location)
        for source in ([path] if path.is_file() else path.rglob("*.py")):
            try:
                names.update(_LIBRARY_PRIVATE.findall(source.read_text(errors="ignore")))
            except OSError:
                continue
    return frozenset(n for n in names if is_private(n))


@dataclass
class Scan:
    first_party: set[str]
    offences: list[str] = field(default_factory=list)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _third_party(module: str, first_party: set[str]) -> bool:
    top = module.split(".")[0]
    return bool(top) and top not in first_party and top not in sys.stdlib_module_names


class FileScanner(ast.NodeVisitor):
    def __init__(self, *, path: str, tree: ast.Module, first_party: set[str], project_private: set[str]):
        self.path, self.first_party, self.project_private = path, first_party, project_private
        self.imported: dict[str, str] = {}  # local name -> third-party top-level package
        self.offences: list[str] = []
        self.classes: list[tuple[str | None, set[str]]] = []  # (library of a third-party base, own names)
        self._collect_imports(tree)

    def report(self, node: ast.AST, message: str) -> None:
        self.offences.append(f"{self.path}:{node.lineno}: {message}")

    def _collect_imports(self, tree: ast.Module) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _third_party(alias.name, self.first_party):
                        self.imported[alias.asname or alias.name.split(".")[0]] = alias.name.split(".")[0]
                        if any(is_private(part) for part in alias.name.split(".")):
                            self.report(node, f"imports the private module {alias.name}")
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and _third_party(node.module, self.first_party):
                top = node.module.split(".")[0]
                if any(is_private(part) for part in node.module.split(".")):
                    self.report(node, f"imports from the private module {node.module}")
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = top
                    if is_private(alias.name):
                        self.report(node, f"imports the private name {node.module}.{alias.name}")

    def _library_of(self, node: ast.AST) -> str | None:
        name = _root_name(node)
        return self.imported.get(name) if name else None

    # --- assignments into libraries --------------------------------------------------------
    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Attribute):
            library = self._library_of(target.value)
            if library:
                self.report(target, f"assigns {ast.unparse(target)} into {library}")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr", "getattr", "hasattr") \
                and len(node.args) >= 2:
            owner, name = node.args[0], node.args[1]
            library = self._library_of(owner)
            if library and node.func.id in ("setattr", "delattr"):
                self.report(node, f"{node.func.id} into {library} ({ast.unparse(owner)})")
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                self._check_private(node, owner, name.value)
        self.generic_visit(node)

    # --- private names -----------------------------------------------------------------------
    def _check_private(self, node: ast.AST, owner: ast.AST, name: str) -> None:
        if not is_private(name):
            return
        library = self._library_of(owner)
        if library:
            self.report(node, f"uses {library}'s private {name} ({ast.unparse(owner)})")
            return
        if isinstance(owner, ast.Name) and owner.id in ("self", "cls") and self.classes:
            base_library, own = self.classes[-1]
            if base_library and name in library_private_names(base_library):
                self.report(node, f"reaches {base_library}'s private {name} through {owner.id}")
            if base_library or name in own:
                return
        if name not in self.project_private and any(
                name in library_private_names(top) for top in set(self.imported.values())):
            self.report(node, f"uses the library-private attribute {name} ({ast.unparse(owner)})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self._check_private(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        base_library = next((lib for lib in map(self._library_of, node.bases) if lib), None)
        own = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        if base_library:
            for method in node.body:
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef) and is_private(method.name) \
                        and method.name in library_private_names(base_library):
                    self.report(method, f"{node.name} overrides {base_library}'s private method {method.name}")
        self.classes.append((base_library, own))
        self.generic_visit(node)
        self.classes.pop()


def _project_private_names(trees: dict[str, ast.Module], first_party: set[str]) -> set[str]:
    """`_` names the project defines itself: functions, classes, and attributes set in classes that do not
    stand on a third-party class."""
    names: set[str] = set()
    for tree in trees.values():
        imported = FileScanner(path="", tree=tree, first_party=first_party, project_private=set()).imported
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            if isinstance(node, ast.ClassDef) and not any(_root_name(b) in imported for b in node.bases):
                for inner in ast.walk(node):
                    targets = inner.targets if isinstance(inner, ast.Assign) else \
                        [inner.target] if isinstance(inner, ast.AnnAssign) else []
                    for target in targets:
                        if isinstance(target, ast.Attribute) and _root_name(target) in ("self", "cls"):
                            names.add(target.attr)
                        elif isinstance(target, ast.Name):
                            names.add(target.id)
    return {n for n in names if is_private(n)}


def scan(files: dict[str, str], first_party: set[str]) -> list[str]:
    """Offences in `files` (path -> source), as 'path:line: what'."""
    trees = {path: ast.parse(source, filename=path) for path, source in files.items()}
    project_private = _project_private_names(trees, first_party)
    offences: list[str] = []
    for path, tree in trees.items():
        scanner = FileScanner(path=path, tree=tree, first_party=first_party, project_private=project_private)
        scanner.visit(tree)
        offences += scanner.offences
    return offences


def project_offences() -> list[str]:
    files = {str(p.relative_to(ROOT)): p.read_text() for p in source_files()}
    return scan(files, first_party_roots())


# --- the scanner finds what it is meant to find ------------------------------------------------

FIRST_PARTY = {"bookings", "config"}


def offences_in(source: str) -> list[str]:
    return scan({"app/mod.py": source}, FIRST_PARTY)


def test_assignments_into_a_library_are_found():
    found = offences_in("import redis\nfrom twisted.internet import tcp\n"
                        "redis.Redis = object\ntcp.Server.write = print\nsetattr(redis, 'x', 1)\n")
    assert [o.split(":")[1] for o in found] == ["3", "4", "5"]


def test_private_names_of_a_library_are_found():
    found = offences_in("import redis\nfrom django.core.cache.backends.redis import RedisCacheClient\n"
                        "from csp.middleware import _private\n"
                        "x = redis._private_thing\n"
                        "class Client(RedisCacheClient):\n"
                        "    def _get_connection_pool_index(self, write):\n"
                        "        return self._pools\n"
                        "def f(booking, material):\n"
                        "    booking._prefetched_objects_cache = {}\n"
                        "    return material._state.fields_cache\n")
    assert [int(o.split(":")[1]) for o in found] == [3, 4, 6, 7, 9, 10]


def test_public_and_first_party_names_pass():
    assert offences_in("import redis\nfrom django.db import models\nfrom bookings import selectors\n"
                       "class Unit(models.Model):\n"
                       "    def __str__(self):\n        return self.name\n"
                       "class Helper:\n"
                       "    def __init__(self):\n        self._seen = set()\n"
                       "    def add(self, x):\n        self._seen.add(x)\n"
                       "def g(unit, h):\n"
                       "    selectors._zone('x'); h._seen.clear()\n"
                       "    return Unit._meta.db_table, redis.Redis.__name__\n") == []


def test_the_project_uses_no_private_library_name():
    offences = project_offences()
    assert not offences, "third-party private names used or replaced:\n" + "\n".join(offences)
