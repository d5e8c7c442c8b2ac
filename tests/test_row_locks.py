"""Row locks take only the rows they mean to: a `select_for_update()` chained with `select_related(...)` must say
`of=("self",)`. Without it PostgreSQL locks the joined rows too (FOR UPDATE over the whole join): the unit, the
service item, the users that every concurrent booking references. FOR UPDATE conflicts with the KEY SHARE lock
that inserting a row with a foreign key takes, so such a query queues behind (and can deadlock with) every
booking of the unit."""
import ast

from tests.support.source import ROOT, source_files


def chain_calls(node: ast.AST) -> list[ast.Call]:
    """The method calls of one chained expression (`A.objects.x(...).y(...)`), outermost first."""
    calls = []
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            calls.append(node)
            node = node.func
        else:
            node = node.value
    return calls


def method_name(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def broad_locks(path) -> list[int]:
    """Lines where a chain locks with select_for_update() (no `of`) and joins with select_related()."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        calls = chain_calls(node)
        names = [method_name(call) for call in calls]
        if "select_for_update" not in names or "select_related" not in names:
            continue
        lock = calls[names.index("select_for_update")]
        if not any(keyword.arg == "of" for keyword in lock.keywords):
            lines.append(lock.lineno)
    return sorted(set(lines))


def test_no_select_for_update_locks_the_rows_it_joins():
    offences = [f"{path.relative_to(ROOT)}:{line}" for path in source_files() for line in broad_locks(path)]
    assert offences == [], "select_for_update() with select_related() needs of=('self',): " + ", ".join(offences)


def test_the_check_sees_a_broad_lock(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("a = Booking.objects.select_for_update().select_related('unit').get(pk=1)\n"
                      "b = Booking.objects.select_for_update(of=('self',)).select_related('unit').get(pk=1)\n"
                      "c = Booking.objects.select_for_update().filter(pk=1).first()\n")
    assert broad_locks(sample) == [1]
