"""Who may open which page: residents, agents, reviewers, administrators. Anonymous people go to /login/."""
from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from accounts.models import User
from stations.models import StaffMembership


def _to_login(request):
    return redirect(f"/login/?{urlencode({'next': request.get_full_path()})}")


def _require(check):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def is_agent(user) -> bool:
    return user.is_staff_member and StaffMembership.objects.filter(user=user, is_agent=True).exists()


def is_reviewer(user) -> bool:
    return user.is_staff_member and StaffMembership.objects.filter(user=user, is_reviewer=True).exists()


def is_administrator(user) -> bool:
    return user.role == User.Role.ADMINISTRATOR or user.is_superuser


signed_in = _require(lambda user: True)
resident_only = _require(lambda user: user.role == User.Role.RESIDENT)
agent_only = _require(is_agent)
reviewer_only = _require(is_reviewer)
administrator_only = _require(is_administrator)


def home_for(user) -> str:
    """Where a person lands after logging in when no `next` was given."""
    if user.role == User.Role.RESIDENT:
        return "/me/bookings/"
    if is_administrator(user):
        return "/stats/"
    if is_agent(user):
        return "/console/"
    if is_reviewer(user):
        return "/desk/"
    return "/"
