"""Writes to the catalog and bookings, one module per sub-domain; callers import them from here."""
from bookings.services.actions import (
    booking_cancel_for_user,
    booking_create_for_user,
    booking_reschedule_for_user,
    material_add_for_user,
    waitlist_join_for_user,
)
from bookings.services.catalog import catalog_load
from bookings.services.create import booking_bookable_check, booking_create, booking_create_idempotent
from bookings.services.lifecycle import (
    BOOKING_TRANSITIONS,
    booking_cancel,
    booking_reminders_send,
    booking_reschedule,
    booking_transition,
    bookings_mark_no_show,
    idempotency_records_purge,
    unit_closure_create,
)
from bookings.services.materials import material_add
from bookings.services.proxy import booking_resident, resident_for_proxy
from bookings.services.seats import SlotFull
from bookings.services.waitlist import waitlist_join, waitlist_leave, waitlist_offer_slot, waitlist_offers_expire

__all__ = [
    "BOOKING_TRANSITIONS", "SlotFull", "booking_bookable_check", "booking_cancel", "booking_cancel_for_user",
    "booking_create", "booking_create_for_user", "booking_create_idempotent", "booking_reminders_send",
    "booking_reschedule", "booking_reschedule_for_user", "booking_resident", "booking_transition",
    "bookings_mark_no_show", "catalog_load", "idempotency_records_purge", "material_add", "material_add_for_user",
    "resident_for_proxy", "unit_closure_create", "waitlist_join", "waitlist_join_for_user", "waitlist_leave",
    "waitlist_offer_slot", "waitlist_offers_expire",
]
