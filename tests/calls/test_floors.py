"""calls stands on bookings and below reviews: it never imports reviews, and a booking gets its call from the
hook calls registers, whoever inserts the booking."""
import ast
from pathlib import Path

from calls.models import Call
from tests.support.calls import make_booking, make_resident

CALLS = Path(__file__).resolve().parents[2] / "calls"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_calls_never_imports_reviews():
    offenders = {str(path.relative_to(CALLS.parent)): sorted(m for m in imported_modules(path)
                                                            if m.split(".")[0] == "reviews")
                 for path in CALLS.rglob("*.py")}
    assert not {path: mods for path, mods in offenders.items() if mods}


def test_a_booking_gets_exactly_one_call_from_the_hook(calls_org_db):
    from bookings.models import Booking

    resident = make_resident(calls_org_db)
    booking = make_booking(calls_org_db, resident=resident)  # inserts, then asks for the call again
    call = Call.objects.get(booking=booking)
    assert (call.kind, call.host_unit_id, call.status) == (Call.Kind.BOOKED, booking.unit_id, Call.Status.SCHEDULED)
    assert Call.objects.filter(booking=booking).count() == 1
    inserted = Booking.objects.create(unit=booking.unit, item=booking.item, resident=resident, booked_by=resident,
                                      starts_at=booking.ends_at, ends_at=booking.ends_at + (booking.ends_at -
                                                                                           booking.starts_at))
    assert Call.objects.filter(booking=inserted, kind=Call.Kind.BOOKED).count() == 1

