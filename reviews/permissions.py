"""Who may act on the case named in the URL, checked before the request's body is read."""
from rest_framework.permissions import SAFE_METHODS, BasePermission

from reviews import selectors


class CanSeeCase(BasePermission):
    """The case `pk` is one the user may see; else NotFound before any input check, so an outsider learns nothing
    from what the body would have been refused for. List it after IsAuthenticated (or a role check)."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True  # a read has no body, and looks the case up itself with the same NotFound
        selectors.case_row_for_user(user=request.user, case_id=view.kwargs["pk"])
        return True
