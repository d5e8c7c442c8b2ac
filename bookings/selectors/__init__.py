"""Reads of the catalog and bookings, one module per sub-domain; callers import them from here."""
from bookings.selectors.bookings import (
    MATERIAL_READ_HOOKS,
    booking_detail,
    booking_get_for_user,
    booking_list_for_unit,
    booking_list_for_user,
    bookings_visible_to,
    is_staff_of_unit,
    material_get_for_user,
    material_readable_by,
    register_material_read_hook,
    staff_unit_ids,
    waitlist_entry_for_user,
    waitlist_for_user,
)
from bookings.selectors.catalog import (
    category_list,
    item_active_list,
    item_get,
    item_list,
    item_not_found,
    unit_get,
    unit_not_found,
)
from bookings.selectors.rules import (
    BOOKABLE_UNIT_KINDS,
    bookable_unit_list,
    booking_change_check,
    booking_change_deadline,
    booking_missing_mandatory,
    booking_parties_q,
    is_booking_party,
    missing_mandatory,
    unit_bookable,
    unit_bookable_check,
)
from bookings.selectors.slot_search import (
    SLOT_BASIS_TTL,
    seats_changed,
    slot_basis_cached,
    slot_basis_invalidate,
    slot_search,
    slot_search_window,
)
from bookings.selectors.slots import (
    Slot,
    SlotBasis,
    cells_needed,
    local_zone,
    seats_taken,
    slot_as_dict,
    slot_basis_load,
    slot_find,
    slot_grid,
    slot_list,
    slot_window,
    slots_from_basis,
    slots_next_free,
    with_remaining,
)

__all__ = [
    "BOOKABLE_UNIT_KINDS", "MATERIAL_READ_HOOKS", "SLOT_BASIS_TTL", "Slot", "SlotBasis", "bookable_unit_list",
    "booking_change_check", "booking_change_deadline", "booking_detail", "booking_get_for_user",
    "booking_list_for_unit", "booking_list_for_user", "booking_missing_mandatory", "booking_parties_q",
    "bookings_visible_to", "category_list", "cells_needed", "is_booking_party", "is_staff_of_unit",
    "item_active_list", "item_get", "item_list", "item_not_found", "local_zone", "material_get_for_user",
    "material_readable_by", "missing_mandatory", "register_material_read_hook", "seats_changed", "seats_taken",
    "slot_as_dict", "slot_basis_cached", "slot_basis_invalidate", "slot_basis_load", "slot_find", "slot_grid",
    "slot_list", "slot_search", "slot_search_window", "slot_window", "slots_from_basis", "slots_next_free",
    "staff_unit_ids", "unit_bookable", "unit_bookable_check", "unit_get", "unit_not_found",
    "waitlist_entry_for_user", "waitlist_for_user", "with_remaining",
]
