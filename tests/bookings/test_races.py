"""Races with real connections: the database, not Python, keeps capacity and the one-booking-at-a-time rule."""
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from bookings.models import Booking, SlotSeat
from stations.models import Unit
from tests.factories import ResidentFactory, client_for
from tests.support.bookings import book, local

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql",
                                 reason="threads need real concurrent connections (PostgreSQL); "
                                        "SQLite serialises writers with IMMEDIATE transactions")


def run_concurrently(count, attempt):
    """Start `count` threads together; each has its own database connection, closed at the end."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait(timeout=60)
            results[index] = attempt(index)
        except Exception as exc:  # surfaced in the assertion below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def status_codes(results) -> list:
    """Each answer's HTTP status, or the exception a thread raised instead."""
    return [r.status_code if hasattr(r, "status_code") else repr(r) for r in results]


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_clients_race_for_the_last_seat(org, clock, station, item):
    assert book(client_for(ResidentFactory()), station, item, local(3, 9, 10)).status_code == 201  # 1 of 2 left
    clients = [client_for(ResidentFactory()) for _ in range(50)]
    results = run_concurrently(50, lambda i: book(clients[i], station, item, local(3, 9, 10)))
    codes = status_codes(results)
    assert codes.count(201) == 1 and codes.count(409) == 49, codes
    losers = [r.json() for r in results if r.status_code == 409]
    assert all(body["code"] == "slot_full" and body["next_slots"] for body in losers)
    assert Booking.objects.filter(starts_at=local(3, 9, 10), status="booked").count() == 2
    for cell in (local(3, 9, 10), local(3, 9, 20)):
        assert SlotSeat.objects.filter(unit=station, starts_at=cell).count() == 2


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_double_click_on_two_overlapping_slots(org, clock, station, item):
    resident = ResidentFactory()
    other_station = Unit.objects.get(code="371702001-2")
    clients = [client_for(resident) for _ in range(20)]
    results = run_concurrently(20, lambda i: book(clients[i], station if i % 2 else other_station, item,
                                                  local(3, 9, 10)))
    codes = status_codes(results)
    assert codes.count(201) == 1 and codes.count(409) == 19, codes
    assert Booking.objects.filter(resident=resident, status="booked").count() == 1


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_make_one_booking(org, clock, station, item):
    resident = ResidentFactory()
    clients = [client_for(resident) for _ in range(12)]
    results = run_concurrently(12, lambda i: book(clients[i], station, item, local(3, 9, 10), key="retry-key"))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 11 + [201]
    assert len({r.json()["id"] for r in results}) == 1
    assert Booking.objects.count() == 1


@on_postgres
@pytest.mark.postgres
@pytest.mark.django_db
def test_exclusion_constraint_refuses_overlaps_written_past_python(clock, station, item):
    resident = ResidentFactory()
    Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident,
                           starts_at=local(3, 9, 10), ends_at=local(3, 9, 25))
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident,
                               starts_at=local(3, 9, 20), ends_at=local(3, 9, 35))
    # Cancelled bookings do not count.
    Booking.objects.filter(resident=resident).update(status="cancelled")
    Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident,
                           starts_at=local(3, 9, 20), ends_at=local(3, 9, 35))


@pytest.mark.django_db
def test_seat_constraint_refuses_a_second_claim_of_one_seat(clock, station, item):
    booking = Booking.objects.get(pk=book(client_for(ResidentFactory()), station, item,
                                          local(3, 9, 10)).json()["id"])
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotSeat.objects.create(unit=station, starts_at=local(3, 9, 10), seat=1, booking=booking)


@pytest.fixture
def sqlite_file_database(tmp_path):
    """The embedded profile's database: a file (WAL, IMMEDIATE transactions), not the test's shared in-memory one.

    The committed test data is copied into a file, and connections opened from now on (the
    threads') go to that file; the main thread keeps its in-memory connection.
    """
    import sqlite3

    from django.db import connections

    path = str(tmp_path / "race.sqlite3")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    settings_dict["NAME"] = path
    try:
        yield path
    finally:
        settings_dict["NAME"] = original


def _count(path, sql, *params):
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant of the races")
@pytest.mark.django_db(transaction=True)
def test_sqlite_file_database_keeps_the_invariants_under_threads(org, clock, station, item, request):
    assert book(client_for(ResidentFactory()), station, item, local(3, 9, 10)).status_code == 201  # 1 of 2 left
    racers = [ResidentFactory() for _ in range(20)]
    double_clicker = ResidentFactory()
    path = request.getfixturevalue("sqlite_file_database")
    clients = [client_for(r) for r in racers]
    results = run_concurrently(20, lambda i: book(clients[i], station, item, local(3, 9, 10)))
    codes = status_codes(results)
    assert codes.count(201) == 1 and codes.count(409) == 19, codes
    slot_utc = local(3, 9, 10).astimezone(__import__("datetime").UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert _count(path, "SELECT COUNT(*) FROM bookings_booking WHERE starts_at = ? AND status = 'booked'",
                  slot_utc) == 2
    assert _count(path, "SELECT COUNT(*) FROM bookings_slotseat WHERE unit_id = ? AND starts_at = ?",
                  station.pk, slot_utc) == 2
    other_station = Unit.objects.get(code="371702001-2")
    clients = [client_for(double_clicker) for _ in range(10)]
    results = run_concurrently(10, lambda i: book(clients[i], station if i % 2 else other_station, item,
                                                  local(3, 10, 10)))
    codes = status_codes(results)
    assert codes.count(201) == 1 and codes.count(409) == 9, codes
    assert _count(path, "SELECT COUNT(*) FROM bookings_booking WHERE resident_id = ? AND status = 'booked'",
                  double_clicker.pk) == 1
