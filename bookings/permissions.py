"""Who may act on the booking named in the URL, checked before the request's body is read."""
from rest_framework.permissions import BasePermission

from bookings import selectors


class CanSeeBooking(BasePermission):
    """The booking `pk` is one the user may see; else NotFound (booking_not_found) before any input check, so an
    outsider learns nothing from what the body would have been refused for. List it after IsAuthenticated."""

    def has_permission(self, request, view):
        selectors.booking_get_for_user(user=request.user, booking_id=view.kwargs["pk"])
        return True
