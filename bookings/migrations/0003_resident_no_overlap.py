"""PostgreSQL only: a resident never holds two overlapping active bookings (exclusion constraint).

SQLite has no exclusion constraints; there the booking service checks for overlaps inside an
IMMEDIATE transaction (settings: transaction_mode), which holds the database's write lock.
"""
from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE bookings_booking ADD CONSTRAINT booking_resident_no_overlap
    EXCLUDE USING gist (resident_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN ('booked', 'checked_in', 'in_call'));
"""
DROP = "ALTER TABLE bookings_booking DROP CONSTRAINT IF EXISTS booking_resident_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("bookings", "0002_slots_waitlist_idempotency")]

    operations = [migrations.RunPython(forwards, backwards)]
